"""Model: support vector classifier (RBF kernel), strong on small scaled data sets."""
from sklearn.svm import SVC

SEARCH_SPACE = {
    "C": {"type": "float", "low": 0.01, "high": 1000.0, "log": True, "default": 1.0},
    "gamma": {"type": "float", "low": 0.0001, "high": 1.0, "log": True, "default": 0.01},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
}


def build_model(params: dict):
    return SVC(C=params["C"], gamma=params["gamma"], class_weight=params["class_weight"])
