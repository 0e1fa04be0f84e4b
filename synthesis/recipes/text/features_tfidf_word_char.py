"""Features: TF-IDF of word and character n-grams of the text columns (sparse)."""
import numpy as np
from sklearn.compose import make_column_selector
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer

SEARCH_SPACE = {
    "word_ngrams": {"type": "categorical", "choices": [2, 1]},
    "char_ngrams": {"type": "categorical", "choices": [5, 4, 3]},
    "min_df": {"type": "int", "low": 1, "high": 5, "default": 2},
    "max_features": {"type": "int", "low": 5000, "high": 100000, "log": True, "default": 30000},
    "sublinear_tf": {"type": "categorical", "choices": [True, False]},
}


def joined_text(X):
    """Every non-numeric column of a row, as one string."""
    columns = make_column_selector(dtype_exclude="number")(X)
    text = X[columns].fillna("").astype(str)
    return np.asarray(text.agg(" ".join, axis=1), dtype=object)


def build_features(params: dict):
    words = TfidfVectorizer(ngram_range=(1, params["word_ngrams"]), min_df=params["min_df"],
                            max_features=params["max_features"],
                            sublinear_tf=params["sublinear_tf"])
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, params["char_ngrams"]),
                            min_df=params["min_df"], max_features=params["max_features"],
                            sublinear_tf=params["sublinear_tf"])
    return make_pipeline(FunctionTransformer(joined_text), make_union(words, chars))
