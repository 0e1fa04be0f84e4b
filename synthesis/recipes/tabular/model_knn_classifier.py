"""Model: k nearest neighbours (small data sets, scaled features)."""
from sklearn.neighbors import KNeighborsClassifier

SEARCH_SPACE = {
    "n_neighbors": {"type": "int", "low": 1, "high": 50, "log": True, "default": 7},
    "weights": {"type": "categorical", "choices": ["distance", "uniform"]},
    "p": {"type": "categorical", "choices": [2, 1]},
}


def build_model(params: dict):
    return KNeighborsClassifier(n_neighbors=params["n_neighbors"], weights=params["weights"],
                                p=params["p"])
