"""After a study: the greedy ensemble of its best trials (docs/program-layout.md, "The
ensemble"), kept only where it beats the best single program on validation, then refit on
train+valid and scored once on the locked test split.

Every fit runs in a worker child under the trials' limits: one request per member, each
with the per-trial deadline, so a member that fails, hangs or runs out of memory is
dropped (a fresh worker takes the next one) and the others go on. A cancel stops it all.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from text2ml.optimization.ensemble_selection import ROUNDS, Selection, why_not_kept
from text2ml.optimization.evaluation import test_line
from text2ml.optimization.program_info import ProgramInfo
from text2ml.optimization.space import config_from_params
from text2ml.optimization.types import OptimizeOptions
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess


class NotBuilt(Exception):
    """No ensemble could be chosen; the message says why."""


@dataclass
class Member:
    trial: int
    value: float
    choice: dict[str, str]
    params: dict[str, dict[str, Any]]


def top_configs(study: optuna.Study, info: ProgramInfo, limit: int) -> list[Member]:
    """The best complete trials, best first, one per distinct program (choice + params)."""
    sign = 1.0 if info.direction == "maximize" else -1.0
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None and math.isfinite(t.value)]
    complete.sort(key=lambda t: (-sign * t.value, t.number))
    seen: set[str] = set()
    members: list[Member] = []
    for trial in complete:
        choice, params = config_from_params(trial.params, info)
        key = json.dumps([choice, params], sort_keys=True, default=str)
        if key not in seen and len(members) < limit:
            seen.add(key)
            members.append(Member(trial.number, float(trial.value), choice, params))
    return members


def describe_predictions(folds: int) -> str:
    return (f"out-of-fold predictions of the {folds}-fold cross-validation on train+valid"
            if folds else "predictions on the valid split")


def build_ensemble(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                   cancel: threading.Event | None) -> dict[str, Any]:
    """The ensemble's part of the summary: `kept`, a `note` saying why not, and when one was
    chosen its `members` (trial, choice, params, weight, alone), `valid_score`,
    `single_valid_score`, and when kept its `test_score` and `test_result`."""
    folds = int(study.user_attrs.get("folds", 0))
    members = top_configs(study, info, options.ensemble)
    summary: dict[str, Any] = {"kept": False, "note": "", "considered": len(members),
                               "rounds": ROUNDS, "evaluation": describe_predictions(folds),
                               "dropped": []}
    if len(members) < 2:
        return {**summary, "note": "not built: fewer than two distinct trials completed"}
    worker = WorkerProcess(info.program_dir, options.memory_mb)
    try:
        return _choose_and_refit(worker, members, folds, info, options, cancel, summary)
    except (WorkerLost, NotBuilt) as exc:
        return {**summary, "members": [], "note": f"not built: {exc}"}
    finally:
        worker.close()


def _choose_and_refit(worker: WorkerProcess, members: list[Member], folds: int,
                      info: ProgramInfo, options: OptimizeOptions,
                      cancel: threading.Event | None, summary: dict[str, Any]
                      ) -> dict[str, Any]:
    scored = _predict_all(worker, members, folds, options, cancel, summary["dropped"])
    if len(scored) < 2:
        raise NotBuilt("fewer than two of the best trials could predict again")
    reply = worker.run({"op": "select", "predictions": [path for _, path in scored],
                        "folds": folds, "rounds": ROUNDS}, options.trial_timeout, cancel=cancel)
    if reply["type"] != "result":
        raise NotBuilt(f"the selection failed ({reply.get('reason')})")
    selection = Selection(reply["counts"], reply["score"], reply["singles"], reply["history"])
    maximize = info.direction == "maximize"
    chosen = [{"trial": m.trial, "choice": m.choice, "params": m.params,
               "weight": weight, "alone": alone}
              for (m, _), weight, alone in zip(scored, selection.weights, selection.singles,
                                               strict=True) if weight > 0]
    summary.update(members=chosen, valid_score=selection.score,
                   single_valid_score=max(selection.singles, key=lambda v: v if maximize
                                          else -v))
    why = why_not_kept(selection, maximize)
    if why:
        return {**summary, "members": [], "note": f"not kept: {why}"}
    # about one trial's time per member: each is fitted once more, on train+valid
    reply = worker.run({"op": "final", "members": chosen},
                       options.trial_timeout * len(chosen), cancel=cancel)
    if reply["type"] != "result":
        return {**summary, "members": [], "note": "not kept: refitting it on train+valid "
                f"failed ({reply.get('reason')})"}
    return {**summary, "kept": True, "test_score": reply["value"],
            "test_result": test_line(info.metric, reply["value"], reply)}


def _predict_all(worker: WorkerProcess, members: list[Member], folds: int,
                 options: OptimizeOptions, cancel: threading.Event | None,
                 dropped: list[str]) -> list[tuple[Member, str]]:
    """Each member's validation predictions, saved in the worker's private folder (they
    outlive a worker killed on the next member); a member that fails is dropped."""
    folder = worker.private / "ensemble"
    folder.mkdir(exist_ok=True)
    scored: list[tuple[Member, str]] = []
    for member in members:
        path = str(folder / f"trial-{member.trial}.npy")
        request = {"op": "predict", "choice": member.choice, "params": member.params,
                   "folds": folds, "out": path}
        try:
            reply = worker.run(request, options.trial_timeout, cancel=cancel)
        except WorkerLost as exc:
            if cancel is not None and cancel.is_set():
                raise NotBuilt("the run was cancelled") from exc
            reply = {"type": "error", "reason": str(exc)}
        if reply.get("unsupported"):
            raise NotBuilt(reply["reason"])
        if reply["type"] == "result":
            scored.append((member, path))
        else:
            dropped.append(f"trial {member.trial}: {reply.get('reason')}")
    return scored
