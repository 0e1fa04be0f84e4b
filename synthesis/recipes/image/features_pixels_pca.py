"""Features: pixel intensities scaled to [0, 1], then PCA (optionally whitened)."""
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

SEARCH_SPACE = {
    "n_components": {"type": "int", "low": 16, "high": 128, "log": True, "default": 40},
    "whiten": {"type": "categorical", "choices": [False, True]},
    "random_state": 0,
}


class CappedPCA(PCA):
    """PCA that keeps at most as many components as the rows and pixels allow."""

    def fit(self, X, y=None):
        self.n_components = min(int(self.n_components), *X.shape)
        return super().fit(X, y)

    def fit_transform(self, X, y=None):
        self.n_components = min(int(self.n_components), *X.shape)
        return super().fit_transform(X, y)


def build_features(params: dict):
    return make_pipeline(
        SimpleImputer(strategy="constant", fill_value=0.0),
        MinMaxScaler(),
        CappedPCA(n_components=params["n_components"], whiten=params["whiten"],
                  svd_solver="randomized", random_state=params["random_state"]),
    )
