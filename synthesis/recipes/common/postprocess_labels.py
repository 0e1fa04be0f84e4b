"""Post-processing: predictions are already class labels."""
import numpy as np

SEARCH_SPACE = {}


def postprocess(y_pred, y_train, params: dict):
    return np.asarray(y_pred)
