"""End to end on fixture programs: study, report, best_params, resume, cancel, faults, workers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from text2ml.optimization.program_info import load_program
from text2ml.optimization.storage import open_storage
from text2ml.optimization.study import OptimizeOptions, TrialProgress, open_study, optimize_program

from paths import FIXTURES as FIXTURES_ROOT
from paths import ROOT

FIXTURES = FIXTURES_ROOT / "programs"
TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Bounds only a broken optimizer reaches (the waits end as soon as the work is done): a
# process that starts, imports and runs a few trials takes seconds here, many times that on
# a busy machine.
SLOW = 1200.0


def make_program(name: str, tmp_path: Path) -> Path:
    program = Path(shutil.copytree(FIXTURES / name, tmp_path / name))
    shutil.copy(TEMPLATE, program / "pipeline.py")
    return program


def load(program: Path, storage: str | None = None) -> optuna.Study:
    info = load_program(program)
    return optuna.load_study(study_name=info.study_name,
                             storage=open_storage(program, storage))


def run_pipeline(program: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "pipeline.py", *args], cwd=program, env=ENV,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_small_study_improves_on_default_and_finishes(tmp_path: Path) -> None:
    program = make_program("wine", tmp_path)
    seen: list[TrialProgress] = []
    result = optimize_program(program, OptimizeOptions(trials=8, memory_mb=2048),
                              on_progress=seen.append)
    study = load(program)
    default = study.trials[0]
    assert default.user_attrs.get("default") and default.state == TrialState.COMPLETE
    assert result.best_value >= default.value
    assert (result.n_trials, result.n_complete + result.n_pruned) == (8, 8)
    assert [p.trial for p in seen] == list(range(1, 9)) and seen[-1].best_value is not None
    # small data: 5-fold CV, folds 0..3 reported as pruning steps
    assert all(set(t.intermediate_values) == {0, 1, 2, 3}
               for t in study.trials if t.state == TrialState.COMPLETE)
    assert 0.0 <= result.test_score <= 1.0
    report = result.report_path.read_text()
    assert "5-fold cross-validation" in report and "Leaderboard" in report
    assert f"{result.test_score:.4f}" in report
    for png in ("optimization_history.png", "param_importances.png"):
        assert (program / ".text2ml" / png).read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((program / "best_params.json").read_text())
    assert saved["choice"] == result.best_params["choice"]
    ran = run_pipeline(program)
    assert ran["choice"] == saved["choice"]
    assert run_pipeline(program, "--final")["score"] == result.test_score


def test_regression_minimizes_and_same_seed_reproduces(tmp_path: Path) -> None:
    runs = []
    for copy in ("a", "b"):
        program = make_program("diabetes", tmp_path / copy)
        result = optimize_program(program, OptimizeOptions(trials=8, seed=3, memory_mb=2048))
        assert result.direction == "minimize" and result.metric == "rmse"
        study = load(program)
        assert result.best_value <= study.trials[0].value
        runs.append([(t.params, t.value) for t in study.trials])
    assert runs[0] == runs[1]


def test_crash_hang_and_memory_hog_fail_with_reasons(tmp_path: Path,
                                                    only_the_hang_is_timed: str) -> None:
    program = make_program("faulty", tmp_path)
    result = optimize_program(program, OptimizeOptions(trials=12, trial_timeout=3,
                                                       memory_mb=1024, seed=0))
    study = load(program)
    reasons = " ".join(t.user_attrs["reason"] for t in study.trials
                       if t.state == TrialState.FAIL)
    assert "RuntimeError: this candidate always fails (at c2.py:8)" in reasons
    assert "MemoryError" in reasons
    timed_out = [t.user_attrs.get("choice", {}).get("model") for t in study.trials
                 if "timed out after 3s" in t.user_attrs.get("reason", "")]
    assert timed_out and set(timed_out) == {only_the_hang_is_timed}
    assert result.n_trials == 12 and result.n_complete >= 2
    assert result.best_params["choice"]["model"] == "c1"


def test_cancel_keeps_finished_trials(tmp_path: Path) -> None:
    program = make_program("wine", tmp_path)
    cancel = threading.Event()

    def stop_after_three(progress: TrialProgress) -> None:
        if progress.trial >= 3:
            cancel.set()

    result = optimize_program(program, OptimizeOptions(trials=30, memory_mb=2048),
                              on_progress=stop_after_three, cancel=cancel)
    study = load(program)
    assert 3 <= len(study.trials) < 30
    assert not any(t.state == TrialState.RUNNING for t in study.trials)
    assert result.test_score is None and not (program / "best_params.json").exists()
    assert "cancelled" in result.report_path.read_text()


def _wait_for_trials(program: Path, count: int, proc: subprocess.Popen, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            finished = [t for t in load(program).trials if t.state.is_finished()]
        except KeyError:  # the study is not created yet
            finished = []
        if len(finished) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"no {count} finished trials within {limit}s")


def test_resume_after_kill_continues_the_count(tmp_path: Path) -> None:
    program = make_program("wine", tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "text2ml.optimization.cli", "optimize",
                             str(program), "--trials", "200", "--json", "--memory-mb", "2048"],
                            cwd=ROOT, env=ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_trials(program, 3, proc, SLOW)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = load(program).trials
    before = len(killed)
    assert before >= 3 and all(t.state.is_finished() for t in killed)  # nothing half-written
    result = optimize_program(program, OptimizeOptions(trials=before + 3, memory_mb=2048))
    study = load(program)
    assert [t.number for t in study.trials] == list(range(before + 3))
    assert [t.params for t in study.trials[:before]] == [t.params for t in killed]
    assert result.n_trials == before + 3


def _two_workers(program: Path, storage: str, trials: int) -> list[int]:
    open_study(load_program(program), OptimizeOptions(storage=storage))
    # a worker's --trials is its own count: half the trials each
    command = [sys.executable, "-m", "text2ml.optimization.cli", "worker", str(program),
               "--storage", storage, "--trials", str(trials // 2), "--json",
               "--memory-mb", "2048"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    return [json.loads(p.communicate(timeout=SLOW)[0])["trials_run"] for p in procs]


def test_two_workers_on_a_journal_split_trials(tmp_path: Path) -> None:
    program = make_program("wine", tmp_path)
    storage = f"journal:///{tmp_path / 'journal.log'}"
    ran = _two_workers(program, storage, 12)
    numbers = [t.number for t in load(program, storage).trials]
    assert sorted(numbers) == list(range(len(numbers))) and len(set(numbers)) == len(numbers)
    assert sum(ran) == len(numbers) >= 12 and min(ran) > 0


def test_two_workers_on_sqlite_split_trials(tmp_path: Path) -> None:
    program = make_program("wine", tmp_path)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    ran = _two_workers(program, storage, 10)
    numbers = [t.number for t in load(program, storage).trials]
    assert len(set(numbers)) == len(numbers) == sum(ran) >= 10 and min(ran) > 0


def test_torch_candidates_are_ranked_by_the_zero_cost_proxy(tmp_path: Path) -> None:
    program = make_program("torchnet", tmp_path)
    result = optimize_program(program, OptimizeOptions(trials=16, seed=0))
    study = load(program)
    assert all(isinstance(t.user_attrs.get("proxy"), float) for t in study.trials)
    skipped = [t for t in study.trials if "zero-cost proxy" in t.user_attrs.get("reason", "")]
    assert skipped and all(t.state == TrialState.PRUNED for t in skipped)
    assert result.n_complete >= 8
