"""The optimization report says where the program stands against the trivial baseline."""

from __future__ import annotations

from pathlib import Path

import optuna

from text2ml.optimization.report import write_report
from text2ml.synthesis.baseline import baseline_line, baseline_warning


def summary(test_score: float, baseline: float, beats: bool) -> dict:
    return {"task": "forecast co2", "metric": "mae", "direction": "minimize",
            "evaluation": "validation split", "counts": {"COMPLETE": 1}, "storage": "memory",
            "best_value": 0.5, "best": {"choice": {}, "params": {}}, "test_score": test_score,
            "test_note": "", "test_result": {"metric": "mae", "score": test_score,
                                             "split": "test", "beats_baseline": beats,
                                             "baseline": {"name": "last value",
                                                          "score": baseline}}}


def study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    one = optuna.create_study(direction="minimize")
    one.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    return one


def test_a_program_losing_to_the_baseline_is_flagged_at_the_top(tmp_path: Path) -> None:
    text = write_report(tmp_path / "report.md", study(), summary(5.65, 0.405, False)).read_text()
    head = text.split("## Best program")[0]
    assert "**Warning.** The program does not beat the trivial baseline: test mae 5.6500 " \
           "against 0.4050 for the last value" in head
    assert "- Test trivial baseline (last value): 0.4050" in text


def test_a_program_beating_it_gets_the_line_but_no_warning(tmp_path: Path) -> None:
    text = write_report(tmp_path / "report.md", study(), summary(0.36, 0.405, True)).read_text()
    assert "Warning" not in text and "trivial baseline (last value): 0.4050" in text


def test_lines_without_a_baseline_say_nothing() -> None:
    assert baseline_line({"score": 1.0}) == "" and baseline_warning(None) == ""
