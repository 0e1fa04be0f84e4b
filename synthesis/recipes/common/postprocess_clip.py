"""Post-processing: clip predictions near the training range."""
import numpy as np

SEARCH_SPACE = {
    "margin": {"type": "float", "low": 0.0, "high": 0.2},
}


def postprocess(y_pred, y_train, params: dict):
    low, high = float(np.min(y_train)), float(np.max(y_train))
    span = (high - low) * params["margin"]
    return np.clip(np.asarray(y_pred, dtype=float), low - span, high + span)
