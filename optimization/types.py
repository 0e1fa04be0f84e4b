"""The optimizer's shared types: what a study is asked to do, what it reports, how it fails.

Imported by `study` (the search) and `finish` (the end of a study) alike, so neither imports
the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optuna.trial import TrialState

from text2ml.synthesis.errors import UserError

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
    heartbeat: int = 30  # seconds between a trial's heartbeats on a shared storage
    ensemble: int = 8  # best distinct trials the end's greedy ensemble chooses from; < 2: none


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
    test_score: float | None  # of what `pipeline.py --final` runs: the ensemble when kept
    report_path: Path
    n_trials: int
    n_complete: int
    n_failed: int
    n_pruned: int
    metric: str
    direction: str
    ensemble: dict[str, Any] | None = None  # finish.build_ensemble's summary, if one was tried
