"""The catalog on disk: the index of the dataset packages, cached per set of installed
versions, plus the workspace's data files, plus the columns read lazily for an entry.

The index is built by the sandboxed catalog child; this process only reads package metadata
and file names, so naming a package in a task never runs its code here.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from filelock import FileLock

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.retrieval import Index
from text2ml.synthesis.layout import is_program
from text2ml.synthesis.llm.model_files import cache_root
from text2ml.synthesis.records import TaskError

FORMAT = 5  # bump when an entry's shape or a source's listing changes
DATA_FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".xlsx", ".xls")
SKIPPED_FOLDERS = {"node_modules", "__pycache__", "site-packages", "out", "build", "dist"}
MAX_DEPTH = 3
MAX_FILES = 200
INDEX_LIMITS = {"wall_seconds": 600.0, "memory_mb": 4096}


@dataclass
class Catalog:
    """Every entry a task may name, and notes about sources that could not be listed."""

    entries: list[CatalogEntry]
    notes: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, CatalogEntry]:
        return {e.id: e for e in self.entries}

    @cached_property
    def index(self) -> Index:
        """The BM25 index of these entries, built once per catalog."""
        return Index(self.entries)


def catalog_dir() -> Path:
    return cache_root() / "catalog"


def index_key() -> str:
    """Changes whenever an installed distribution does (read from metadata, not imports)."""
    installed = sorted(f"{d.metadata['Name']}=={d.version}"
                       for d in importlib.metadata.distributions() if d.metadata['Name'])
    return hashlib.sha256("\n".join([str(FORMAT), *installed]).encode()).hexdigest()[:16]


def package_index() -> Catalog:
    """The dataset packages' entries, from the cache or built once by the sandboxed child."""
    folder = catalog_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"index-{index_key()}.json"
    with FileLock(str(path) + ".lock"):
        if not path.is_file():
            _build_index(path)
        raw = json.loads(path.read_text())
    return Catalog([CatalogEntry.from_dict(e) for e in raw["entries"]], raw.get("notes", []))


def _build_index(path: Path) -> None:
    from text2ml.synthesis.llm.replies import last_json_line
    from text2ml.synthesis.sandbox.limits import Limits
    from text2ml.synthesis.sandbox.warm import run_module

    result = run_module("text2ml.synthesis.children.catalog", [str(path)], cwd=path.parent,
                        limits=Limits(**INDEX_LIMITS))  # type: ignore[arg-type]
    reply = last_json_line(result.stdout)
    if not result.ok or reply is None or not path.is_file():
        raise TaskError(f"Listing the installed dataset packages {result.reason}.",
                        hint=result.stderr.strip()[-400:] or "Run `text2ml spec` again; if it "
                        "fails again, reinstall the dataset packages.")


def _visible(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return len(parts) <= MAX_DEPTH + 1 and not any(
        p.startswith(".") or p in SKIPPED_FOLDERS for p in parts[:-1])


def workspace_files(root: Path) -> list[CatalogEntry]:
    """The data files under the task's folder (hidden folders, environments and program
    folders left out), as entries referenced relative to that folder."""
    found: list[CatalogEntry] = []
    for current, folders, files in os.walk(root):
        here = Path(current)
        folders[:] = sorted(f for f in folders if not f.startswith(".")
                            and f not in SKIPPED_FOLDERS and not is_program(here / f)
                            and len((here / f).relative_to(root).parts) <= MAX_DEPTH)
        for name in sorted(files):
            path = here / name
            if path.suffix.lower() in DATA_FILE_SUFFIXES and _visible(path, root):
                found.append(file_entry(path.relative_to(root).as_posix()))
            if len(found) >= MAX_FILES:
                return found
    return found


def file_entry(reference: str) -> CatalogEntry:
    """A data file, by its path relative to the task's folder."""
    return CatalogEntry(kind="file", reference=reference, package="workspace",
                        name=Path(reference).stem, title=f"data file {reference}")


def full_catalog(task_dir: Path) -> Catalog:
    index = package_index()
    return Catalog(workspace_files(task_dir) + index.entries, index.notes)


def _columns_cache(entry: CatalogEntry, task_dir: Path) -> tuple[Path, str]:
    key = entry.id
    if entry.kind == "file":
        stat = (task_dir / entry.reference).stat()
        key = f"{(task_dir / entry.reference).resolve()}|{stat.st_mtime_ns}|{stat.st_size}"
    return catalog_dir() / f"columns-{index_key()}.json", key


def describe(entry: CatalogEntry, task_dir: Path, work_dir: Path) -> CatalogEntry:
    """Fill in rows and columns, loading the data in the sandboxed probe once per version."""
    if entry.columns is not None:
        return entry
    path, key = _columns_cache(entry, task_dir)
    with FileLock(str(path) + ".lock"):
        known = json.loads(path.read_text()) if path.is_file() else {}
    if key not in known:
        from text2ml.synthesis.grounding import DataSource, probe

        source = probe(DataSource.from_entry(entry), task_dir, work_dir)
        known_now = {"rows": source.profile.get("rows"), "columns": source.columns}
        with FileLock(str(path) + ".lock"):
            known = json.loads(path.read_text()) if path.is_file() else {}
            known[key] = known_now
            partial = path.with_suffix(".partial")
            partial.write_text(json.dumps(known))
            partial.replace(path)
    entry.rows = known[key]["rows"]
    entry.columns = known[key]["columns"]
    return entry
