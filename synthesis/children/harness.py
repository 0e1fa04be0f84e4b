"""Child-process entry that runs one candidate module against its contract on real data.

Usage (cwd = the program folder, request as JSON on stdin):
    python -m text2ml.synthesis.children.harness
    {"slot": "model", "candidate": "c2", "choice": {"features": "c1"}, "sample": 2000}
Prints one JSON line (`children.protocol`; the module's own prints go to stderr):
    {"ok", "failures": [...], "profile": {...}, "score": float | null}.
Upstream slots use the accepted candidates in `choice`, so each module is tested on the real
output of the modules before it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from text2ml.synthesis.children.protocol import say, take_stdout
from text2ml.synthesis.layout import PIPELINE, candidate_path
from text2ml.synthesis.profiles import array_profile, target_profile


class CheckFailed(Exception):
    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


def _import_pipeline(program: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("program_pipeline", program / PIPELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line_in(tb: traceback.StackSummary, path: Path) -> int | None:
    lines = [frame.lineno for frame in tb if Path(frame.filename).resolve() == path.resolve()]
    return lines[-1] if lines else None


def _sample(X: Any, y: Any, n: int) -> tuple[Any, Any]:
    if len(X) <= n:
        return X, y
    rows = np.random.default_rng(0).choice(len(X), size=n, replace=False)
    rows.sort()
    return X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)


def _is_numeric_finite(array: Any) -> bool:
    values = array.data if hasattr(array, "nnz") else np.asarray(array)
    return np.issubdtype(values.dtype, np.number) and bool(np.isfinite(values).all())


def _check_predictions(y_pred: Any, n_rows: int, y_known: Any, problem_type: str) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred.ravel()
    if y_pred.shape != (n_rows,):
        raise CheckFailed("shape", f"expected {n_rows} predictions (one per row), got an array "
                          f"of shape {y_pred.shape}")
    if problem_type == "classification":
        unknown = set(np.unique(y_pred).tolist()) - set(np.unique(np.asarray(y_known)).tolist())
        if unknown:
            raise CheckFailed("labels", f"predictions contain values that are not class labels "
                              f"of the target: {sorted(map(str, unknown))[:5]}")
    elif not (np.issubdtype(y_pred.dtype, np.number) and np.isfinite(y_pred).all()):
        raise CheckFailed("finite", "predictions must be finite numbers (found NaN, inf or text)")
    return y_pred


class Harness:
    def __init__(self, program: Path, request: dict[str, Any]) -> None:
        self.program = program
        self.pipeline = _import_pipeline(program)
        self.problem_type = self.pipeline.PROGRAM["problem_type"]
        data = self.pipeline.load_data_module()
        parts = data.split(*data.load_data())
        n = int(request.get("sample", 2000))
        self.X_tr, self.y_tr = _sample(*parts["train"], n)
        self.X_va, self.y_va = _sample(*parts["valid"], max(n // 2, 200))
        self.choice: dict[str, str] = dict(request.get("choice", {}))
        self.slot, self.candidate = request["slot"], request["candidate"]
        self.choice[self.slot] = self.candidate

    def module(self, slot: str) -> tuple[ModuleType, dict[str, Any]]:
        module = self.pipeline.load_slot(slot, self.choice[slot])
        return module, self.pipeline.default_params(module)

    def features(self) -> tuple[Any, Any]:
        module, params = self.module("features")
        transformer = module.build_features(params)
        if not (hasattr(transformer, "fit") and hasattr(transformer, "transform")):
            raise CheckFailed("type", f"build_features returned a {type(transformer).__name__}, "
                              "which has no fit/transform; return a transformer")
        F_tr = transformer.fit(self.X_tr, self.y_tr).transform(self.X_tr)
        F_va = transformer.transform(self.X_va)
        for name, F, X in (("train", F_tr, self.X_tr), ("valid", F_va, self.X_va)):
            if getattr(F, "ndim", 0) != 2 or F.shape[0] != len(X):
                raise CheckFailed("shape", f"features of the {name} rows have shape "
                                  f"{getattr(F, 'shape', None)}; expected ({len(X)}, k)")
            if not _is_numeric_finite(F):
                raise CheckFailed("finite", f"features of the {name} rows are not all finite "
                                  "numbers (NaN, inf or text left); impute and encode them")
        if F_tr.shape[1] != F_va.shape[1]:
            raise CheckFailed("shape", "train and valid features have different column counts")
        return F_tr, F_va

    def predict(self) -> np.ndarray:
        F_tr, F_va = self.features()
        module, params = self.module("model")
        model = module.build_model(params)
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise CheckFailed("type", f"build_model returned a {type(model).__name__}, which has "
                              "no fit/predict; return an unfitted estimator")
        if "training" in self.choice:
            training, t_params = self.module("training")
            model = training.train(model, F_tr, self.y_tr, F_va, self.y_va, t_params, None)
            if model is None or not hasattr(model, "predict"):
                raise CheckFailed("type", "train must return the fitted model")
        else:
            model.fit(F_tr, self.y_tr)
        rows = F_va.shape[0]  # not len(): sparse features (TF-IDF) have no length
        y_pred = _check_predictions(model.predict(F_va), rows, self.y_tr, self.problem_type)
        if "postprocess" in self.choice:
            post, p_params = self.module("postprocess")
            y_pred = _check_predictions(post.postprocess(y_pred, self.y_tr, p_params),
                                        rows, self.y_tr, self.problem_type)
        return y_pred

    def run(self) -> dict[str, Any]:
        if self.slot == "features":
            F_tr, _ = self.features()
            return {"profile": {"features": array_profile(F_tr),
                                "target": target_profile(self.y_tr, self.problem_type)},
                    "score": None}
        y_pred = self.predict()
        score = self.pipeline.score(self.y_va, y_pred)
        if not math.isfinite(score):
            raise CheckFailed("metric", f"the validation {self.pipeline.PROGRAM['metric']} is "
                              f"{score}, not a finite number")
        return {"profile": {"predictions": array_profile(y_pred.reshape(-1, 1))}, "score": score}


def main() -> int:
    channel = take_stdout()
    request = json.loads(sys.stdin.read())
    program = Path.cwd()
    path = candidate_path(program, request["slot"], request["candidate"])
    try:
        outcome = Harness(program, request).run()
        say({"ok": True, "failures": [], **outcome}, channel)
    except Exception as exc:  # every failure becomes a record for the repair prompt
        tb = traceback.extract_tb(exc.__traceback__)
        check = exc.check if isinstance(exc, CheckFailed) else "runtime"
        message = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or "Unable to allocate" in message:
            check = "memory"
            message = (f"the module ran out of memory ({message}); use less memory: smaller "
                       "models, fewer estimators, no copies of the data")
        failure = {"check": check, "message": message[:2000], "line": _line_in(tb, path),
                   "traceback": "".join(traceback.format_exception(exc, limit=-8))[-4000:]}
        say({"ok": False, "failures": [failure], "profile": {}, "score": None}, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
