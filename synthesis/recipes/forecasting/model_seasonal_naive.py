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
        """lag_1, lag_2, … as columns, from `lag_k` or from `lag_k_gap` (lag_k - lag_1)."""
        if not hasattr(X, "columns"):
            return np.asarray(X, dtype=float)
        found = {}
        for name in map(str, X.columns):
            parts = name.split("_")
            if len(parts) >= 2 and parts[0] == "lag" and parts[1].isdigit():
                found.setdefault(int(parts[1]), []).append(name)
        if 1 not in found:
            return X.to_numpy(dtype=float)
        last = X["lag_1"].to_numpy(dtype=float)
        columns = []
        for k in sorted(found):
            name = found[k][0]
            values = X[name].to_numpy(dtype=float)
            columns.append(last + values if name.endswith("_gap") else values)
        return np.column_stack(columns)

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
