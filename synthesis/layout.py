"""The program folder's layout: every path of docs/program-layout.md, the slots, the manifest.

The one module that knows where things live in a generated program; everything else (the
synthesis steps, the optimizer, the server, the benchmarks) asks it:

    <program>/
      data.py                      DATA
      pipeline.py                  PIPELINE
      program.json                 PROGRAM_JSON
      best_params.json             BEST_PARAMS (with the ensemble, when one was kept)
      tests/test_pipeline.py       TESTS
      candidates/<slot>/<c>.py     candidate_path(program_dir, slot, c)
      .text2ml/                    STATE_DIR
        manifest.json              MANIFEST (read_manifest / write_manifest)
        study.db                   STUDY_DB
        report.md                  REPORT
        cache/                     CACHE
        rejected/<slot>/<c>.py     rejected_path(program_dir, slot, c)
        backups/<time>/            BACKUPS
        probe/                     PROBE (only while staging: the data source's probe)
    .<program>.publishing-*/       publishing_dir(program_dir): a new program assembled whole,
                                   then moved into place (for a moment only)
    .<program>.lock                lock_path(program_dir): held by the job working on it
    .<program>.writing.lock        writer_lock_path(program_dir): held by the generate
                                   writing candidates (also while others use the program)

A generate stages the program in staging_dir(program_dir), in the system's temporary folder:
out of the user's workspace, one per generate.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.files import write_atomic

SLOTS: tuple[str, ...] = ("data", "features", "model", "training", "postprocess")
GENERATED_SLOTS: tuple[str, ...] = SLOTS[1:]  # data.py is rendered, the others are candidates
REQUIRED_SLOTS: tuple[str, ...] = ("features", "model")  # a program needs these to run

DATA = "data.py"
PIPELINE = "pipeline.py"
PROGRAM_JSON = "program.json"
BEST_PARAMS = "best_params.json"
TESTS = "tests/test_pipeline.py"
CANDIDATES = "candidates"
RENDERED_FILES: tuple[str, ...] = (DATA, PIPELINE, PROGRAM_JSON, TESTS)

STATE_DIR = ".text2ml"
MANIFEST = Path(STATE_DIR) / "manifest.json"
STUDY_DB = Path(STATE_DIR) / "study.db"
REPORT = Path(STATE_DIR) / "report.md"
CACHE = Path(STATE_DIR) / "cache"
REJECTED = Path(STATE_DIR) / "rejected"
BACKUPS = Path(STATE_DIR) / "backups"
PROBE = Path(STATE_DIR) / "probe"


class ProgramError(UserError, ValueError):
    """The program folder cannot be optimized as it is; the message says why and what to do."""


def state_dir(program_dir: Path) -> Path:
    return Path(program_dir) / STATE_DIR


def staging_dir(program_dir: Path) -> Path:
    """A new folder where this generate writes and tests the program before it is published:
    in the system's temporary folder, so nothing half-made is ever among the user's files,
    and its own, so a second generate of the same task cannot delete it. What leaves it is
    copied (files.move_file), so it may be on another filesystem."""
    return Path(tempfile.mkdtemp(prefix=f"text2ml-{program_dir.name}-staging-"))


def publishing_dir(program_dir: Path) -> Path:
    """A new hidden sibling where a program that does not exist yet is assembled, then
    moved to `program_dir` (appear_whole): on the same filesystem, so it takes no time."""
    program_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{program_dir.name}.publishing-",
                                 dir=program_dir.parent))


def appear_whole(assembled: Path, program_dir: Path) -> None:
    """Move the assembled program into place: its folders made, then its files renamed in
    (one filesystem: milliseconds, no copy), the manifest last. Not one rename of the whole
    folder: VS Code's file watcher does not watch the subfolders of a folder renamed into
    the workspace, so an open module would not reload when text2ml rewrites it later."""
    program_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in assembled.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.relative_to(assembled) == MANIFEST)  # stable: the rest first
    for source in files:
        target = program_dir / source.relative_to(assembled)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    shutil.rmtree(assembled, ignore_errors=True)


def lock_path(program_dir: Path) -> Path:
    return program_dir.parent / f".{program_dir.name}.lock"


def writer_lock_path(program_dir: Path) -> Path:
    return program_dir.parent / f".{program_dir.name}.writing.lock"


def candidate_path(program_dir: Path, slot: str, candidate: str) -> Path:
    return Path(program_dir) / CANDIDATES / slot / f"{candidate}.py"


def rejected_path(program_dir: Path, slot: str, candidate: str) -> Path:
    return Path(program_dir) / REJECTED / slot / f"{candidate}.py"


def candidate_files(program_dir: Path, slot: str | None = None) -> list[Path]:
    """The candidate modules on disk, sorted: of one slot, or of every slot (`*/*.py`)."""
    folder = Path(program_dir) / CANDIDATES
    paths = folder.glob(f"{slot}/*.py" if slot else "*/*.py")
    return sorted(p for p in paths if not p.stem.startswith("_"))


def candidate_of(path: Path) -> tuple[Path, str, str] | None:
    """(program_dir, slot, candidate) when `path` is a candidates/<slot>/<c>.py of a program."""
    if path.suffix != ".py" or len(path.parents) < 3 or path.parent.parent.name != CANDIDATES:
        return None
    program_dir, slot = path.parents[2], path.parent.name
    if slot not in GENERATED_SLOTS or not is_program(program_dir):
        return None
    return program_dir, slot, path.stem


def back_up(path: Path, program_dir: Path) -> Path:
    """Copy a user-edited file under .text2ml/backups/<time>/ before it is replaced."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(program_dir) / BACKUPS / stamp / path.relative_to(program_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)
    return target


def is_program(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() or (folder / PROGRAM_JSON).is_file()


def read_manifest(program_dir: Path) -> dict[str, Any]:
    """The manifest, {} when there is none yet; ProgramError when it is not valid JSON."""
    return _read_json(Path(program_dir) / MANIFEST, "regenerate the program, or delete the file "
                      "to use every candidate on disk") or {}


def write_manifest(program_dir: Path, manifest: dict[str, Any]) -> None:
    write_atomic(Path(program_dir) / MANIFEST,
                 json.dumps(manifest, indent=2, default=str) + "\n")


def read_program_json(program_dir: Path) -> dict[str, Any] | None:
    """program.json (task, metric, direction, default choice), None when there is none."""
    return _read_json(Path(program_dir) / PROGRAM_JSON, "regenerate the program")


def read_best_params(program_dir: Path) -> dict[str, Any] | None:
    """best_params.json as `text2ml optimize` wrote it, None before the first optimize."""
    return _read_json(Path(program_dir) / BEST_PARAMS,
                      "re-run `text2ml optimize`, or delete the file")


def _read_json(path: Path, what_to_do: str) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgramError(f"{path} is not valid JSON ({exc}); {what_to_do}") from exc
    if not isinstance(value, dict):
        raise ProgramError(f"{path} does not hold a JSON object; {what_to_do}")
    return value
