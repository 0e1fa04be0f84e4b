"""Features for series classification: random convolution kernels (the ROCKET family).

Each row is one series. Every kernel (random length, weights, bias and dilation) slides
over the z-normalised series; its maximum and the share of positive responses are two
features. A linear model on top is a strong, fast series classifier.
"""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

SEARCH_SPACE = {
    "n_kernels": {"type": "int", "low": 200, "high": 2000, "log": True, "default": 500},
    "normalise": {"type": "categorical", "choices": [True, False]},
    "random_state": 0,
}


class RandomKernels(TransformerMixin, BaseEstimator):
    def __init__(self, n_kernels=500, normalise=True, random_state=0):
        self.n_kernels, self.normalise, self.random_state = n_kernels, normalise, random_state

    def _series(self, X):
        series = np.nan_to_num(np.asarray(X, dtype=np.float64))
        if self.normalise:
            spread = series.std(axis=1, keepdims=True)
            series = (series - series.mean(axis=1, keepdims=True)) / np.where(spread > 0,
                                                                              spread, 1.0)
        return series

    def fit(self, X, y=None):
        rng = np.random.default_rng(self.random_state)
        n_steps = np.asarray(X).shape[1]
        self.kernels_ = []
        for _ in range(self.n_kernels):
            length = int(rng.choice([7, 9, 11]))
            weights = rng.normal(size=length)
            weights -= weights.mean()
            top = np.log2(max((n_steps - 1) / (length - 1), 1.0))
            dilation = int(2 ** rng.uniform(0, top))
            padding = ((length - 1) * dilation) // 2 if rng.integers(2) else 0
            self.kernels_.append((weights, rng.uniform(-1, 1), dilation, padding))
        return self

    def transform(self, X):
        series = self._series(X)
        n_rows, n_steps = series.shape
        out = np.empty((n_rows, 2 * len(self.kernels_)))
        for i, (weights, bias, dilation, padding) in enumerate(self.kernels_):
            padded = np.pad(series, ((0, 0), (padding, padding))) if padding else series
            span = (len(weights) - 1) * dilation
            width = padded.shape[1] - span
            if width < 1:  # a kernel longer than the series: no response
                out[:, 2 * i: 2 * i + 2] = 0.0
                continue
            response = np.full((n_rows, width), bias)
            for j, weight in enumerate(weights):
                response += weight * padded[:, j * dilation: j * dilation + width]
            out[:, 2 * i] = response.max(axis=1)
            out[:, 2 * i + 1] = (response > 0).mean(axis=1)
        return out


def build_features(params: dict):
    return RandomKernels(params["n_kernels"], params["normalise"], params["random_state"])
