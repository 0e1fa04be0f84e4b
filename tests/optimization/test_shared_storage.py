"""Shared studies without a server: the driver message, the worker's stopping rule, what is
counted after a killed worker's trial was queued again, heartbeats on an SQLite file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from text2ml.optimization.heartbeat import Sweeper, beating
from text2ml.optimization.shared_study import (
    counted_trials,
    record_target,
    worker_rule,
    worker_seed,
)
from text2ml.optimization.storage import open_storage, shown_url
from text2ml.optimization.types import OptimizeError, OptimizeOptions


def test_a_missing_driver_is_named_with_the_extra_that_installs_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    with pytest.raises(OptimizeError) as caught:
        open_storage(Path("."), "postgresql://me:secret@127.0.0.1:1/db")
    message = str(caught.value)
    assert "postgresql+psycopg" in message and ".[postgres]" in message
    assert "secret" not in message and "me:***@" in message


def test_urls_are_shown_without_passwords() -> None:
    assert shown_url("postgresql://me:secret@db/x") == "postgresql://me:***@db/x"
    assert shown_url("journal:///tmp/a.log") == "journal:///tmp/a.log"


def test_a_grpc_url_needs_a_port() -> None:
    with pytest.raises(OptimizeError, match="grpc://HOST:PORT"):
        open_storage(Path("."), "grpc://somewhere")


def _study() -> optuna.Study:
    return optuna.create_study()


def test_a_worker_follows_the_target_optimize_recorded() -> None:
    study = _study()
    enough = worker_rule(default_trials=40, own_trials=None)
    record_target(study, OptimizeOptions(trials=2))
    assert not enough(study, 0)
    for _ in range(2):
        study.tell(study.ask(), 1.0)
    assert enough(study, 0)
    record_target(study, OptimizeOptions(trials=5))  # optimize re-run with more trials
    assert not enough(study, 0)
    assert worker_rule(40, own_trials=3)(study, 3)  # its own --trials
    record_target(study, OptimizeOptions(trials=5, timeout=0.0))  # past the deadline
    assert enough(study, 0)


def test_without_a_target_a_worker_aims_at_the_default_total() -> None:
    study = _study()
    for _ in range(3):
        study.tell(study.ask(), 1.0)
    assert worker_rule(default_trials=3, own_trials=None)(study, 0)
    assert not worker_rule(default_trials=4, own_trials=None)(study, 0)


def test_workers_sample_with_seeds_of_their_own() -> None:
    assert worker_seed(0) != worker_seed(1)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # text2ml beats by itself
def test_a_stale_trial_is_failed_queued_again_and_not_counted_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    study = optuna.create_study(storage=open_storage(tmp_path, url, heartbeat=1))
    study.tell(study.ask({"x": optuna.distributions.FloatDistribution(0, 1)}), 1.0)
    lost = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    with beating(study, lost, 1):  # one beat, then its worker "dies"
        pass
    assert counted_trials(study) == 2
    time.sleep(4.5)  # past the grace period (3 beats of 1 s; SQLite stamps whole seconds)
    Sweeper().sweep(study, force=True)
    trials = study.get_trials()
    assert trials[lost.number].state == TrialState.FAIL
    retry = trials[-1]
    assert retry.state == TrialState.WAITING and retry.params == trials[lost.number].params
    assert counted_trials(study) == 1  # the retry takes the lost trial's place when it runs
    study.tell(study.ask(), 0.5)
    assert counted_trials(study) == 2
