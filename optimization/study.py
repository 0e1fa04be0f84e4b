"""The public API: run a resumable Optuna study over a program's candidates, then finish it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from text2ml.optimization.evaluation import evaluation_folds
from text2ml.optimization.finish import finish_study
from text2ml.optimization.heartbeat import Sweeper, beating
from text2ml.optimization.program_info import ProgramInfo, load_program
from text2ml.optimization.proxies import skip_floor
from text2ml.optimization.shared_study import (
    Enough,
    another_round,
    record_target,
    study_total,
    worker_rule,
    worker_seed,
)
from text2ml.optimization.space import default_trial_params, suggest_config
from text2ml.optimization.storage import WriteBehind, default_storage_url, open_storage
from text2ml.optimization.types import (
    FINISHED,
    OptimizeError,
    OptimizeOptions,
    OptimizeResult,
    TrialProgress,
)
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess
from text2ml.synthesis.program_lock import first_argument, holds_program

__all__ = ["OptimizeError", "OptimizeOptions", "OptimizeResult", "TrialProgress",
           "open_study", "optimize_program", "run_worker"]

GIVE_UP_AFTER = 2  # failures of a candidate that never completed before its trials are skipped


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
            budget.progress(_run_beating(trial, info, worker, folds, budget))
    except BaseException as exc:  # surfaced by the caller, which owns the user's message
        errors.append(exc)
    finally:
        worker.close()


def _run_beating(trial: optuna.Trial, info: ProgramInfo, worker: WorkerProcess, folds: int,
                 budget: _Budget) -> str:
    """One trial with its heartbeat. Another process fails it if the beats stop too long;
    then its reports are refused, and the worker, mid-request, is started afresh."""
    with beating(budget.study, trial, budget.options.heartbeat):
        try:
            return _run_one(trial, info, worker, folds, budget)
        except UpdateFinishedTrialError as exc:
            worker.kill()
            return f"trial {trial.number} dropped: {exc}"


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
    return finish_study(info, study, options, cancelled=bool(cancel and cancel.is_set()))
