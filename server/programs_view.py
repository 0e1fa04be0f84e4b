"""The custom request `text2ml/programs`: the workspace's programs → slots → candidates, with
each candidate's state (passed, failed with its check, rejected), the recipe it was adapted
from and its validation score, and the study's leaderboard so far. A request rather than a
client-side reading of files, so any LSP client can show it; VS Code's tree view polls it
while a job runs, which makes the leaderboard live.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path, to_fs_path

from text2ml.server.base import Text2MLServer
from text2ml.synthesis import layout

PROGRAMS_REQUEST = "text2ml/programs"
SEARCH_DEPTH = 4  # folders below a workspace folder that may hold a program
SKIPPED = {".git", ".venv", "venv", "node_modules", "__pycache__", layout.STATE_DIR}
LEADERBOARD_ROWS = 5


def find_programs(root: Path, depth: int = SEARCH_DEPTH) -> list[Path]:
    """Program folders under `root` (a manifest in .text2ml/), sorted; never below a program."""
    found: list[Path] = []
    root_depth = len(root.parts)
    for folder, dirs, _files in os.walk(root):
        here = Path(folder)
        if (here / layout.MANIFEST).is_file():
            found.append(here)
            dirs.clear()
            continue
        dirs[:] = [d for d in dirs if d not in SKIPPED and not d.startswith(".")
                   and len(here.parts) - root_depth < depth]
    return sorted(found)


def candidate_entry(program_dir: Path, slot: str, name: str, record: dict[str, Any],
                    accepted: str | None) -> dict[str, Any]:
    path = layout.candidate_path(program_dir, slot, name)
    status = str(record.get("status") or "unknown")
    if not path.is_file() and layout.rejected_path(program_dir, slot, name).is_file():
        path = layout.rejected_path(program_dir, slot, name)
        status = "rejected" if status == "passed" else status
    failures = record.get("failures") or []
    return {"name": name, "status": status, "accepted": name == accepted,
            "origin": record.get("origin"), "recipe": record.get("recipe"),
            "score": record.get("score"),
            "check": failures[0].get("check") if failures else None,
            "uri": from_fs_path(str(path)) if path.is_file() else None}


def leaderboard(program_dir: Path) -> list[dict[str, Any]]:
    """The best candidate combinations of the program's SQLite study so far; [] without one.
    Read on each request, so a running optimization shows its newest trials."""
    if not (program_dir / layout.STUDY_DB).is_file():
        return []
    try:
        import optuna

        from text2ml.optimization.report import leaderboard as rows
        from text2ml.optimization.storage import read_only_url

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        url = read_only_url(program_dir)
        summaries = optuna.get_all_study_summaries(url)
        if not summaries:
            return []
        newest = max(summaries, key=lambda s: s.datetime_start.timestamp()
                     if s.datetime_start else 0.0)
        study = optuna.load_study(study_name=newest.study_name, storage=url)
        return rows(study)[:LEADERBOARD_ROWS]
    except Exception:  # a study being written or from another version: no leaderboard yet
        return []


def describe_program(program_dir: Path) -> dict[str, Any]:
    manifest = layout.read_manifest(program_dir)
    spec = manifest.get("spec") or {}
    slots = []
    for slot in layout.GENERATED_SLOTS:
        info = (manifest.get("slots") or {}).get(slot) or {}
        accepted = info.get("accepted")
        candidates = [candidate_entry(program_dir, slot, name, record or {}, accepted)
                      for name, record in sorted((info.get("candidates") or {}).items())]
        slots.append({"slot": slot, "accepted": accepted, "candidates": candidates})
    best = layout.read_best_params(program_dir) or {}
    chosen = best.get("choice") or {}
    for entry in slots:
        for candidate in entry["candidates"]:
            candidate["best"] = chosen.get(entry["slot"]) == candidate["name"]
    return {"name": program_dir.name, "folder": str(program_dir),
            "uri": from_fs_path(str(program_dir)), "task": manifest.get("task"),
            "metric": spec.get("metric"), "best": best.get("best_value"),
            "slots": slots, "leaderboard": leaderboard(program_dir)}


def candidate_summary(candidate: dict[str, Any]) -> str:
    """"passed · used by the best trial · score 0.973 · recipe tabular/model_hgb" (the tree
    view's client-vscode/src/programs.ts candidateSummary says the same)."""
    status = candidate["status"]
    parts = [f"failed ({candidate['check']})" if status == "failed" and candidate.get("check")
             else status]
    if candidate.get("best"):
        parts.append("used by the best trial")
    elif candidate.get("accepted"):
        parts.append("accepted")
    if isinstance(candidate.get("score"), int | float):
        parts.append(f"score {candidate['score']:.3f}")
    if candidate.get("recipe"):
        parts.append(f"recipe {candidate['recipe']}")
    elif candidate.get("origin"):
        parts.append(f"from the {candidate['origin']}")
    return " · ".join(parts)


def module_summary(path: Path) -> tuple[Path, str] | None:
    """(program folder, summary) for a candidate module's lens; None for any other file."""
    found = layout.candidate_of(path)
    if found is None:
        return None
    program_dir, slot, name = found
    manifest = layout.read_manifest(program_dir)
    info = (manifest.get("slots") or {}).get(slot) or {}
    record = (info.get("candidates") or {}).get(name)
    if record is None:
        return None
    candidate = candidate_entry(program_dir, slot, name, record, info.get("accepted"))
    chosen = (layout.read_best_params(program_dir) or {}).get("choice") or {}
    candidate["best"] = chosen.get(slot) == name
    return program_dir, candidate_summary(candidate)


def workspace_roots(ls: Text2MLServer) -> list[Path]:
    uris = [folder.uri for folder in ls.workspace.folders.values()] or (
        [ls.workspace.root_uri] if ls.workspace.root_uri else [])
    return [Path(to_fs_path(uri)) for uri in uris if uri and uri.startswith("file:")]


def programs(ls: Text2MLServer, params: Any = None) -> dict[str, Any]:
    found = [p for root in workspace_roots(ls) for p in find_programs(root)]
    described = []
    for program_dir in found:
        try:
            described.append(describe_program(program_dir))
        except Exception as exc:  # one unreadable manifest must not hide the other programs
            ls.log(f"{PROGRAMS_REQUEST}: {program_dir}: {exc!r}")
    return {"programs": described}


def register(server: Text2MLServer) -> None:
    # Reads files and a SQLite study: on text2ml's executor, never on pygls's thread pool
    # (its stdin reader shares that pool) nor on the event loop.
    @server.feature(PROGRAMS_REQUEST)
    async def on_programs(ls: Text2MLServer, params: Any = None) -> dict[str, Any]:
        return await asyncio.wrap_future(ls.jobs.submit(programs, ls, params))
