"""Model: complement naive Bayes, a strong fast classifier for TF-IDF or counts."""
from sklearn.naive_bayes import ComplementNB

SEARCH_SPACE = {
    "alpha": {"type": "float", "low": 0.001, "high": 10.0, "log": True, "default": 0.3},
    "norm": {"type": "categorical", "choices": [False, True]},
}


def build_model(params: dict):
    return ComplementNB(alpha=params["alpha"], norm=params["norm"])
