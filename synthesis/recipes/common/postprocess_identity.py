"""Post-processing: keep the forecasts as they are.

A trending series leaves the range seen in training, so clipping to it would be wrong.
"""
import numpy as np

SEARCH_SPACE = {}


def postprocess(y_pred, y_train, params: dict):
    return np.asarray(y_pred, dtype=float)
