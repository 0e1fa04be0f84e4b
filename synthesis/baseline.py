"""What a program's score means next to the trivial baseline pipeline.py scores beside it.

pipeline.py's JSON line carries `baseline` ({"name", "score"}: majority class, mean or
median, last value or seasonal naive, on the same rows) and `beats_baseline`; these words
are shared by the CLI, the optimization report and the editor's diagnostic.
"""

from __future__ import annotations

from typing import Any


def baseline_line(result: dict[str, Any] | None) -> str:
    """'trivial baseline (majority class): 0.4493', or '' for a line without one."""
    trivial = (result or {}).get("baseline")
    if not trivial:
        return ""
    return f"trivial baseline ({trivial['name']}): {trivial['score']:.4f}"


def baseline_warning(result: dict[str, Any] | None) -> str:
    """A warning when the program does not beat the trivial baseline, else ''."""
    result = result or {}
    trivial = result.get("baseline")
    if not trivial or result.get("beats_baseline", True) or "score" not in result:
        return ""
    split = {"valid": "validation", "test": "test"}.get(result.get("split", ""), "")
    return (f"The program does not beat the trivial baseline: {split} {result['metric']} "
            f"{result['score']:.4f} against {trivial['score']:.4f} for the {trivial['name']} "
            "on the same rows. Optimize it, or check the task's target and data.")
