"""Model: histogram gradient boosting, with native categories where the features name them."""
from sklearn.ensemble import HistGradientBoostingClassifier

SEARCH_SPACE = {
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True, "default": 0.1},
    "max_iter": {"type": "int", "low": 50, "high": 500, "log": True, "default": 200},
    "max_leaf_nodes": {"type": "int", "low": 8, "high": 64, "log": True, "default": 31},
    "min_samples_leaf": {"type": "int", "low": 5, "high": 100, "log": True, "default": 20},
    "l2_regularization": {"type": "float", "low": 1e-6, "high": 10.0, "log": True},
    "class_weight": {"type": "categorical", "choices": [None, "balanced"]},
    "random_state": 0,
}


class NativeCategoryHGB(HistGradientBoostingClassifier):
    """Columns named `categorical__…` (integer codes) are split on as categories."""

    def fit(self, X, y, sample_weight=None):
        names = [str(c) for c in getattr(X, "columns", [])]
        categorical = [n.startswith("categorical__") for n in names]
        self.categorical_features = categorical if any(categorical) else None
        return super().fit(X, y, sample_weight=sample_weight)


def build_model(params: dict):
    return NativeCategoryHGB(
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        class_weight=params["class_weight"],
        early_stopping=False,
        random_state=params["random_state"],
    )
