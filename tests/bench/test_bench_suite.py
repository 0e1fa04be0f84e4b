"""The benchmark suite's tasks say what suite.toml scores, and its table counts fairly."""

from __future__ import annotations

import pytest

from text2ml.synthesis.catalog.resolve import resolve_data
from text2ml.synthesis.catalog.store import Catalog, full_catalog
from text2ml.synthesis.spec import metric_from_text, problem_type_from_text

from contest.suite import TASKS_DIR, load_suite  # bench/ is on sys.path (conftest.py)
from contest.tables import markdown, versus, winner

SUITE = load_suite()


def test_twelve_tasks_cover_the_modalities() -> None:
    assert len(SUITE) == 12
    covers = " ".join(t.covers for t in SUITE)
    for needed in ("binary", "multiclass", "missing values", "imbalanced", "regression",
                   "image", "text", "forecasting", "time-series classification"):
        assert needed in covers, needed
    assert sum("regression" in t.covers for t in SUITE) >= 2


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return full_catalog(TASKS_DIR)


@pytest.mark.parametrize("task", SUITE, ids=lambda t: t.name)
def test_task_text_names_what_the_suite_scores(task, catalog: Catalog) -> None:
    choice = resolve_data(task.text, catalog, TASKS_DIR)
    assert (choice.entry.kind, choice.entry.reference) == (task.kind, task.reference)
    assert metric_from_text(task.text) == task.metric
    stated = problem_type_from_text(task.text)
    assert stated in (None, task.problem_type)


def rows(**scores: float | None) -> dict:
    return {name: {"runnable": value is not None, "score": value, "seconds": 1.0}
            for name, value in scores.items()}


def test_winner_and_record_follow_the_metric_direction() -> None:
    wine = next(t for t in SUITE if t.name == "wine_cultivar")  # accuracy: higher wins
    diabetes = next(t for t in SUITE if t.name == "diabetes_progression")  # rmse: lower wins
    assert winner(wine, rows(text2ml_opt=0.97, flaml=0.95, single_shot=None)) == ["text2ml_opt"]
    assert winner(diabetes, rows(text2ml_opt=55.0, flaml=53.0)) == ["flaml"]
    assert versus(diabetes, {"runnable": True, "score": 50.0},
                  {"runnable": False, "score": None}) == "win"
    assert versus(wine, {"runnable": False, "score": None},
                  {"runnable": True, "score": 0.5}) == "loss"
    table = markdown([wine, diabetes], {
        "wine_cultivar": rows(text2ml=0.9, text2ml_opt=0.97, single_shot=None,
                              single_shot_grounded=0.97, flaml=0.95),
        "diabetes_progression": rows(text2ml=60.0, text2ml_opt=55.0, single_shot=58.0,
                                     single_shot_grounded=None, flaml=53.0)})
    assert "| single shot | 2 | 0 | 0 |" in table
    assert "| single shot, grounded | 1 | 1 | 0 |" in table
    assert "| FLAML | 1 | 0 | 1 |" in table
