"""The end of a study: refit the best on train+valid, score test once, try the greedy
ensemble of the best trials, write the results."""

from __future__ import annotations

import json
import threading
from typing import Any

import optuna
from optuna.trial import TrialState

from text2ml.optimization.ensemble import build_ensemble
from text2ml.optimization.evaluation import describe_evaluation, test_line
from text2ml.optimization.program_info import ProgramInfo
from text2ml.optimization.report import write_report
from text2ml.optimization.space import config_from_params
from text2ml.optimization.storage import default_storage_url, shown_url
from text2ml.optimization.types import OptimizeError, OptimizeOptions, OptimizeResult
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.layout import BEST_PARAMS, REPORT, read_program_json

# what best_params.json keeps of a kept ensemble: pipeline.py reads its members
ENSEMBLE_SAVED = ("members", "valid_score", "single_valid_score", "test_score", "evaluation",
                  "rounds")


def trial_counts(study: optuna.Study) -> dict[str, int]:
    trials = study.get_trials(deepcopy=False)
    return {state.name: sum(t.state == state for t in trials) for state in TrialState}


def score_test(info: ProgramInfo, choice: dict, params: dict,
               options: OptimizeOptions) -> tuple[float | None, str, dict]:
    """pipeline.run(final=True) in a child process under the same limits as the trials; the
    score, a note when there is none, and the reply (with the trivial baseline's score)."""
    worker = WorkerProcess(info.program_dir, options.memory_mb)
    try:
        reply = worker.run({"op": "final", "choice": choice, "params": params},
                           options.trial_timeout)
    except WorkerLost as exc:
        return None, f"not scored: the refit failed ({exc})", {}
    finally:
        worker.close()
    if reply["type"] != "result":
        return None, f"not scored: the refit failed ({reply.get('reason')})", {}
    return reply["value"], "", reply


def _start_summary(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                   counts: dict[str, int]) -> dict[str, Any]:
    program = read_program_json(info.program_dir) or {}
    return {"task": program.get("task", ""), "metric": info.metric,
            "direction": info.direction, "evaluation": describe_evaluation(study),
            "counts": {k: v for k, v in counts.items() if v},
            "storage": shown_url(options.storage or default_storage_url(info.program_dir)),
            "best_value": None, "best": None, "test_score": None, "test_note": ""}


def finish_study(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                 cancelled: bool, cancel: threading.Event | None = None) -> OptimizeResult:
    counts = trial_counts(study)
    summary = _start_summary(info, study, options, counts)
    report_path = info.program_dir / REPORT
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if not complete:
        write_report(report_path, study, summary)
        reasons = "; ".join(sorted({t.user_attrs.get("reason", "?") for t in
                                    study.get_trials(deepcopy=False)})[:3])
        raise OptimizeError(f"no trial of {info.program_dir.name} completed"
                            + (f" ({reasons})" if reasons else "")
                            + f"; see {report_path}")
    best = study.best_trial
    choice, params = config_from_params(best.params, info)
    summary.update(best_value=best.value, best={"choice": choice, "params": params})
    test_score = None
    if cancelled:
        summary["test_note"] = "not scored: the run was cancelled (re-run to resume and finish)"
    else:
        test_score = _score_and_save(info, study, options, cancel, summary, counts)
    write_report(report_path, study, summary)
    return OptimizeResult(best.value, {"choice": choice, "params": params}, test_score,
                          report_path, sum(counts.values()), counts["COMPLETE"], counts["FAIL"],
                          counts["PRUNED"], info.metric, info.direction,
                          summary.get("ensemble"))


def _score_and_save(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                    cancel: threading.Event | None, summary: dict[str, Any],
                    counts: dict[str, int]) -> float | None:
    """Score the best on test, try the ensemble, write best_params.json; the test score of
    what pipeline.py now runs (the ensemble when it was kept)."""
    best, choice, params = study.best_trial, summary["best"]["choice"], summary["best"]["params"]
    test_score, summary["test_note"], reply = score_test(info, choice, params, options)
    summary["test_score"] = test_score
    if reply.get("baseline"):
        summary["test_result"] = test_line(info.metric, test_score, reply)
    ensemble = build_ensemble(info, study, options, cancel) if options.ensemble >= 2 else None
    summary["ensemble"] = ensemble
    kept = ensemble is not None and ensemble["kept"]
    if kept:  # the baseline warning is about the program that runs
        summary["test_result"] = ensemble["test_result"]
    runs = ensemble["test_score"] if kept else test_score
    saved = {**summary["best"], "metric": info.metric,
             "direction": info.direction, "best_value": best.value,
             "test_score": runs, "n_trials": sum(counts.values()),
             "trial": best.number, "evaluation": summary["evaluation"],
             "baseline": reply.get("baseline"),
             "study": study.study_name}
    if kept:
        saved["ensemble"] = {**{key: ensemble[key] for key in ENSEMBLE_SAVED},
                             "single_test_score": test_score}
    write_atomic(info.program_dir / BEST_PARAMS, json.dumps(saved, indent=2) + "\n")
    return runs
