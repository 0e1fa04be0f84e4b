"""The suite's tasks, and a reference folder per task that fixes the data, split and metric.

The reference folder is what text2ml itself writes for the task (data.py, pipeline.py,
program.json) built from suite.toml instead of the LLM's reading, so every contender is
scored on the same locked test rows with the same metric code.
"""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from text2ml.synthesis.generate import write_static_files
from text2ml.synthesis.grounding import DataSource, probe
from text2ml.synthesis.layout import PIPELINE, PROGRAM_JSON
from text2ml.synthesis.profiles import describe
from text2ml.synthesis.spec import METRIC_DIRECTIONS, TaskSpec
from text2ml.synthesis.task import find_task_blocks

TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"


@dataclass
class BenchTask:
    name: str
    kind: str
    reference: str
    target: str
    problem_type: str
    metric: str
    covers: str

    @property
    def file(self) -> Path:
        return TASKS_DIR / f"{self.name}.py"

    @property
    def direction(self) -> str:
        return METRIC_DIRECTIONS[self.metric]

    @cached_property
    def text(self) -> str:
        blocks = find_task_blocks(self.file.read_text())
        if not blocks:
            raise ValueError(f"{self.file} has no TASK block")
        return blocks[0].text

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b


def load_suite(path: Path = TASKS_DIR / "suite.toml") -> list[BenchTask]:
    table = tomllib.loads(path.read_text())
    return [BenchTask(name=name, **fields) for name, fields in table.items()]


class Reference:
    """The task's data and scoring, as a program folder text2ml would write."""

    def __init__(self, task: BenchTask, folder: Path) -> None:
        self.task, self.folder = task, folder
        if not (folder / PROGRAM_JSON).exists():
            source = probe(DataSource(task.kind, task.reference, f"`{task.reference}`"),
                           TASKS_DIR, folder / ".probe")
            spec = TaskSpec(task=task.text, problem_type=task.problem_type, modality="tabular",
                            target=task.target, metric=task.metric, direction=task.direction,
                            data=source)
            write_static_files(folder, spec, task.file, {})
            (folder / "profile.txt").write_text(describe(source.profile, 16))

    @property
    def profile(self) -> str:
        return (self.folder / "profile.txt").read_text()

    @cached_property
    def pipeline(self) -> ModuleType:
        """The reference pipeline.py; its load_data_module() gives data.py."""
        spec = importlib.util.spec_from_file_location(f"ref_{self.task.name}_pipeline",
                                                      self.folder / PIPELINE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    @cached_property
    def test_rows(self) -> int:
        data = self.pipeline.load_data_module()
        return len(data.split(*data.load_data())["test"][1])

    def score(self, y_true: Any, y_pred: Any) -> float:
        return self.pipeline.score(y_true, y_pred, self.task.metric)
