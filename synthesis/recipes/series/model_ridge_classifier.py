"""Model: standardised features into a ridge classifier (the usual head of ROCKET)."""
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEARCH_SPACE = {
    "alpha": {"type": "float", "low": 0.001, "high": 1000.0, "log": True, "default": 10.0},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
}


def build_model(params: dict):
    return make_pipeline(StandardScaler(),
                         RidgeClassifier(alpha=params["alpha"],
                                         class_weight=params["class_weight"]))
