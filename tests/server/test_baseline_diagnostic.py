"""A task whose program does not beat the trivial baseline gets a warning on its block."""

from __future__ import annotations

from lsprotocol import types

from text2ml.server.diagnostics import baseline_diagnostic
from text2ml.synthesis.task import find_task_blocks

SOURCE = "import x\n# TASK: Forecast the weekly co2 from statsmodels co2. Measure MAE.\n"


def line(beats: bool) -> dict:
    return {"metric": "mae", "score": 5.65, "split": "valid", "beats_baseline": beats,
            "baseline": {"name": "last value", "score": 0.405}}


def test_losing_to_the_baseline_is_a_warning_on_the_task_block() -> None:
    (block,) = find_task_blocks(SOURCE)
    found = baseline_diagnostic(block, line(False))
    assert found is not None and found.severity == types.DiagnosticSeverity.Warning
    assert found.code == "baseline" and found.range.start.line == 1
    assert "does not beat the trivial baseline: validation mae 5.6500 against 0.4050 for the " \
           "last value" in found.message


def test_beating_it_or_no_line_clears_it() -> None:
    (block,) = find_task_blocks(SOURCE)
    assert baseline_diagnostic(block, line(True)) is None
    assert baseline_diagnostic(block, None) is None
    assert baseline_diagnostic(block, {"error": "pipeline.py crashed"}) is None
