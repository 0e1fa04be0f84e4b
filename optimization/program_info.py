"""What the optimizer needs to know about a generated program: its metric and its candidates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from text2ml.synthesis.layout import (
    GENERATED_SLOTS,
    PROGRAM_JSON,
    REQUIRED_SLOTS,
    ProgramError,
    candidate_files,
    candidate_path,
    read_manifest,
    read_program_json,
)
from text2ml.synthesis.search_space import Param, read_search_space

__all__ = ["ProgramError", "ProgramInfo", "load_program"]


@dataclass
class ProgramInfo:
    program_dir: Path
    metric: str
    direction: str
    problem_type: str
    default_choice: dict[str, str]
    # slot -> candidate -> its search space; only candidates that passed their tests
    candidates: dict[str, dict[str, dict[str, Param]]]
    study_name: str


def _slot_candidates(program_dir: Path, slot: str, manifest: dict[str, Any]) -> list[str]:
    on_disk = [p.stem for p in candidate_files(program_dir, slot)]
    listed = manifest.get("slots", {}).get(slot, {}).get("candidates")
    if not listed:
        return on_disk
    return [name for name in on_disk if listed.get(name, {}).get("status") == "passed"]


def _study_name(program_dir: Path, program: dict[str, Any], manifest: dict[str, Any],
                candidates: dict[str, dict[str, dict[str, Param]]]) -> str:
    """Same task and same candidates → same study (resumed); a regenerated program → a new one,
    since Optuna cannot change a parameter's choices within a study."""
    task_hash = manifest.get("task_hash") or (
        hashlib.sha256(program["task"].encode()).hexdigest() if program.get("task") else "")
    space = hashlib.sha256(repr(sorted((slot, name, sorted(params.items()))
                                       for slot, names in candidates.items()
                                       for name, params in names.items())).encode())
    stem = f"text2ml-{task_hash[:16]}" if task_hash else f"text2ml-{program_dir.name}"
    return f"{stem}-{space.hexdigest()[:8]}"


def load_program(program_dir: Path) -> ProgramInfo:
    """Read program.json, the manifest and every passing candidate's SEARCH_SPACE (no code runs)."""
    program_dir = Path(program_dir).resolve()
    program = read_program_json(program_dir)
    if program is None:
        raise ProgramError(f"{program_dir / PROGRAM_JSON} not found: is {program_dir} a text2ml "
                           "program? Run `text2ml generate` first.")
    manifest = read_manifest(program_dir)
    candidates: dict[str, dict[str, dict[str, Param]]] = {}
    for slot in GENERATED_SLOTS:
        names = _slot_candidates(program_dir, slot, manifest)
        if names:
            candidates[slot] = {name: read_search_space(candidate_path(program_dir, slot, name))
                                for name in names}
    for slot in REQUIRED_SLOTS:
        if slot not in candidates:
            raise ProgramError(f"no {slot} candidate passed its tests in {program_dir}; "
                               "regenerate or repair the candidates before optimizing")
    return ProgramInfo(program_dir, program["metric"], program["direction"],
                       program.get("problem_type", ""), dict(program.get("choice", {})),
                       candidates, _study_name(program_dir, program, manifest, candidates))
