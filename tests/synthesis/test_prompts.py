"""What the generation prompt asks of the model slot follows the task's metric."""

from __future__ import annotations

import pandas as pd
import pytest

from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.grounding import DataSource
from text2ml.synthesis.profiles import frame_profile
from text2ml.synthesis.prompts import generation_messages
from text2ml.synthesis.spec import METRIC_DIRECTIONS, TaskSpec


def spec(metric: str, problem_type: str = "classification") -> TaskSpec:
    frame = pd.DataFrame({"balance": [1.0, 2.0], "default": ["No", "Yes"]})
    source = DataSource("loader", "sklearn.datasets.load_wine", "wine", frame_profile(frame),
                        list(frame.columns))
    return TaskSpec(task="TASK: predict default", problem_type=problem_type, modality="tabular",
                    target="default", metric=metric, direction=METRIC_DIRECTIONS[metric],
                    data=source)


def prompt(task: TaskSpec, slot: str) -> str:
    return generation_messages(task, CONTRACTS[slot], {}, "", "Use a tree model.")[1]["content"]


@pytest.mark.parametrize("metric", ["balanced_accuracy", "f1", "f1_macro", "mcc"])
def test_metrics_that_count_classes_alike_ask_for_class_weight(metric: str) -> None:
    assert '"class_weight"' in prompt(spec(metric), "model")


@pytest.mark.parametrize(("metric", "slot", "problem_type"), [
    ("accuracy", "model", "classification"), ("balanced_accuracy", "features", "classification"),
    ("rmse", "model", "regression")])
def test_other_prompts_do_not(metric: str, slot: str, problem_type: str) -> None:
    assert "class_weight" not in prompt(spec(metric, problem_type), slot)
