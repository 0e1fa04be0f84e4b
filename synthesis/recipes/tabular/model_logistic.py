"""Model: regularised logistic regression (best on one-hot encoded, scaled features)."""
from sklearn.linear_model import LogisticRegression

SEARCH_SPACE = {
    "C": {"type": "float", "low": 0.001, "high": 100.0, "log": True, "default": 1.0},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
    "max_iter": 3000,
}


def build_model(params: dict):
    return LogisticRegression(C=params["C"], class_weight=params["class_weight"],
                              max_iter=params["max_iter"])
