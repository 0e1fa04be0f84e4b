"""One study, several processes: what the study needs, when each process stops, who counts.

`text2ml optimize` on a shared storage writes its target (total trials, and the wall-clock
deadline of its --timeout) into the study; every `text2ml worker` reads it before each trial
and stops when the study has what it needs, or at its own --trials/--timeout. A worker
started before any optimize (no target yet) works towards the default total.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from text2ml.optimization.heartbeat import Sweeper
from text2ml.optimization.types import FINISHED, OptimizeOptions

TARGET_ATTR = "text2ml_target"
COUNTED = (*FINISHED, TrialState.RUNNING)
SETTLE = 2.0  # seconds for a stale trial's retry to land after the trial was failed

# Whether a process has claimed enough: (study, trials this process claimed) -> stop?
Enough = Callable[[optuna.Study, int], bool]


@dataclass
class Target:
    trials: int
    deadline: float | None  # time.time() of the optimize's --timeout, if it had one


def record_target(study: optuna.Study, options: OptimizeOptions) -> None:
    deadline = None if options.timeout is None else time.time() + options.timeout
    study.set_user_attr(TARGET_ATTR, {"trials": options.trials, "deadline": deadline})


def read_target(study: optuna.Study, default_trials: int) -> Target:
    recorded = study.user_attrs.get(TARGET_ATTR) or {}
    return Target(int(recorded.get("trials", default_trials)), recorded.get("deadline"))


def counted_trials(study: optuna.Study) -> int:
    """Finished and running trials, less those failed for a lost heartbeat and queued again
    (the retry takes their place, so a killed worker does not shrink the study)."""
    trials = study.get_trials(deepcopy=False)
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", ())}
    return sum(t.state in COUNTED and t.number not in retried for t in trials)


def study_total(trials: int) -> Enough:
    """optimize's rule: the study holds `trials` trials (re-running resumes up to it)."""
    return lambda study, _claimed: counted_trials(study) >= trials


def worker_rule(default_trials: int, own_trials: int | None) -> Enough:
    """A worker's rule: the study's target is met or past its deadline, or this worker ran
    its own --trials."""
    def enough(study: optuna.Study, claimed: int) -> bool:
        if own_trials is not None and claimed >= own_trials:
            return True
        target = read_target(study, default_trials)
        if target.deadline is not None and time.time() >= target.deadline:
            return True
        return counted_trials(study) >= target.trials
    return enough


def worker_seed(seed: int) -> int:
    """Each worker samples with a seed of its own: with one seed, every worker's TPE would
    draw the same random start-up configurations, duplicating each other's trials."""
    return zlib.crc32(f"{seed}:{socket.gethostname()}:{os.getpid()}".encode())


def wait_for_others(study: optuna.Study, limit: float,
                    cancel: threading.Event | None = None) -> None:
    """Let other processes' running trials end (a lost worker's is failed by the sweep once
    its heartbeat stops, and queued again), up to `limit` seconds."""
    sweeper = Sweeper()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not (cancel and cancel.is_set()):
        sweeper.sweep(study)
        if not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            return
        time.sleep(0.5)


def another_round(study: optuna.Study, options: OptimizeOptions,
                  cancel: threading.Event | None) -> OptimizeOptions | None:
    """When a process's own trials are done: wait for the others', then the options for one
    more round if the study is still short of its target (a killed worker's trial was queued
    again after every other process had stopped claiming), or None."""
    wait_for_others(study, options.trial_timeout, cancel)
    # a sweep in another process (or the storage proxy) fails a lost trial first and queues
    # its retry just after: a look in between would count the failed trial as done
    time.sleep(SETTLE)
    target = read_target(study, options.trials)
    left = None if target.deadline is None else target.deadline - time.time()
    if (cancel and cancel.is_set()) or (left is not None and left <= 0):
        return None
    if counted_trials(study) >= target.trials:
        return None
    return OptimizeOptions(**{**options.__dict__, "timeout": left})
