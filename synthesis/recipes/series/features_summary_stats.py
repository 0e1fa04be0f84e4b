"""Features for series: summary statistics of each row's series, of its changes, and the
means of equal segments (a coarse shape)."""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

SEARCH_SPACE = {
    "n_segments": {"type": "int", "low": 4, "high": 24, "default": 10},
}


def describe(series):
    """Location, spread, shape and timing statistics, one row per series."""
    steps = np.arange(series.shape[1], dtype=float)
    centred = series - series.mean(axis=1, keepdims=True)
    spread = series.std(axis=1)
    slope = centred @ (steps - steps.mean()) / ((steps - steps.mean()) ** 2).sum()
    skew = (centred ** 3).mean(axis=1) / np.where(spread > 0, spread ** 3, 1.0)
    crossings = (np.diff(np.sign(centred), axis=1) != 0).mean(axis=1)
    quantiles = np.quantile(series, [0.1, 0.25, 0.5, 0.75, 0.9], axis=1).T
    columns = [series.mean(axis=1), spread, series.min(axis=1), series.max(axis=1),
               series.argmin(axis=1) / len(steps), series.argmax(axis=1) / len(steps),
               slope, skew, crossings]
    return np.column_stack(columns + [quantiles])


class SummaryStats(TransformerMixin, BaseEstimator):
    def __init__(self, n_segments=10):
        self.n_segments = n_segments

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        series = np.nan_to_num(np.asarray(X, dtype=np.float64))
        changes = np.diff(series, axis=1) if series.shape[1] > 1 else np.zeros_like(series)
        segments = np.array_split(series, min(self.n_segments, series.shape[1]), axis=1)
        shape = np.column_stack([s.mean(axis=1) for s in segments])
        return np.column_stack([describe(series), describe(changes), shape])


def build_features(params: dict):
    return SummaryStats(params["n_segments"])
