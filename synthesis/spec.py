"""Understand a task: the LLM's reading as schema-checked JSON, settled by deterministic rules.

The LLM proposes; the rules decide what they can check: the data source is loaded for real,
the target must be a column of it, the metric must be one the program can compute.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jsonschema

from text2ml.synthesis.grounding import DataSource, choose_reference, probe
from text2ml.synthesis.records import TaskError

PROBLEM_TYPES = ("classification", "regression", "forecasting")
MODALITIES = ("tabular", "image", "text", "time_series")
METRIC_DIRECTIONS = {
    "accuracy": "maximize", "balanced_accuracy": "maximize", "f1": "maximize",
    "f1_macro": "maximize", "f1_weighted": "maximize", "precision": "maximize",
    "recall": "maximize", "mcc": "maximize", "r2": "maximize",
    "rmse": "minimize", "mae": "minimize", "mse": "minimize", "mape": "minimize",
}
METRIC_WORDS = {  # how people write metrics → the name the program computes
    "balanced accuracy": "balanced_accuracy", "macro f1": "f1_macro", "f1 macro": "f1_macro",
    "weighted f1": "f1_weighted", "f1": "f1", "accuracy": "accuracy", "r2": "r2", "r²": "r2",
    "root mean squared error": "rmse", "rmse": "rmse", "mean absolute error": "mae",
    "mae": "mae", "mean squared error": "mse", "mse": "mse", "mape": "mape",
    "matthews": "mcc", "mcc": "mcc", "precision": "precision", "recall": "recall",
}
DEFAULT_METRIC = {"classification": "accuracy", "regression": "rmse", "forecasting": "mae"}
CLASSIFICATION_METRICS = {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_weighted",
                          "precision", "recall", "mcc"}


def metric_family(name: str) -> str:
    return "classification" if name in CLASSIFICATION_METRICS else "regression"


def problem_family(problem_type: str) -> str:
    return "classification" if problem_type == "classification" else "regression"

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "problem_type": {"type": "string", "enum": list(PROBLEM_TYPES)},
        "modality": {"type": "string", "enum": list(MODALITIES)},
        "data_source": {"type": "string"},
        "target": {"type": "string"},
        "metric": {"type": "string"},
    },
    "required": ["problem_type", "modality", "data_source", "target", "metric"],
}
SPEC_PROMPT = """Read this machine-learning task and answer with one JSON object with keys
problem_type (classification, regression or forecasting), modality (tabular, image, text or
time_series), data_source (the loader function like sklearn.datasets.load_wine, or the data
file name, exactly as the task names it), target (the column to predict; "target" for
scikit-learn loaders), metric (e.g. accuracy, f1, rmse, mae, r2).

Task:
{task}
"""


@dataclass
class TaskSpec:
    task: str
    problem_type: str
    modality: str
    target: str
    metric: str
    direction: str
    data: DataSource

    @property
    def task_hash(self) -> str:
        return hashlib.sha256(self.task.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["data"] = {k: v for k, v in out["data"].items() if k != "profile"}
        return out


def ask_llm(task: str, llm: Any) -> dict[str, Any]:
    """The LLM's reading of the task; {} when it gives nothing usable (rules then decide)."""
    from text2ml.synthesis.llm.replies import extract_json

    reply = llm.chat([{"role": "user", "content": SPEC_PROMPT.format(task=task)}],
                     temperature=0.0, max_tokens=200, json_schema=SPEC_SCHEMA, purpose="spec")
    try:
        raw = extract_json(reply.text)
        jsonschema.validate(raw, SPEC_SCHEMA)
    except (ValueError, jsonschema.ValidationError):
        return {}
    return raw


def metric_from_text(text: str) -> str | None:
    lowered = text.lower()
    hits = [(lowered.find(word), name) for word, name in METRIC_WORDS.items()
            if re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", lowered)]
    return min(hits)[1] if hits else None


def problem_type_from_text(text: str) -> str | None:
    lowered = text.lower()
    if re.search(r"\bforecast|\bnext \w+ value|\bfuture value", lowered):
        return "forecasting"
    if re.search(r"\bregress|\bpredict (the )?(price|amount|value|number)", lowered):
        return "regression"
    if re.search(r"\bclassif|\bcategor|\bwhich (class|species|kind)|\bdetect", lowered):
        return "classification"
    return None


def target_from_text(text: str, columns: list[str]) -> str | None:
    """A column the task mentions by name; quoted or backticked names first."""
    quoted = re.findall(r"[`'\"]([^`'\"]+)[`'\"]", text)
    for name in quoted:
        if name in columns:
            return name
    lowered = text.lower()
    cue = re.search(r"(?:predict|target|forecast|classify|label)\w*\s+(?:the\s+)?([\w.]+)", lowered)
    by_lower = {c.lower(): c for c in columns}
    if cue and cue.group(1) in by_lower:
        return by_lower[cue.group(1)]
    mentioned = [c for c in columns if re.search(rf"(?<![\w]){re.escape(c.lower())}(?![\w])",
                                                 lowered)]
    return mentioned[-1] if len(mentioned) == 1 else None


def settle_target(text: str, guess: str | None, source: DataSource) -> str:
    columns = source.columns
    for candidate in (target_from_text(text, columns), guess, "target"):
        if candidate and candidate in columns:
            return candidate
    if len(columns) == 1:
        return columns[0]
    shown = ", ".join(columns[:25]) + (" …" if len(columns) > 25 else "")
    raise TaskError(
        "The task does not say which column to predict"
        + (f" (`{guess}` is not a column)" if guess else "") + ".",
        hint=f"The data has the columns: {shown}. Write e.g. 'predict `{columns[-1]}`'.")


def settle_problem_type(text: str, guess: str | None, source: DataSource, target: str) -> str:
    stated = problem_type_from_text(text)
    if stated:
        return stated
    column = next((c for c in source.profile.get("columns", []) if c["name"] == target), None)
    numeric = column is not None and column["dtype"].startswith(("float", "int"))
    many_values = column is not None and column["unique"] > 20
    if guess == "forecasting":
        return "forecasting"
    if numeric and many_values:
        return "regression"
    return "classification" if column is not None else (guess or "classification")


def settle_metric(task: str, problem_type: str, guessed: str) -> tuple[str, str]:
    """A metric the task names wins over a guessed problem type; a guessed metric that does
    not fit the problem is replaced by the problem's default; a task that names both and
    they clash is an error."""
    named = metric_from_text(task)
    if named and metric_family(named) != problem_family(problem_type):
        if problem_type_from_text(task) is not None:
            raise TaskError(f"The task asks for {problem_type} but measures {named}, a "
                            f"{metric_family(named)} metric.",
                            hint="Name a metric that fits the problem, e.g. accuracy or f1 "
                            "for classification, rmse or mae for regression.")
        problem_type = metric_family(named)
    metric = named or guessed.lower()
    if metric not in METRIC_DIRECTIONS or metric_family(metric) != problem_family(problem_type):
        metric = DEFAULT_METRIC[problem_type]
    return problem_type, metric


def understand(task: str, llm: Any, task_dir: Path, work_dir: Path) -> TaskSpec:
    """Turn the task text into a checked TaskSpec; TaskError names whatever is missing."""
    if len(task.split()) < 3:
        raise TaskError("The task is too short to act on.",
                        hint="Say what to predict, from which data, e.g. 'TASK: classify the "
                        "wine cultivar from sklearn.datasets.load_wine, measured by accuracy'.")
    guess = ask_llm(task, llm)
    kind, reference = choose_reference(task, task_dir, guess.get("data_source"))
    source = probe(DataSource(kind, reference, f"`{reference}`"), task_dir, work_dir)
    target = settle_target(task, guess.get("target"), source)
    problem_type = settle_problem_type(task, guess.get("problem_type"), source, target)
    problem_type, metric = settle_metric(task, problem_type, guess.get("metric", ""))
    modality = guess.get("modality") if guess.get("modality") in MODALITIES else "tabular"
    if problem_type == "forecasting":
        modality = "time_series"
    source.description = f"{reference} (target `{target}`)"
    return TaskSpec(task=task, problem_type=problem_type, modality=modality, target=target,
                    metric=metric, direction=METRIC_DIRECTIONS[metric], data=source)
