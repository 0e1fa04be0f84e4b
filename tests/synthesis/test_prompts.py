"""What the generation prompt asks of the model slot follows the task's metric."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.grounding import DataSource
from text2ml.synthesis.profiles import frame_profile
from text2ml.synthesis.prompts import generation_messages
from text2ml.synthesis.recipes import recipes_for
from text2ml.synthesis.spec import METRIC_DIRECTIONS, TaskSpec


def spec(metric: str, problem_type: str = "classification") -> TaskSpec:
    frame = pd.DataFrame({"balance": [1.0, 2.0], "default": ["No", "Yes"]})
    source = DataSource("loader", "sklearn.datasets.load_wine", "wine", frame_profile(frame),
                        list(frame.columns))
    return TaskSpec(task="TASK: predict default", problem_type=problem_type, modality="tabular",
                    target="default", metric=metric, direction=METRIC_DIRECTIONS[metric],
                    data=source)


def prompt(task: TaskSpec, slot: str, index: int = 0) -> str:
    return generation_messages(task, CONTRACTS[slot], {}, "", index=index)[1]["content"]


@pytest.mark.parametrize("metric", ["balanced_accuracy", "f1", "f1_macro", "mcc"])
def test_metrics_that_count_classes_alike_ask_for_class_weight(metric: str) -> None:
    assert '"class_weight"' in prompt(spec(metric), "model")


@pytest.mark.parametrize(("metric", "slot", "problem_type"), [
    ("accuracy", "model", "classification"), ("balanced_accuracy", "features", "classification"),
    ("rmse", "model", "regression")])
def test_other_prompts_do_not(metric: str, slot: str, problem_type: str) -> None:
    assert "counts every class alike" not in prompt(spec(metric, problem_type), slot)


def test_each_candidate_is_shown_a_different_recipe_of_its_modality() -> None:
    task = spec("accuracy")
    shown = [re.search(r"Recipe `([\w/]+)`", prompt(task, "model", i)).group(1)
             for i in range(3)]
    assert shown == [r.name for r in recipes_for("model", "tabular", "classification")[:3]]
    text = TaskSpec(**{**task.__dict__, "modality": "text"})
    assert "TfidfVectorizer" in prompt(text, "features")
    forecast = TaskSpec(**{**task.__dict__, "problem_type": "forecasting", "metric": "mae",
                           "direction": "minimize", "modality": "time_series"})
    assert "LevelFree" in prompt(forecast, "model")


def test_class_weights_come_first_in_the_recipe_when_the_metric_counts_classes_alike() -> None:
    assert '["balanced", None]' in prompt(spec("balanced_accuracy"), "model")
    assert '[None, "balanced"]' in prompt(spec("accuracy"), "model")
