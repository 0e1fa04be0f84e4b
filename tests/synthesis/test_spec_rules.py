"""The rules of the spec step: metric and problem-type words, the target among real columns."""

import pytest

from text2ml.synthesis.grounding import DataSource
from text2ml.synthesis.records import TaskError
from text2ml.synthesis.spec import (
    metric_from_text,
    problem_type_from_text,
    settle_metric,
    settle_problem_type,
    without_references,
)
from text2ml.synthesis.target import TargetError, mentioned, settle_target


def source(columns: dict[str, tuple[str, int]]) -> DataSource:
    profile = {"columns": [{"name": n, "dtype": d, "unique": u, "missing": 0, "example": ""}
                           for n, (d, u) in columns.items()]}
    return DataSource("file", "x.csv", "x", profile, list(columns))


@pytest.mark.parametrize(("text", "metric"), [
    ("Report RMSE on the holdout", "rmse"),
    ("Metric: balanced accuracy.", "balanced_accuracy"),
    ("score it with the macro-averaged F1", "f1_macro"),
    ("Metric: f1_weighted", "f1_weighted"),
    ("judge it by the mean absolute error", "mae"),
    ("what matters is R-squared", "r2"),
    ("tell me how often it is right", "accuracy"),
    ("the mean absolute percentage error please", "mape"),
    ("nothing said", None),
    ("I need to know by how many euros the estimate is off, on average", "mae"),
    ("tell me how far we miss in average", "mae"),
    ("F1, averaged across all classes", "f1_macro"),
    ("use an F1 where every class has equal weight", "f1_macro"),
    ("an F1 weighted by the class frequencies", "f1_weighted"),
    ("the F1 of the positive class", "f1"),
])
def test_metric_words(text: str, metric: str | None) -> None:
    assert metric_from_text(text) == metric


def test_problem_type_words() -> None:
    assert problem_type_from_text("Forecast the next monthly value") == "forecasting"
    assert problem_type_from_text("carry the series forward by 8 quarters") == "forecasting"
    assert problem_type_from_text("extrapolate the visitor numbers") == "forecasting"
    assert problem_type_from_text("a step forward in our pricing: predict price") != \
        "forecasting"
    assert problem_type_from_text("Regression on the price") == "regression"
    assert problem_type_from_text("Classify the species") == "classification"


COLUMNS = ["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]


@pytest.mark.parametrize(("text", "target"), [
    ("predict the `weather` from the rest", "weather"),
    ("Classify the kind of weather of a day from precipitation, temperature and wind",
     "weather"),
    ("forecast daily maximum temperature (temp_max), 30 days ahead", "temp_max"),
    ("target column: wind", "wind"),
    ("Using 'precipitation' and 'wind', predict 'weather'", "weather"),
])
def test_target_among_the_real_columns(text: str, target: str) -> None:
    assert settle_target(text, COLUMNS)[0] == target


def test_a_named_target_that_is_not_a_column_is_an_error_naming_it() -> None:
    with pytest.raises(TargetError, match="resale_value"):
        settle_target("Predict resale_value for the diamonds", ["carat", "price"])
    with pytest.raises(TargetError, match="profit"):
        settle_target("target column: profit", ["units", "revenue"])


def test_no_target_lists_the_columns() -> None:
    with pytest.raises(TaskError) as err:
        settle_target("use the data", ["a", "b"])
    assert "a, b" in str(err.value)


def test_natural_target_and_forecast_clock() -> None:
    assert settle_target("use the data", ["x0", "target"], natural="target")[0] == "target"
    assert settle_target("forecast the next years of activity", ["YEAR", "SUNACTIVITY"],
                         natural="SUNACTIVITY", forecasting=True)[0] == "SUNACTIVITY"


def test_column_words_match_across_spellings() -> None:
    assert mentioned("how many miles per gallon", ["Miles_per_Gallon", "Origin"]) == [
        "Miles_per_Gallon"]
    assert mentioned("the sun activity", ["YEAR", "SUNACTIVITY"]) == ["SUNACTIVITY"]


def test_data_references_are_not_column_mentions() -> None:
    text = without_references("forecast temp_max from vega_datasets.local_data.seattle_weather")
    assert "weather" not in text and "temp_max" in text


def test_problem_type_from_target_column() -> None:
    data = source({"y": ("float64", 300), "label": ("object", 3)})
    assert settle_problem_type("use the data", data, "y") == "regression"
    assert settle_problem_type("use the data", data, "label") == "classification"
    small = source({"weight": ("float64", 17), "grade": ("int64", 3)})
    small.profile["rows"] = 20
    assert settle_problem_type("use the data", small, "weight") == "regression"
    assert settle_problem_type("use the data", small, "grade") == "classification"


def test_metric_and_problem_type_agree() -> None:
    assert settle_metric("predict rings of abalone, report RMSE", "classification", "") == (
        "regression", "rmse")
    assert settle_metric("wine cultivar from load_wine", "classification", "rmse") == (
        "classification", "accuracy")
    assert settle_metric("house prices", "regression", "r2") == ("regression", "r2")
    assert settle_metric("next month's sales", "forecasting", "accuracy") == (
        "forecasting", "mae")
    with pytest.raises(TaskError, match="asks for classification but measures rmse"):
        settle_metric("classify the species, measured by RMSE", "classification", "")
