"""Model for forecasting: the seasonal-naive forecast, optionally with drift.

season = 1 is the naive forecast (the last value). With drift, the mean change over the
observed lags is added once per step ahead, as a random walk with drift forecasts.
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

SEARCH_SPACE = {
    "season": {"type": "categorical", "choices": [1, 4, 7, 12]},
    "drift": {"type": "categorical", "choices": [True, False]},
}


class SeasonalNaive(RegressorMixin, BaseEstimator):
    def __init__(self, season=1, drift=True):
        self.season, self.drift = season, drift

    def _lags(self, X):
        if hasattr(X, "columns"):
            names = [c for c in X.columns if str(c).startswith("lag_")]
            names = sorted(names, key=lambda c: int(str(c).split("_")[1])) or list(X.columns)
            return X[names].to_numpy(dtype=float)
        return np.asarray(X, dtype=float)

    def fit(self, X, y):
        self.n_lags_ = self._lags(X).shape[1]
        return self

    def predict(self, X):
        lags = self._lags(X)
        season = min(self.season, lags.shape[1])
        forecast = lags[:, season - 1].copy()
        if self.drift and lags.shape[1] > 1:
            change = (lags[:, 0] - lags[:, -1]) / (lags.shape[1] - 1)
            forecast += season * change
        return forecast


def build_model(params: dict):
    return SeasonalNaive(params["season"], params["drift"])
