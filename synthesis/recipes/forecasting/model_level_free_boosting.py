"""Model for forecasting: gradient boosting on the change from the last value.

The target is made level-free (y - last value), so the trees never have to extrapolate a
level they did not see in training; the last value is added back at prediction.
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor

SEARCH_SPACE = {
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True, "default": 0.05},
    "max_iter": {"type": "int", "low": 50, "high": 500, "log": True, "default": 150},
    "max_leaf_nodes": {"type": "int", "low": 4, "high": 32, "log": True, "default": 15},
    "min_samples_leaf": {"type": "int", "low": 5, "high": 60, "log": True, "default": 20},
    "loss": {"type": "categorical", "choices": ["absolute_error", "squared_error"]},
    "random_state": 0,
}


def split_anchor(X):
    """(last value, the other columns): `lag_1` by name, else the first column."""
    if hasattr(X, "columns"):
        names = list(X.columns)
        at = names.index("lag_1") if "lag_1" in names else 0
        values = X.to_numpy(dtype=float)
    else:
        at, values = 0, np.asarray(X, dtype=float)
    rest = np.delete(values, at, axis=1)
    return values[:, at], rest if rest.shape[1] else np.zeros((len(values), 1))


class LevelFree(RegressorMixin, BaseEstimator):
    def __init__(self, regressor=None):
        self.regressor = regressor

    def fit(self, X, y):
        anchor, rest = split_anchor(X)
        self.regressor_ = self.regressor.fit(rest, np.asarray(y, dtype=float) - anchor)
        return self

    def predict(self, X):
        anchor, rest = split_anchor(X)
        return anchor + self.regressor_.predict(rest)


def build_model(params: dict):
    return LevelFree(HistGradientBoostingRegressor(
        learning_rate=params["learning_rate"], max_iter=params["max_iter"],
        max_leaf_nodes=params["max_leaf_nodes"], min_samples_leaf=params["min_samples_leaf"],
        loss=params["loss"], early_stopping=False, random_state=params["random_state"]))
