"""Trials in batches: several per message to the warm worker, the next batch sent while one
runs, and still every per-trial limit (crash, hang, memory) and pruning, trial by trial."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from text2ml.optimization import trial_feed
from text2ml.optimization.program_info import load_program
from text2ml.optimization.storage import open_storage
from text2ml.optimization.study import OptimizeOptions, open_study, optimize_program
from text2ml.optimization.worker_process import WorkerProcess

from paths import FIXTURES, ROOT

TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"


def make_program(name: str, tmp_path: Path) -> Path:
    program = Path(shutil.copytree(FIXTURES / "programs" / name, tmp_path / name))
    shutil.copy(TEMPLATE, program / "pipeline.py")
    return program


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The trial numbers of every batch sent to a worker; batches as large as MAX_BATCH
    whatever the machine's speed (a batch's size otherwise follows the trials' seconds)."""
    sent: list[list[int]] = []
    send = WorkerProcess.send

    def recording(self: WorkerProcess, message: dict[str, Any]) -> float:
        if message.get("op") == "batch":
            sent.append([spec["id"] for spec in message["trials"]])
        return send(self, message)

    monkeypatch.setattr(WorkerProcess, "send", recording)
    monkeypatch.setattr(trial_feed, "BATCH_SECONDS", 1e6)
    return sent


def queued(program: Path, storage: str, configs: list[dict[str, Any]]) -> optuna.Study:
    """A shared study with these trials queued first, in this order (the default storage's
    in-memory copy takes only finished trials, so a journal file holds them)."""
    study = open_study(load_program(program), OptimizeOptions(storage=storage))
    for params in configs:
        study.enqueue_trial(params)
    return study


def load(program: Path, storage: str) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name=load_program(program).study_name,
                              storage=open_storage(program, storage))
    return study.trials


def test_several_trials_per_message_and_pruning_still_prunes(
        tmp_path: Path, batches: list[list[int]]) -> None:
    program = make_program("wine", tmp_path)
    storage = f"journal:///{tmp_path / 'journal.log'}"
    good = {"choice/model": "c1", "model/c1/C": 1.0}
    stump = {"choice/model": "c2", "model/c2/n_estimators": 10, "model/c2/max_depth": 1}
    queued(program, storage, [good] * 6 + [stump, good, stump, good])
    result = optimize_program(program, OptimizeOptions(trials=12, storage=storage,
                                                       memory_mb=2048))
    trials = load(program, storage)
    assert result.n_trials == 12 and not any(t.state == TrialState.RUNNING for t in trials)
    # one message carried many trials, and each trial went to the worker once
    assert max(len(batch) for batch in batches) > 1 and len(batches) < 12
    assert sorted(n for batch in batches for n in batch) == list(range(12))
    # the stumps fall below the median of the good trials at the first folds: pruned there,
    # and the good trials after them, in the same batch, ran to the end
    stumps = [trials[6], trials[8]]
    assert all(t.state == TrialState.PRUNED and "pruned at step" in t.user_attrs["reason"]
               for t in stumps)
    assert trials[7].state == trials[9].state == TrialState.COMPLETE
    assert any({6, 7, 8} <= set(batch) for batch in batches)


def test_a_hung_crashing_or_hungry_trial_in_a_batch_fails_alone(
        tmp_path: Path, batches: list[list[int]], only_the_hang_is_timed: str) -> None:
    program = make_program("faulty", tmp_path)
    storage = f"journal:///{tmp_path / 'journal.log'}"
    ok, crash, hang, hog = ({"choice/model": name} for name in ("c1", "c2", "c3", "c4"))
    queued(program, storage, [ok, ok, hang, ok, hog, crash, ok, ok])
    result = optimize_program(program, OptimizeOptions(trials=8, storage=storage,
                                                       trial_timeout=3, memory_mb=1024))
    trials = load(program, storage)
    assert result.n_trials == 8 and not any(t.state == TrialState.RUNNING for t in trials)
    by_model = [(t.user_attrs["choice"]["model"], t.state) for t in trials]
    assert by_model == [("c1", TrialState.COMPLETE), ("c1", TrialState.COMPLETE),
                        ("c3", TrialState.FAIL), ("c1", TrialState.COMPLETE),
                        ("c4", TrialState.FAIL), ("c2", TrialState.FAIL),
                        ("c1", TrialState.COMPLETE), ("c1", TrialState.COMPLETE)]
    assert "timed out after 3s" in trials[2].user_attrs["reason"]
    assert "MemoryError" in trials[4].user_attrs["reason"]
    assert "this candidate always fails" in trials[5].user_attrs["reason"]
    # the hang was killed inside a batch: the trials queued behind it went to a new worker
    hung_in = next(batch for batch in batches if 2 in batch)
    assert hung_in.index(2) < len(hung_in) - 1
    assert any(3 in batch and 2 not in batch for batch in batches)
