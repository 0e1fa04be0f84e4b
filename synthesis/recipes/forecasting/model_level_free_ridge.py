"""Model for forecasting: ridge regression on the change from the last value.

The target is made level-free (y - last value), so the forecast follows a trend that
leaves the range seen in training; the last value is added back at prediction.
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEARCH_SPACE = {
    "alpha": {"type": "float", "low": 0.0001, "high": 100.0, "log": True, "default": 0.1},
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
    return LevelFree(make_pipeline(StandardScaler(), Ridge(alpha=params["alpha"])))
