"""How trials are scored: one holdout split, or k-fold CV on small data; fixed once per study."""

from __future__ import annotations

import optuna

SMALL_DATA_ROWS = 1000  # train+valid at or below this: k-fold CV instead of one holdout
CV_FOLDS = 5


def evaluation_folds(study: optuna.Study, rows: dict[str, int]) -> int:
    """0 for the holdout valid split, else the number of CV folds; fixed once per study."""
    if "folds" not in study.user_attrs:
        small = rows.get("train", 0) + rows.get("valid", 0) <= SMALL_DATA_ROWS
        study.set_user_attr("folds", CV_FOLDS if small else 0)
        study.set_user_attr("rows", rows)
    return int(study.user_attrs["folds"])


def test_line(metric: str, score: float | None, reply: dict) -> dict:
    """The test split's line of what pipeline.py runs: its score beside the trivial
    baseline's, as the worker's refit reported them."""
    return {"metric": metric, "score": score, "split": "test", "baseline": reply.get("baseline"),
            "beats_baseline": reply.get("beats_baseline")}


def describe_evaluation(study: optuna.Study) -> str:
    folds, rows = study.user_attrs.get("folds", 0), study.user_attrs.get("rows", {})
    n = rows.get("train", 0) + rows.get("valid", 0)
    if folds:
        return (f"{folds}-fold cross-validation on train+valid ({n} rows, at most "
                f"{SMALL_DATA_ROWS} counts as small data); folds are the pruning steps")
    return f"holdout: fit on train ({rows.get('train')} rows), score on valid ({rows.get('valid')})"
