"""Greedy ensemble selection with replacement (Caruana et al., ICML 2004), numpy only.

Run inside the worker child, where the metric is the program's own `pipeline.score`: the
text2ml process never imports the generated pipeline.py. Members are given best first
(by their trial's value), so every tie goes to the better trial.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

ROUNDS = 20  # weights are multiples of 1/ROUNDS: coarse on purpose, it overfits less
TOLERANCE = 1e-9  # an ensemble must beat the best single by more than this (relative)


@dataclass
class Selection:
    counts: list[int]  # how often each member was picked, up to the best round
    score: float  # the ensemble's validation score at that round
    singles: list[float]  # each member's own validation score
    history: list[float]  # the ensemble's score after each round

    @property
    def weights(self) -> list[float]:
        total = sum(self.counts)
        return [count / total for count in self.counts]


def _signed(value: float, maximize: bool) -> float:
    if not math.isfinite(value):
        return -math.inf  # a metric that broke counts as the worst
    return value if maximize else -value


def greedy_selection(predictions: Sequence[np.ndarray], metric: Callable[[np.ndarray], float],
                     maximize: bool, rounds: int = ROUNDS) -> Selection:
    """Each round adds the member (again, if it is the best pick: with replacement) whose
    addition makes the average score best; the ensemble kept is the earliest round with the
    best score. Round one picks the best single member, so the result is never worse."""
    singles = [float(metric(p)) for p in predictions]
    total = np.zeros_like(np.asarray(predictions[0], dtype=float))
    counts = [0] * len(predictions)
    best: tuple[float, list[int]] | None = None
    history: list[float] = []
    for done in range(rounds):
        scores = [float(metric((total + p) / (done + 1))) for p in predictions]
        pick = max(range(len(scores)), key=lambda j: _signed(scores[j], maximize))  # first wins
        total += predictions[pick]
        counts[pick] += 1
        history.append(scores[pick])
        if best is None or _signed(scores[pick], maximize) > _signed(best[0], maximize):
            best = (scores[pick], list(counts))
    assert best is not None, "rounds must be at least 1"
    return Selection(best[1], best[0], singles, history)


def why_not_kept(selection: Selection, maximize: bool) -> str | None:
    """None when the ensemble is worth keeping: two members or more, and strictly better on
    validation than the best single member (beyond a tiny tolerance); else the reason."""
    single = max(selection.singles, key=lambda v: _signed(v, maximize))
    if sum(count > 0 for count in selection.counts) < 2:
        return (f"no mix of members beat the best single program on validation "
                f"({single:.4f})")
    gain = _signed(selection.score, maximize) - _signed(single, maximize)
    if not gain > TOLERANCE * max(1.0, abs(single)):
        return (f"the best ensemble scored {selection.score:.4f} on validation, no better "
                f"than the best single program ({single:.4f})")
    return None
