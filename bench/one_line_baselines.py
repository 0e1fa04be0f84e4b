"""What a user gets from one line of scikit-learn, on a text2ml program's own split.

    python bench/one_line_baselines.py PROGRAM_DIR

Fits each one-liner on train+valid of the program's data.py (the same 60/20/20 split,
seed 42, chronological for forecasts), scores the locked test split with pipeline.py's own
metric code, and prints one JSON object: the trivial baseline, the one-liners, and the
program's refit test score (best_params.json) when it has been optimized.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # a shared machine: one thread per fit


def load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_liners(problem_type: str) -> dict[str, Any]:
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def onehot() -> Any:
        return make_column_transformer(
            (make_pipeline(SimpleImputer(), StandardScaler()),
             make_column_selector(dtype_include="number")),
            (make_pipeline(SimpleImputer(strategy="most_frequent"),
                           OneHotEncoder(handle_unknown="ignore")),
             make_column_selector(dtype_exclude="number")))

    def ordinal() -> Any:
        from sklearn.preprocessing import OrdinalEncoder

        return make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
             make_column_selector(dtype_exclude="number")), remainder="passthrough")

    if problem_type == "classification":
        return {"one-hot + logistic regression": make_pipeline(onehot(), LogisticRegression(
                    max_iter=3000)),
                "HistGradientBoosting, defaults": make_pipeline(
                    ordinal(), HistGradientBoostingClassifier(random_state=0))}
    return {"one-hot + linear regression": make_pipeline(onehot(), LinearRegression()),
            "HistGradientBoosting, defaults": make_pipeline(
                ordinal(), HistGradientBoostingRegressor(random_state=0))}


def main(program_dir: str) -> int:
    import pandas as pd

    folder = Path(program_dir).resolve()
    sys.path.insert(0, str(folder))
    pipeline = load(folder / "pipeline.py", "program_pipeline")
    data = pipeline.load_data_module()
    parts = data.split(*data.load_data())
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = parts["train"], parts["valid"], parts["test"]
    X_fit, y_fit = pd.concat([X_tr, X_va]), pd.concat([y_tr, y_va])
    problem = pipeline.PROGRAM["problem_type"]
    scores = {name: pipeline.score(y_te, model.fit(X_fit, y_fit).predict(X_te))
              for name, model in one_liners(problem).items()}
    best = folder / "best_params.json"
    saved = json.loads(best.read_text()) if best.exists() else {}
    print(json.dumps({"program": folder.name, "metric": pipeline.PROGRAM["metric"],
                      "trivial": pipeline.baseline(X_fit, y_fit, X_te, y_te),
                      "one_liners": scores, "text2ml_test": saved.get("test_score"),
                      "text2ml_choice": saved.get("choice")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
