"""Model: support vector regression (RBF kernel) on a standardised target."""
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

SEARCH_SPACE = {
    "C": {"type": "float", "low": 0.01, "high": 1000.0, "log": True, "default": 1.0},
    "gamma": {"type": "float", "low": 0.0001, "high": 1.0, "log": True, "default": 0.01},
    "epsilon": {"type": "float", "low": 0.01, "high": 1.0, "log": True, "default": 0.1},
}


def build_model(params: dict):
    # epsilon and C are in units of the target: scaling it makes one range fit every task
    return TransformedTargetRegressor(
        regressor=SVR(C=params["C"], gamma=params["gamma"], epsilon=params["epsilon"]),
        transformer=StandardScaler())
