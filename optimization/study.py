"""The public API: run a resumable Optuna study over a program's candidates, then finish it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from text2ml.optimization.evaluation import evaluation_folds
from text2ml.optimization.finish import finish_study
from text2ml.optimization.heartbeat import Sweeper
from text2ml.optimization.program_info import ProgramInfo, load_program
from text2ml.optimization.shared_study import (
    Enough,
    another_round,
    record_target,
    study_total,
    worker_rule,
    worker_seed,
)
from text2ml.optimization.space import default_trial_params
from text2ml.optimization.storage import WriteBehind, default_storage_url, open_storage
from text2ml.optimization.trial_feed import TrialFeed
from text2ml.optimization.types import (
    FINISHED,
    OptimizeError,
    OptimizeOptions,
    OptimizeResult,
    TrialProgress,
)
from text2ml.optimization.worker_process import WorkerProcess
from text2ml.synthesis.program_lock import first_argument, holds_program

__all__ = ["OptimizeError", "OptimizeOptions", "OptimizeResult", "TrialProgress",
           "open_study", "optimize_program", "run_worker"]

def open_study(info: ProgramInfo, options: OptimizeOptions) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # heartbeats only where other processes share the study (the default file is ours alone)
    heartbeat = options.heartbeat if options.storage is not None else None
    return optuna.create_study(
        storage=open_storage(info.program_dir, options.storage, heartbeat),
        study_name=info.study_name,
        direction=info.direction, load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=options.seed),
        pruner=_pruner())


def _pruner() -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)


class _Budget:
    """Shared by a process's runner threads: when to stop, and the progress to report."""

    def __init__(self, study: optuna.Study, options: OptimizeOptions,
                 cancel: threading.Event | None, on_progress: Callable | None,
                 on_finished: Callable[[FrozenTrial], None] | None = None,
                 enough: Enough | None = None) -> None:
        self.study, self.options, self.on_finished = study, options, on_finished
        self.enough = enough or study_total(options.trials)
        self.sweeper, self.claimed = Sweeper(), 0
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
            self.sweeper.sweep(self.study)  # a killed worker's trial: failed, queued again
            if self.enough(self.study, self.claimed):
                return None
            self.claimed += 1
            return self.study.ask()

    def tell(self, trial: optuna.Trial, value: float | None = None,
             state: TrialState | None = None) -> None:
        # skip: another process may have failed it meanwhile (its heartbeat came too late)
        frozen = self.study.tell(trial, value, state=state, skip_if_finished=True)
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


def _runner(info: ProgramInfo, budget: _Budget, errors: list[BaseException]) -> None:
    worker = WorkerProcess(info.program_dir, budget.options.memory_mb)
    try:
        worker.start()
        TrialFeed(info, budget, worker, evaluation_folds(budget.study, worker.rows)).run()
    except BaseException as exc:  # surfaced by the caller, which owns the user's message
        errors.append(exc)
    finally:
        worker.close()


def _run_trials(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                cancel: threading.Event | None, on_progress: Callable | None,
                on_finished: Callable[[FrozenTrial], None] | None = None,
                enough: Enough | None = None) -> int:
    budget = _Budget(study, options, cancel, on_progress, on_finished, enough)
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


def run_worker(program_dir: Path, storage: str, options: OptimizeOptions,
               cancel: threading.Event | None = None, own_trials: int | None = None) -> int:
    """Join the program's study on a shared storage and run trials until the study has the
    trials its optimize asked for (`options.trials` if none did), or its deadline passed,
    or this worker ran `own_trials` or its `options.timeout`; returns how many ran."""
    info = load_program(Path(program_dir))
    mine = OptimizeOptions(**{**options.__dict__, "storage": storage,
                              "seed": worker_seed(options.seed)})
    study = open_study(info, mine)
    started, ran = time.monotonic(), 0
    while True:
        left = None if own_trials is None else own_trials - ran
        timeout = None if options.timeout is None \
            else max(0.0, options.timeout - (time.monotonic() - started))
        ran += _run_trials(info, study, OptimizeOptions(**{**mine.__dict__, "timeout": timeout}),
                           cancel, None, enough=worker_rule(options.trials, left))
        out_of_time = options.timeout is not None \
            and time.monotonic() - started >= options.timeout
        if (own_trials is not None and ran >= own_trials) or out_of_time \
                or another_round(study, mine, cancel) is None:
            return ran


@holds_program(first_argument, "optimizing")
def optimize_program(program_dir: Path, options: OptimizeOptions, *,
                     on_progress: Callable[[TrialProgress], None] | None = None,
                     cancel: threading.Event | None = None) -> OptimizeResult:
    """Search, then refit the best on train+valid, score test once, write best_params + report."""
    info = load_program(Path(program_dir))
    study = open_study(info, options)
    url = default_storage_url(info.program_dir)
    mirror = WriteBehind(study, url) if options.storage is None else None
    if mirror is not None:
        study = mirror.study
    if not study.trials:
        study.enqueue_trial(default_trial_params(info), user_attrs={"default": True})
    if mirror is None:  # shared: workers read what the study needs from it
        record_target(study, options)
    try:
        _run_trials(info, study, options, cancel, on_progress,
                    mirror.put if mirror is not None else None)
        more = another_round(study, options, cancel) if mirror is None else None
        while more is not None:  # shared: others' lost trials, queued again, run here
            _run_trials(info, study, more, cancel, on_progress)
            more = another_round(study, options, cancel)
    finally:
        if mirror is not None:
            mirror.close()
    return finish_study(info, study, options, cancelled=bool(cancel and cancel.is_set()),
                        cancel=cancel)
