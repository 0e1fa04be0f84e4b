"""The public API: run a resumable Optuna study over a program's candidates, then finish it."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from text2ml.optimization.program_info import ProgramInfo, load_program
from text2ml.optimization.proxies import skip_floor
from text2ml.optimization.space import default_trial_params, suggest_config
from text2ml.optimization.storage import default_storage_url, open_storage
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess
from text2ml.synthesis.errors import UserError

GIVE_UP_AFTER = 2  # failures of a candidate that never completed before its trials are skipped
SMALL_DATA_ROWS = 1000  # train+valid at or below this: k-fold CV instead of one holdout
CV_FOLDS = 5
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class OptimizeError(UserError, RuntimeError):
    """The study could not produce a best program; the message says why."""


@dataclass
class OptimizeOptions:
    trials: int = 40  # the study's total: re-running resumes up to this many
    timeout: float | None = None
    jobs: int = 1
    storage: str | None = None
    seed: int = 0
    trial_timeout: float = 300.0
    memory_mb: int = 4096
    proxies: bool = True  # skip torch networks the zero-cost proxy ranks in the lowest quarter


@dataclass
class TrialProgress:
    trial: int
    n_trials: int
    best_value: float | None
    elapsed: float
    remaining: float | None
    message: str


@dataclass
class OptimizeResult:
    best_value: float
    best_params: dict
    test_score: float | None
    report_path: Path
    n_trials: int
    n_complete: int
    n_failed: int
    n_pruned: int
    metric: str
    direction: str


def open_study(info: ProgramInfo, options: OptimizeOptions) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=open_storage(info.program_dir, options.storage), study_name=info.study_name,
        direction=info.direction, load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=options.seed),
        pruner=_pruner())


def _pruner() -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)


def evaluation_folds(study: optuna.Study, rows: dict[str, int]) -> int:
    """0 for the holdout valid split, else the number of CV folds; fixed once per study."""
    if "folds" not in study.user_attrs:
        small = rows.get("train", 0) + rows.get("valid", 0) <= SMALL_DATA_ROWS
        study.set_user_attr("folds", CV_FOLDS if small else 0)
        study.set_user_attr("rows", rows)
    return int(study.user_attrs["folds"])


def describe_evaluation(study: optuna.Study) -> str:
    folds, rows = study.user_attrs.get("folds", 0), study.user_attrs.get("rows", {})
    n = rows.get("train", 0) + rows.get("valid", 0)
    if folds:
        return (f"{folds}-fold cross-validation on train+valid ({n} rows, at most "
                f"{SMALL_DATA_ROWS} counts as small data); folds are the pruning steps")
    return f"holdout: fit on train ({rows.get('train')} rows), score on valid ({rows.get('valid')})"


class _Budget:
    """Shared by a process's runner threads: when to stop, and the progress to report."""

    def __init__(self, study: optuna.Study, options: OptimizeOptions,
                 cancel: threading.Event | None, on_progress: Callable | None,
                 on_finished: Callable[[FrozenTrial], None] | None = None) -> None:
        self.study, self.options, self.on_finished = study, options, on_finished
        self.cancel = cancel or threading.Event()
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.proxies = [t.user_attrs["proxy"] for t in study.get_trials(deepcopy=False)
                        if t.user_attrs.get("proxy") is not None]
        self.ran = 0

    def remaining(self) -> float | None:
        if self.options.timeout is None:
            return None
        return max(0.0, self.options.timeout - (time.monotonic() - self.started))

    def claim(self) -> optuna.Trial | None:
        """A new trial, unless cancelled, out of time or the study has its trials already."""
        with self.lock:
            if self.cancel.is_set() or self.remaining() == 0.0:
                return None
            states = (*FINISHED, TrialState.RUNNING)
            if len(self.study.get_trials(deepcopy=False, states=states)) >= self.options.trials:
                return None
            return self.study.ask()

    def tell(self, trial: optuna.Trial, value: float | None = None,
             state: TrialState | None = None) -> None:
        frozen = self.study.tell(trial, value, state=state)
        if self.on_finished is not None:
            self.on_finished(frozen)

    def progress(self, message: str) -> None:
        with self.lock:
            self.ran += 1
            if self.on_progress is None:
                return
            done = len(self.study.get_trials(deepcopy=False, states=FINISHED))
            try:
                best = self.study.best_value
            except ValueError:
                best = None
            self.on_progress(TrialProgress(done, self.options.trials, best,
                                           time.monotonic() - self.started, self.remaining(),
                                           message))


def _hopeless(study: optuna.Study, choice: dict[str, str]) -> str | None:
    """A chosen candidate that failed GIVE_UP_AFTER times and never completed: why to skip it.
    TPE learns nothing from failed trials, so it would otherwise keep sampling it."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
    for slot, name in choice.items():
        mine = [t for t in trials if (t.user_attrs.get("choice") or {}).get(slot) == name]
        failed = [t for t in mine if t.state == TrialState.FAIL and not
                  t.user_attrs.get("skipped")]
        if len(failed) >= GIVE_UP_AFTER and all(t.state == TrialState.FAIL for t in mine):
            return (f"skipped: {slot} candidate {name} failed {len(failed)} times and never "
                    f"completed (last: {failed[-1].user_attrs.get('reason', '?')})")
    return None


def _run_one(trial: optuna.Trial, info: ProgramInfo, worker: WorkerProcess, folds: int,
             budget: _Budget) -> str:
    choice, params = suggest_config(trial, info)
    trial.set_user_attr("choice", choice)
    label = "/".join(choice.values())
    skip = _hopeless(budget.study, choice)
    if skip:
        trial.set_user_attr("reason", skip)
        trial.set_user_attr("skipped", True)
        budget.tell(trial, state=TrialState.FAIL)
        return f"trial {trial.number} ({label}) FAIL: {skip}"
    request = {"op": "trial", "choice": choice, "params": params, "folds": folds,
               "proxy_floor": skip_floor(budget.proxies) if budget.options.proxies else None}
    remaining = budget.remaining()
    limit = budget.options.trial_timeout if remaining is None \
        else min(budget.options.trial_timeout, remaining + 1.0)

    def on_report(step: int, value: float) -> bool:
        trial.report(value, step)
        return trial.should_prune()

    try:
        reply = worker.run(request, limit, on_report, budget.cancel)
    except WorkerLost as exc:
        reply = {"type": "error", "reason": str(exc)}
    if reply.get("proxy") is not None:
        trial.set_user_attr("proxy", reply["proxy"])
        budget.proxies.append(reply["proxy"])
    if reply["type"] == "result":
        budget.tell(trial, reply["value"])
        return f"trial {trial.number} ({label}): {reply['value']:.4g}"
    trial.set_user_attr("reason", reply["reason"])
    state = TrialState.PRUNED if reply["type"] == "pruned" else TrialState.FAIL
    budget.tell(trial, state=state)
    return f"trial {trial.number} ({label}) {state.name}: {reply['reason']}"


def _runner(info: ProgramInfo, budget: _Budget, errors: list[BaseException]) -> None:
    worker = WorkerProcess(info.program_dir, budget.options.memory_mb)
    try:
        worker.start()
        folds = evaluation_folds(budget.study, worker.rows)
        while (trial := budget.claim()) is not None:
            budget.progress(_run_one(trial, info, worker, folds, budget))
    except BaseException as exc:  # surfaced by the caller, which owns the user's message
        errors.append(exc)
    finally:
        worker.close()


def _run_trials(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                cancel: threading.Event | None, on_progress: Callable | None,
                on_finished: Callable[[FrozenTrial], None] | None = None) -> int:
    budget = _Budget(study, options, cancel, on_progress, on_finished)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_runner, args=(info, budget, errors), daemon=True)
               for _ in range(max(1, options.jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise OptimizeError(f"optimizing {info.program_dir} stopped: {errors[0]}") from errors[0]
    return budget.ran


class _WriteBehind:
    """The default storage belongs to this program alone, so the study runs in memory (an
    SQLite round trip per suggest/report/tell costs more than a small model's fit) and a
    writer process copies each finished trial into the SQLite file as it finishes (in this
    process its SQLAlchemy work would hold the GIL the trial loop needs). A killed run loses
    at most the trials not yet copied; no RUNNING trial is ever left in the file."""

    def __init__(self, durable: optuna.Study, url: str, options: OptimizeOptions) -> None:
        self.durable = durable
        self.study = optuna.create_study(
            study_name=durable.study_name, direction=durable.direction,
            sampler=optuna.samplers.TPESampler(seed=options.seed), pruner=_pruner())
        self.study.add_trials(durable.get_trials(states=FINISHED))
        for key, value in durable.user_attrs.items():
            self.study.set_user_attr(key, value)
        context = multiprocessing.get_context("spawn")
        self.queue: Any = context.Queue()
        self.writer = context.Process(target=write_trials, daemon=True,
                                      args=(url, durable.study_name, self.queue, os.getpid()))
        self.writer.start()

    def put(self, trial: FrozenTrial) -> None:
        self.queue.put(trial)

    def close(self) -> None:
        self.queue.put(None)
        self.writer.join()
        for key, value in self.study.user_attrs.items():
            self.durable.set_user_attr(key, value)
        if self.writer.exitcode:
            raise OptimizeError(f"writing trials to {self.durable.study_name}'s storage failed "
                                f"(exit code {self.writer.exitcode}); the study in memory is "
                                "complete but the file misses some trials")


def write_trials(url: str, study_name: str, trials: Any, parent: int) -> None:
    """The writer process: append finished trials to the storage until told to stop."""
    study = optuna.load_study(study_name=study_name, storage=open_storage(Path("."), url))
    while True:
        try:
            trial = trials.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed: nothing more will come
                return
            continue
        if trial is None:
            return
        study.add_trial(trial)


def run_worker(program_dir: Path, storage: str, options: OptimizeOptions,
               cancel: threading.Event | None = None) -> int:
    """Join the program's study on a shared storage and run trials; returns how many ran."""
    info = load_program(Path(program_dir))
    study = open_study(info, OptimizeOptions(**{**options.__dict__, "storage": storage}))
    return _run_trials(info, study, options, cancel, None)


def optimize_program(program_dir: Path, options: OptimizeOptions, *,
                     on_progress: Callable[[TrialProgress], None] | None = None,
                     cancel: threading.Event | None = None) -> OptimizeResult:
    """Search, then refit the best on train+valid, score test once, write best_params + report."""
    from text2ml.optimization.finish import finish_study

    info = load_program(Path(program_dir))
    study = open_study(info, options)
    url = default_storage_url(info.program_dir)
    mirror = _WriteBehind(study, url, options) if options.storage is None else None
    if mirror is not None:
        study = mirror.study
    if not study.trials:
        study.enqueue_trial(default_trial_params(info), user_attrs={"default": True})
    try:
        _run_trials(info, study, options, cancel, on_progress,
                    mirror.put if mirror is not None else None)
    finally:
        if mirror is not None:
            mirror.close()
    return finish_study(info, study, options, cancelled=bool(cancel and cancel.is_set()))


def trial_counts(study: optuna.Study) -> dict[str, int]:
    trials = study.get_trials(deepcopy=False)
    return {state.name: sum(t.state == state for t in trials) for state in TrialState}


def json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
