"""`.text2ml/report.md`: the leaderboard, the best program, its test score, and plots."""

from __future__ import annotations

import json
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from text2ml.synthesis.baseline import baseline_line, baseline_warning
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.sandbox import box

HISTORY_PNG = "optimization_history.png"
IMPORTANCE_PNG = "param_importances.png"


def _label(trial: FrozenTrial) -> str:
    choice = trial.user_attrs.get("choice") or {}
    return " / ".join(f"{slot} {name}" for slot, name in choice.items()) or "(not sampled)"


def leaderboard(study: optuna.Study) -> list[dict[str, Any]]:
    """One row per combination of candidates, best first."""
    groups: dict[str, list[FrozenTrial]] = defaultdict(list)
    for trial in study.get_trials(deepcopy=False):
        if trial.state != TrialState.RUNNING:
            groups[_label(trial)].append(trial)
    sign = 1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1
    rows = []
    for label, trials in groups.items():
        values = [t.value for t in trials if t.state == TrialState.COMPLETE]
        states = Counter(t.state.name for t in trials)
        rows.append({"candidates": label, "best": max(values, key=lambda v: sign * v)
                     if values else None, "trials": len(trials), **states})
    return sorted(rows, key=lambda r: (r["best"] is None, -sign * (r["best"] or 0)))


def save_plots(study: optuna.Study, out_dir: Path) -> dict[str, str]:
    """PNG plots that exist, by file name; a plot that cannot be drawn says why instead."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as vis

    notes: dict[str, str] = {}
    for name, draw in ((HISTORY_PNG, vis.plot_optimization_history),
                       (IMPORTANCE_PNG, vis.plot_param_importances)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                axes = draw(study)
            figure = axes.figure
            figure.set_size_inches(8, 4.5)
            figure.tight_layout()
            tmp = out_dir / f".{name}.tmp.png"
            figure.savefig(tmp, dpi=110)
            tmp.replace(out_dir / name)
            plt.close(figure)
            notes[name] = ""
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            notes[name] = f"not drawn: {exc}"
    return notes


def _failures(study: optuna.Study) -> list[tuple[str, int]]:
    reasons = Counter(t.user_attrs.get("reason", "no reason recorded")
                      for t in study.get_trials(deepcopy=False)
                      if t.state in (TrialState.FAIL, TrialState.PRUNED))
    return reasons.most_common(8)


def _member_label(choice: dict[str, str]) -> str:
    return " / ".join(f"{slot} {name}" for slot, name in choice.items())


def ensemble_lines(ensemble: dict[str, Any] | None, metric: str,
                   single_test: float | None) -> list[str]:
    """The report's ensemble section: what it gained on validation and its test score
    beside the best single program's, or why it was not kept."""
    if ensemble is None:
        return []
    lines = ["## Ensemble", ""]
    if ensemble.get("valid_score") is not None:
        gain = ensemble["valid_score"] - ensemble["single_valid_score"]
        lines.append(
            f"Greedy selection with replacement ({ensemble['rounds']} rounds) over the "
            f"{ensemble['considered']} best distinct trials' {ensemble['evaluation']}: "
            f"validation {metric} **{ensemble['valid_score']:.4f}** against "
            f"{ensemble['single_valid_score']:.4f} for the best single program on the same "
            f"predictions ({gain:+.4f}).")
    if ensemble["kept"]:
        single = f"{single_test:.4f}" if single_test is not None else "not scored"
        lines += ["", f"Kept: test {metric} **{ensemble['test_score']:.4f}** against {single} "
                  "for the best single program (both refit on train+valid). `pipeline.py` "
                  "runs this ensemble (`best_params.json`, \"ensemble\").", "",
                  "| weight | trial | candidates | alone on validation |", "|---:|---:|---|---:|"]
        lines += [f"| {m['weight']:.2f} | {m['trial']} | {_member_label(m['choice'])} | "
                  f"{m['alone']:.4f} |" for m in ensemble["members"]]
    else:
        lines += ["", f"{ensemble['note'][:1].upper()}{ensemble['note'][1:]}; `pipeline.py` "
                  "runs the best single program."]
    dropped = [f"- dropped {reason}" for reason in ensemble.get("dropped", [])]
    return [*lines, *([""] + dropped if dropped else []), ""]


def write_report(path: Path, study: optuna.Study, summary: dict[str, Any]) -> Path:
    """summary: task, metric, direction, evaluation, counts, best_value, best, test_score,
    test_note, storage, test_result (the test line of what pipeline.py runs, with its
    baseline), and ensemble (finish.build_ensemble's summary, when one was tried)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # absent when the study lives elsewhere
    notes = save_plots(study, path.parent)
    counts = summary["counts"]
    test_result = summary.get("test_result")
    warning = baseline_warning(test_result)
    lines = [
        "# Optimization report", "",
        *([f"> **Warning.** {warning}", ""] if warning else []),
        f"Task: {summary['task']}", "",
        f"- Metric: **{summary['metric']}** ({summary['direction']})",
        f"- Evaluation: {summary['evaluation']}",
        f"- Trials: {sum(counts.values())} — {counts.get('COMPLETE', 0)} complete, "
        f"{counts.get('PRUNED', 0)} pruned, {counts.get('FAIL', 0)} failed",
        f"- Study: `{study.study_name}` in `{summary['storage']}` (re-running resumes it)", "",
        "## Best program", "",
    ]
    if summary.get("best_value") is None:
        lines += ["No trial completed, so there is no best program yet; see the failures below.",
                  ""]
    else:
        lines += [f"- Validation {summary['metric']}: **{summary['best_value']:.4f}**",
                  f"- Test {summary['metric']}: " + (
                      f"**{summary['test_score']:.4f}** (refit on train+valid, the locked test "
                      "split scored once)" if summary.get("test_score") is not None
                      else summary.get("test_note", "not scored")),
                  *([f"- Test {baseline_line(test_result)}"] if baseline_line(test_result)
                    else []),
                  *(["- `pipeline.py` runs the ensemble below instead: it beat this program "
                     "on validation"] if (summary.get("ensemble") or {}).get("kept") else []),
                  "",
                  "```json", json.dumps(summary["best"], indent=2), "```", ""]
        lines += ensemble_lines(summary.get("ensemble"), summary["metric"],
                                summary.get("test_score"))
    lines += ["## Leaderboard of candidates", "",
              "| rank | candidates | best | trials | complete | pruned | failed |",
              "|---:|---|---:|---:|---:|---:|---:|"]
    for rank, row in enumerate(leaderboard(study), 1):
        best = f"{row['best']:.4f}" if row["best"] is not None else "—"
        lines.append(f"| {rank} | {row['candidates']} | {best} | {row['trials']} | "
                     f"{row.get('COMPLETE', 0)} | {row.get('PRUNED', 0)} | {row.get('FAIL', 0)} |")
    failures = _failures(study)
    if failures:
        lines += ["", "## Failed and pruned trials", ""]
        lines += [f"- {count}× {reason}" for reason, count in failures]
    lines += ["", "## Plots", ""]
    for name, title in ((HISTORY_PNG, "Optimization history"),
                        (IMPORTANCE_PNG, "Parameter importances")):
        lines.append(f"![{title}]({name})" if not notes[name] else f"{title}: {notes[name]}")
        lines.append("")
    # right under the title: trials ran without the sandbox's box on this machine
    lines[2:2] = [line for text in box.missing_layers() for line in (f"> **Warning.** {text}", "")]
    write_atomic(path, "\n".join(lines))
    return path
