"""What text2ml understood of a task, in words: for `text2ml spec` and the editor's hover.
Reading a task never writes modules; the LLM is asked at most to choose among real things."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from text2ml.synthesis.spec import TaskSpec, understand
from text2ml.synthesis.task import TaskBlock, data_in_code


def read_task(block: TaskBlock, task_file: Path, llm: Any, source: str | None = None
              ) -> TaskSpec:
    """The spec of one task block; its data is probed in a throw-away folder. `source`: the
    file's text (read from disk when not given), for the data files its code reads."""
    if source is None:
        source = task_file.read_text(encoding="utf-8") if task_file.is_file() else ""
    with tempfile.TemporaryDirectory(prefix="text2ml-spec-") as work:
        return understand(block.text, llm, task_file.parent, Path(work),
                          code_files=data_in_code(source))


def spec_json(spec: TaskSpec) -> dict[str, Any]:
    data = spec.data
    return {"ok": True, "data": {"kind": data.kind, "reference": data.reference,
                                 "rows": data.profile.get("rows"), "columns": data.columns},
            "target": spec.target, "problem_type": spec.problem_type,
            "modality": spec.modality, "metric": spec.metric, "direction": spec.direction,
            "why": spec.why, "llm_calls": spec.llm_calls}


def spec_lines(spec: TaskSpec, markdown: bool = False) -> list[str]:
    """One line per part, each with what settled it."""
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    data = spec.data
    columns = ", ".join(data.columns[:8]) + (", …" if len(data.columns) > 8 else "")
    why = spec.why
    lines = [
        f"data: {code(data.kind + ' ' + data.reference)} — {data.profile.get('rows', '?')} "
        f"rows: {columns} ({why.get('data', '')})",
        f"target: {code(spec.target)} ({why.get('target', '')})",
        f"problem: {spec.problem_type}, {spec.modality}",
        f"metric: {spec.metric}, {spec.direction}d ({why.get('metric', '')})",
    ]
    if why.get("alternatives"):
        lines.append(f"also considered: {why['alternatives']}")
    return lines
