"""Typists' slips in the words the rules key on are read as meant; real words are not."""

from __future__ import annotations

import pytest

from text2ml.synthesis.spelling import corrected, correction


@pytest.mark.parametrize(("typed", "meant"), [
    ("predcit", "predict"), ("clasify", "classify"), ("forcast", "forecast"),
    ("accuray", "accuracy"), ("absolut", "absolute"), ("sckit", "scikit"), ("wich", "which"),
    ("statsmodel", "statsmodels"), ("regresion", "regression"), ("Datset", "dataset"),
])
def test_a_slip_is_read_as_the_key_word(typed: str, meant: str) -> None:
    assert correction(typed) == meant


@pytest.mark.parametrize("word", ["defect", "weather", "predicts", "labels", "model", "data",
                                  "errors", "meant", "median", "table", "estimated", "mean"])
def test_real_words_and_endings_are_left_alone(word: str) -> None:
    assert correction(word) is None


def test_the_text_keeps_its_case_and_everything_else() -> None:
    assert corrected("Predcit the price (USD) from the sckit-learn set; Accuray!") == \
        "Predict the price (USD) from the scikit-learn set; Accuracy!"


def test_slips_of_the_data_sets_column_names() -> None:
    text = "clasify the penguin speceis from flipper lenght"
    assert corrected(text, ["species", "flipper_length_mm", "island"]) == \
        "classify the penguin species from flipper length"
    # a column name too short to tell a slip from another word is left out
    assert corrected("the cots of it", ["cost"]) == "the cots of it"
