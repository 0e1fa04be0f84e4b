"""The end of a study: refit the best on train+valid, score test once, write the results."""

from __future__ import annotations

import json

import optuna
from optuna.trial import TrialState

from text2ml.optimization.evaluation import describe_evaluation
from text2ml.optimization.program_info import ProgramInfo
from text2ml.optimization.report import write_report
from text2ml.optimization.space import config_from_params
from text2ml.optimization.storage import default_storage_url, shown_url
from text2ml.optimization.types import OptimizeError, OptimizeOptions, OptimizeResult
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.layout import BEST_PARAMS, REPORT, read_program_json


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


def finish_study(info: ProgramInfo, study: optuna.Study, options: OptimizeOptions,
                 cancelled: bool) -> OptimizeResult:
    counts = trial_counts(study)
    program = read_program_json(info.program_dir) or {}
    summary = {"task": program.get("task", ""), "metric": info.metric,
               "direction": info.direction, "evaluation": describe_evaluation(study),
               "counts": {k: v for k, v in counts.items() if v},
               "storage": shown_url(options.storage or default_storage_url(info.program_dir)),
               "best_value": None, "best": None, "test_score": None, "test_note": ""}
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
        test_score, summary["test_note"], reply = score_test(info, choice, params, options)
        summary["test_score"] = test_score
        if reply.get("baseline"):
            summary["test_result"] = {"metric": info.metric, "score": test_score,
                                      "split": "test", "baseline": reply["baseline"],
                                      "beats_baseline": reply.get("beats_baseline")}
        saved = {"choice": choice, "params": params, "metric": info.metric,
                 "direction": info.direction, "best_value": best.value,
                 "test_score": test_score, "n_trials": sum(counts.values()),
                 "trial": best.number, "evaluation": summary["evaluation"],
                 "baseline": reply.get("baseline"),
                 "study": study.study_name}
        write_atomic(info.program_dir / BEST_PARAMS, json.dumps(saved, indent=2) + "\n")
    write_report(report_path, study, summary)
    return OptimizeResult(best.value, {"choice": choice, "params": params}, test_score,
                          report_path, sum(counts.values()), counts["COMPLETE"], counts["FAIL"],
                          counts["PRUNED"], info.metric, info.direction)
