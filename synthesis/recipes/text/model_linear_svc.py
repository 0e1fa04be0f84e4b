"""Model: linear support vector classifier, the classic for sparse text features."""
from sklearn.svm import LinearSVC

SEARCH_SPACE = {
    "C": {"type": "float", "low": 0.001, "high": 10.0, "log": True, "default": 0.3},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
    "max_iter": 5000,
}


def build_model(params: dict):
    return LinearSVC(C=params["C"], class_weight=params["class_weight"],
                     max_iter=params["max_iter"])
