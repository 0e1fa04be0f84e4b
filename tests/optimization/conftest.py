"""Fixtures of the optimization tests."""

from __future__ import annotations

import pytest

from text2ml.optimization.trial_feed import TrialFeed

# More wall time than any machine needs for a trial of the fixture programs (about a second)
AMPLE_SECONDS = 600.0


@pytest.fixture
def only_the_hang_is_timed(monkeypatch: pytest.MonkeyPatch) -> str:
    """The per-trial limit holds for every trial of a study: a test that sets it to a few
    seconds for the faulty program's hanging candidate would also time out a fit that a
    slow machine makes take that long. Every trial but those of the hanging candidate
    (returned: model c3) gets far more wall time than any machine needs, so the short limit
    is met by the hang, and only by it, whatever this machine's speed."""
    hanging = "c3"
    start_head = TrialFeed._start_head

    def timed(self: TrialFeed, when: float) -> None:
        start_head(self, when)
        if self.pending and self.pending[0].spec["choice"].get("model") != hanging:
            self.limit = max(self.limit, AMPLE_SECONDS)

    monkeypatch.setattr(TrialFeed, "_start_head", timed)
    return hanging
