"""Features: impute and scale the numbers, one-hot encode the other columns."""
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

SEARCH_SPACE = {
    "impute_strategy": {"type": "categorical", "choices": ["median", "mean"]},
    "scaler": {"type": "categorical", "choices": ["standard", "quantile"]},
    "min_frequency": {"type": "int", "low": 1, "high": 20, "default": 5},
}


def build_features(params: dict):
    scaler = (StandardScaler() if params["scaler"] == "standard"
              else QuantileTransformer(n_quantiles=100, output_distribution="normal"))
    numeric = make_pipeline(SimpleImputer(strategy=params["impute_strategy"],
                                          add_indicator=True), scaler)
    other = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        # rare levels pooled and at most 30 columns per column, so free text cannot explode
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=params["min_frequency"],
                      max_categories=30, sparse_output=False),
    )
    return ColumnTransformer([
        ("numeric", numeric, make_column_selector(dtype_include="number")),
        ("other", other, make_column_selector(dtype_exclude="number")),
    ])
