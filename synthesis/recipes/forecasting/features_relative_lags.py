"""Features for forecasting: the last value, then every earlier lag minus the last value."""
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

SEARCH_SPACE = {
    "n_lags": {"type": "int", "low": 2, "high": 12, "default": 12},
}


class RelativeLags(TransformerMixin, BaseEstimator):
    def __init__(self, n_lags=12):
        self.n_lags = n_lags

    def fit(self, X, y=None):
        names = [c for c in X.columns if str(c).startswith("lag_")]
        self.lags_ = sorted(names, key=lambda c: int(str(c).split("_")[1]))[: self.n_lags]
        return self

    def transform(self, X):
        lags = np.nan_to_num(X[self.lags_].to_numpy(dtype=float))
        columns = {"lag_1": lags[:, 0]}
        for k in range(1, lags.shape[1]):
            columns[f"lag_{k + 1}_gap"] = lags[:, k] - lags[:, 0]
        return pd.DataFrame(columns)


def build_features(params: dict):
    return RelativeLags(params["n_lags"])
