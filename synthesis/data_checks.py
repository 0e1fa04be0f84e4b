"""What the data must have before any LLM call is paid for: enough rows, a target with
values, and (to classify) two classes at least. Checked on the probe's profile of the real
data, right after the task is understood; a refusal gives the numbers."""

from __future__ import annotations

from typing import Any

from text2ml.synthesis.records import TaskError

# Train, valid and test splits each need a few rows; below this no score means anything.
MIN_ROWS = 20


def check_data(rows: int | None, target: str, target_profile: dict[str, Any] | None,
               problem_type: str) -> None:
    """TaskError when the data cannot make a program; nothing when it can (or when the
    profile does not describe the target, e.g. beyond its first columns)."""
    hint = "Point the task at a larger table, or at another target column."
    if rows is not None and rows < MIN_ROWS:
        raise TaskError(f"The data has {rows} row{'s' * (rows != 1)}; text2ml needs at least "
                        f"{MIN_ROWS} to train, validate and test a program.", hint=hint)
    if rows is None or not target_profile:
        return
    known = rows - int(target_profile.get("missing", 0))
    if known == 0:
        raise TaskError(f"The target column `{target}` has no values: all {rows} rows are "
                        "empty (NaN).", hint=hint)
    if known < MIN_ROWS:
        raise TaskError(f"The target column `{target}` has a value in only {known} of {rows} "
                        f"rows; text2ml needs at least {MIN_ROWS}.", hint=hint)
    distinct = int(target_profile.get("unique", 2))
    if distinct < 2:
        kind = "class" if problem_type == "classification" else "value"
        example = target_profile.get("example", "")
        raise TaskError(f"The target column `{target}` has a single {kind} ({example!s}) in "
                        f"all {known} rows: there is nothing to predict.", hint=hint)


def check_spec(spec: Any) -> None:
    """`check_data` on a TaskSpec, from the profile its data source carries."""
    profile = spec.data.profile or {}
    columns = {c.get("name"): c for c in profile.get("columns", [])}
    check_data(profile.get("rows"), spec.target, columns.get(spec.target), spec.problem_type)
