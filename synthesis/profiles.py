"""Short, prompt-sized descriptions of real data: what the next module will receive.

Runs inside child processes (the probe and the test harness); the text it builds goes into
prompts so the LLM writes code against the data as it really is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MAX_COLUMNS = 30
MAX_CELL = 40
MAX_LEVELS = 12  # a column with this many values or fewer lists them: "rain, snow, sun"


def _cell(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def frame_profile(frame: pd.DataFrame) -> dict[str, Any]:
    columns = []
    for name in frame.columns[:MAX_COLUMNS]:
        col = frame[name]
        columns.append({
            "name": str(name),
            "dtype": str(col.dtype),
            "missing": int(col.isna().sum()),
            "unique": int(col.nunique(dropna=True)),
            "example": _cell(col.dropna().iloc[0]) if col.notna().any() else "",
            "levels": _levels(col),
        })
    head = [[_cell(v) for v in row] for row in frame.iloc[:3, :MAX_COLUMNS].itertuples(index=False)]
    return {
        "rows": int(frame.shape[0]),
        "columns_total": int(frame.shape[1]),
        "columns": columns,
        "head": head,
    }


def _levels(col: pd.Series) -> list[str]:
    """The values of a column that has few, as text: a task may name the target by them
    ("malignant or benign", "rain or shine")."""
    try:
        values = col.dropna().unique()
    except TypeError:  # unhashable cells (lists, dicts) have no levels to speak of
        return []
    if len(values) > MAX_LEVELS:
        return []
    return sorted(_cell(v) for v in values)


def target_profile(y: pd.Series, problem_type: str) -> dict[str, Any]:
    if problem_type == "classification":
        counts = y.value_counts().head(20)
        return {"kind": "classes", "dtype": str(y.dtype),
                "balance": {_cell(k): int(v) for k, v in counts.items()},
                "n_classes": int(y.nunique())}
    values = pd.to_numeric(y, errors="coerce")
    return {"kind": "numeric", "dtype": str(y.dtype), "min": float(values.min()),
            "max": float(values.max()), "mean": float(values.mean())}


def array_profile(array: Any) -> dict[str, Any]:
    """Shape, dtype and a corner of a features matrix (dense or sparse)."""
    sparse = hasattr(array, "toarray") and hasattr(array, "nnz")
    corner = array[:3].toarray() if sparse else np.asarray(array)[:3]
    if corner.ndim == 2:
        corner = corner[:, :8]
    return {
        "type": type(array).__name__,
        "shape": list(getattr(array, "shape", ())),
        "dtype": str(getattr(array, "dtype", "")),
        "sparse": bool(sparse),
        "corner": np.round(np.asarray(corner, dtype=float), 4).tolist()
        if np.issubdtype(np.asarray(corner).dtype, np.number) else [],
    }


def describe(profile: dict[str, Any], max_columns: int = 16) -> str:
    """The profile as a few compact lines of text for a prompt."""
    if "columns" in profile and max_columns == 0:
        kinds = sorted({c["dtype"] for c in profile["columns"]})
        missing = any(c["missing"] for c in profile["columns"])
        return (f"{profile['rows']} rows, {profile['columns_total']} columns ({', '.join(kinds)}"
                f"{'; some values missing' if missing else ''})")
    if "columns" in profile:
        lines = [f"{profile['rows']} rows, {profile['columns_total']} columns:"]
        for c in profile["columns"][:max_columns]:
            miss = f", {c['missing']} missing" if c["missing"] else ""
            lines.append(f"  {c['name']}: {c['dtype']}, {c['unique']} unique{miss}, "
                         f"e.g. {c['example']!r}")
        shown = min(len(profile["columns"]), max_columns)
        if profile["columns_total"] > shown:
            lines.append(f"  … and {profile['columns_total'] - shown} more")
        return "\n".join(lines)
    if "shape" in profile:
        return (f"{profile['type']} of shape {tuple(profile['shape'])}, dtype {profile['dtype']}"
                f"{', sparse' if profile['sparse'] else ''}; first rows: {profile['corner']}")
    return ", ".join(f"{k}: {v}" for k, v in profile.items())
