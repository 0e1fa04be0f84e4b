"""Model: random forest or extra trees."""
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

SEARCH_SPACE = {
    "kind": {"type": "categorical", "choices": ["random_forest", "extra_trees"]},
    "n_estimators": {"type": "int", "low": 100, "high": 500, "log": True, "default": 200},
    "max_features": {"type": "categorical", "choices": [1.0, 0.5, "sqrt"]},
    "min_samples_leaf": {"type": "int", "low": 1, "high": 10, "log": True, "default": 2},
    "random_state": 0,
}


def build_model(params: dict):
    forest = RandomForestRegressor if params["kind"] == "random_forest" else ExtraTreesRegressor
    return forest(
        n_estimators=params["n_estimators"],
        max_features=params["max_features"],
        min_samples_leaf=params["min_samples_leaf"],
        n_jobs=1,
        random_state=params["random_state"],
    )
