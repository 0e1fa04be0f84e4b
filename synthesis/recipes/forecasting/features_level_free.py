"""Features for forecasting: the last value, then only changes relative to it.

Trees cannot extrapolate a trend from raw levels; changes (recent differences, the gap
between the last value and rolling means, the change one season earlier) look alike in
training and in the future. The output is a DataFrame whose first column is `lag_1`, the
last value itself, which a level-free model adds back to its predicted change.
"""
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

SEARCH_SPACE = {
    "n_diffs": {"type": "int", "low": 1, "high": 11, "default": 6},
    "season": {"type": "categorical", "choices": [None, 4, 7, 11]},
    "keep_step": {"type": "categorical", "choices": [False, True]},
}


def lag_columns(X):
    """The lag columns in order lag_1, lag_2, … (data.py names them so)."""
    names = [c for c in X.columns if str(c).startswith("lag_")]
    return sorted(names, key=lambda c: int(str(c).split("_")[1]))


class LevelFreeLags(TransformerMixin, BaseEstimator):
    def __init__(self, n_diffs=6, season=None, keep_step=False):
        self.n_diffs, self.season, self.keep_step = n_diffs, season, keep_step

    def fit(self, X, y=None):
        self.lags_ = lag_columns(X) or list(X.columns)
        return self

    def transform(self, X):
        lags = X[self.lags_].to_numpy(dtype=float)
        last = lags[:, :1]
        out = {"lag_1": last[:, 0]}
        diffs = lags[:, :-1] - lags[:, 1:]  # diffs[:, k] = change k steps ago
        for k in range(min(self.n_diffs, diffs.shape[1])):
            out[f"diff_{k + 1}"] = diffs[:, k]
        for window in (3, 6, 12):
            if window <= lags.shape[1]:
                out[f"mean_{window}_gap"] = lags[:, :window].mean(axis=1) - last[:, 0]
        if diffs.shape[1] >= 3:
            out["diff_std"] = diffs.std(axis=1)
        if self.season is not None and self.season < lags.shape[1]:
            # the change one season ago: y[t-s] - y[t-s-1]
            out["seasonal_diff"] = diffs[:, self.season - 1]
            out["seasonal_gap"] = lags[:, self.season - 1] - last[:, 0]
        if self.keep_step and "step" in X.columns:
            out["step"] = X["step"].to_numpy(dtype=float)
        return pd.DataFrame(np.nan_to_num(pd.DataFrame(out).to_numpy()), columns=list(out))


def build_features(params: dict):
    return LevelFreeLags(params["n_diffs"], params["season"], params["keep_step"])
