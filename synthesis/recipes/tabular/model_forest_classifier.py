"""Model: random forest or extra trees."""
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

SEARCH_SPACE = {
    "kind": {"type": "categorical", "choices": ["random_forest", "extra_trees"]},
    "n_estimators": {"type": "int", "low": 100, "high": 500, "log": True, "default": 200},
    "max_features": {"type": "categorical", "choices": ["sqrt", 0.5, 1.0]},
    "min_samples_leaf": {"type": "int", "low": 1, "high": 10, "log": True, "default": 1},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
    "random_state": 0,
}


def build_model(params: dict):
    forest = RandomForestClassifier if params["kind"] == "random_forest" else ExtraTreesClassifier
    return forest(
        n_estimators=params["n_estimators"],
        max_features=params["max_features"],
        min_samples_leaf=params["min_samples_leaf"],
        class_weight=params["class_weight"],
        n_jobs=1,
        random_state=params["random_state"],
    )
