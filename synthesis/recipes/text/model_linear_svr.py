"""Model: linear support vector regression on sparse text features, target standardised."""
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVR

SEARCH_SPACE = {
    "C": {"type": "float", "low": 0.001, "high": 10.0, "log": True, "default": 0.1},
    "epsilon": {"type": "float", "low": 0.0, "high": 0.5, "default": 0.0},
    "max_iter": 10000,
}


def build_model(params: dict):
    return TransformedTargetRegressor(
        regressor=LinearSVR(C=params["C"], epsilon=params["epsilon"],
                            max_iter=params["max_iter"]),
        transformer=StandardScaler())
