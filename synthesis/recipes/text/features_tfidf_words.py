"""Features: TF-IDF of words and word pairs of the text columns (sparse)."""
import numpy as np
from sklearn.compose import make_column_selector
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

SEARCH_SPACE = {
    "max_ngram": {"type": "categorical", "choices": [2, 1, 3]},
    "min_df": {"type": "int", "low": 1, "high": 5, "default": 1},
    "max_df": {"type": "float", "low": 0.5, "high": 1.0, "default": 0.9},
    "sublinear_tf": {"type": "categorical", "choices": [True, False]},
}


def joined_text(X):
    """Every non-numeric column of a row, as one string."""
    columns = make_column_selector(dtype_exclude="number")(X)
    text = X[columns].fillna("").astype(str)
    return np.asarray(text.agg(" ".join, axis=1), dtype=object)


def build_features(params: dict):
    return make_pipeline(
        FunctionTransformer(joined_text),
        TfidfVectorizer(ngram_range=(1, params["max_ngram"]), min_df=params["min_df"],
                        max_df=params["max_df"], sublinear_tf=params["sublinear_tf"],
                        strip_accents="unicode"),
    )
