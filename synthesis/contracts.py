"""The slots of a program and the contract each generated module must meet.

Small models write working modules when shown one finished module in the exact shape: the
prompts show each candidate a different recipe (`synthesis/recipes/`); the contract's own
`example` is the minimal module of that shape, kept for the static checks' tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contract:
    slot: str
    function: str
    signature: str
    duty: str
    checks: tuple[str, ...]

    def example(self, problem_type: str) -> str:
        return EXAMPLES[self.slot][_family(problem_type)]


def _family(problem_type: str) -> str:
    return "classification" if problem_type == "classification" else "regression"


CONTRACTS: dict[str, Contract] = {
    "features": Contract(
        "features", "build_features", "def build_features(params: dict)",
        "Return an UNFITTED scikit-learn transformer (for example a Pipeline or "
        "ColumnTransformer) that turns the raw feature DataFrame X into a numeric matrix.",
        ("build_features returns an object with fit and transform",
         "the output keeps the number of rows", "the output is numeric with no NaN or inf")),
    "model": Contract(
        "model", "build_model", "def build_model(params: dict)",
        "Return an UNFITTED estimator with fit(X, y) and predict(X), X being the numeric "
        "matrix the features step produced.",
        ("build_model returns an object with fit and predict",
         "predictions have one value per row", "predictions are valid target values")),
    "training": Contract(
        "training", "train",
        "def train(model, X_train, y_train, X_valid, y_valid, params: dict, report=None)",
        "Fit the model on the training data and return the fitted model. If report is not "
        "None you may call report(step, score) with a validation score after a step.",
        ("train returns a fitted model", "the fitted model predicts the validation rows")),
    "postprocess": Contract(
        "postprocess", "postprocess", "def postprocess(y_pred, y_train, params: dict)",
        "Return the final predictions: same length as y_pred, valid target values "
        "(for example clip regression outputs to the range seen in y_train).",
        ("postprocess keeps one prediction per row", "the predictions are valid target values")),
}

_FEATURES_EXAMPLE = '''"""Features: impute and scale numeric columns, one-hot encode the others."""
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEARCH_SPACE = {
    "impute_strategy": {"type": "categorical", "choices": ["median", "mean"]},
}


def build_features(params: dict):
    numeric = make_pipeline(SimpleImputer(strategy=params["impute_strategy"]), StandardScaler())
    other = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        # at most 20 columns per text column: free text one-hot encoded would not fit in memory
        OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=20,
                      sparse_output=False),
    )
    return ColumnTransformer([
        ("numeric", numeric, make_column_selector(dtype_include="number")),
        ("other", other, make_column_selector(dtype_exclude="number")),
    ])
'''

_MODEL_EXAMPLE = '''"""Model: random forest."""
from sklearn.ensemble import {forest}

SEARCH_SPACE = {{
    "n_estimators": {{"type": "int", "low": 50, "high": 300}},
    "max_depth": {{"type": "int", "low": 2, "high": 16}},
    "random_state": 0,
}}


def build_model(params: dict):
    return {forest}(
        n_estimators=params["n_estimators"],
        max_depth=params["max_depth"],
        random_state=params["random_state"],
    )
'''

_TRAINING_EXAMPLE = '''"""Training: fit on the training rows, report the validation score once."""
SEARCH_SPACE = {}


def train(model, X_train, y_train, X_valid, y_valid, params: dict, report=None):
    model.fit(X_train, y_train)
    if report is not None:
        report(1, model.score(X_valid, y_valid))
    return model
'''

_POST_CLASSIFICATION = '''"""Post-processing: predictions are already class labels."""
import numpy as np

SEARCH_SPACE = {}


def postprocess(y_pred, y_train, params: dict):
    return np.asarray(y_pred)
'''

_POST_REGRESSION = '''"""Post-processing: clip predictions near the training range."""
import numpy as np

SEARCH_SPACE = {
    "margin": {"type": "float", "low": 0.0, "high": 0.2},
}


def postprocess(y_pred, y_train, params: dict):
    low, high = float(np.min(y_train)), float(np.max(y_train))
    span = (high - low) * params["margin"]
    return np.clip(np.asarray(y_pred, dtype=float), low - span, high + span)
'''

EXAMPLES: dict[str, dict[str, str]] = {
    "features": {"classification": _FEATURES_EXAMPLE, "regression": _FEATURES_EXAMPLE},
    "model": {
        "classification": _MODEL_EXAMPLE.format(forest="RandomForestClassifier"),
        "regression": _MODEL_EXAMPLE.format(forest="RandomForestRegressor"),
    },
    "training": {"classification": _TRAINING_EXAMPLE, "regression": _TRAINING_EXAMPLE},
    "postprocess": {"classification": _POST_CLASSIFICATION, "regression": _POST_REGRESSION},
}
