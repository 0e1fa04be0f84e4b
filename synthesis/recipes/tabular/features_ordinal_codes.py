"""Features for tree models: numbers as they are, categories as integer codes.

The output is a DataFrame whose category columns are named `categorical__<column>`, so a
gradient-boosting model can treat them as native categories instead of as ordered numbers.
"""
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

SEARCH_SPACE = {
    "max_categories": {"type": "int", "low": 8, "high": 64, "default": 32},
}


def build_features(params: dict):
    numeric = SimpleImputer(strategy="median", add_indicator=True)
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        # unseen and missing levels become -1, which gradient boosting reads as "missing"
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                       encoded_missing_value=-1, max_categories=params["max_categories"]),
    )
    return ColumnTransformer([
        ("numeric", numeric, make_column_selector(dtype_include="number")),
        ("categorical", categorical, make_column_selector(dtype_exclude="number")),
    ]).set_output(transform="pandas")
