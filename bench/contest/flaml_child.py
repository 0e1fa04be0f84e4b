"""FLAML on the reference split: fit on train+valid within the budget, score the test split.

Run as a child:  python flaml_child.py REFERENCE_DIR SECONDS  → one JSON line.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any


def load_pipeline(folder: Path) -> Any:
    """The reference pipeline.py; it imports data.py and holds the metric code."""
    spec = importlib.util.spec_from_file_location("pipeline", folder / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def task_metric(pipeline: Any, metric: str, sign: float) -> Any:
    """The task's own metric as FLAML's loss (smaller is better), computed by pipeline.score."""

    def loss(X_val: Any, y_val: Any, estimator: Any, *args: Any, **kwargs: Any) -> Any:
        value = pipeline.score(y_val, estimator.predict(X_val), metric)
        return sign * value, {metric: value}

    return loss


def main(folder: Path, seconds: float) -> dict[str, Any]:
    import pandas as pd
    from flaml import AutoML

    pipeline = load_pipeline(folder)
    data = pipeline.load_data_module()
    parts = data.split(*data.load_data())
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = parts["train"], parts["valid"], parts["test"]
    X_fit, y_fit = pd.concat([X_tr, X_va], ignore_index=True), pd.concat([y_tr, y_va],
                                                                        ignore_index=True)
    metric = pipeline.PROGRAM["metric"]
    task = "classification" if data.PROBLEM_TYPE == "classification" else "regression"
    automl = AutoML()
    started = time.monotonic()
    sign = -1.0 if pipeline.PROGRAM["direction"] == "maximize" else 1.0
    automl.fit(X_fit, y_fit, task=task, time_budget=seconds, seed=42, n_jobs=2, verbose=0,
               metric=task_metric(pipeline, metric, sign))
    y_pred = automl.predict(X_te)
    return {"score": pipeline.score(y_te, y_pred, metric), "best_model": automl.best_estimator,
            "fit_seconds": round(time.monotonic() - started, 1), "test_rows": len(y_te)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), float(sys.argv[2]))))
