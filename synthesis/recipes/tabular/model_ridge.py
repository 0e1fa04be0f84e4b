"""Model: ridge regression (best on one-hot encoded, scaled features)."""
from sklearn.linear_model import Ridge

SEARCH_SPACE = {
    "alpha": {"type": "float", "low": 0.001, "high": 1000.0, "log": True, "default": 1.0},
}


def build_model(params: dict):
    return Ridge(alpha=params["alpha"])
