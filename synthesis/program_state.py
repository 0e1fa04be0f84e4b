"""The program folder on disk: where it goes, its manifest, and its state for the editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.layout import (
    MANIFEST,
    PIPELINE,
    ProgramError,
    read_best_params,
    read_manifest,
)
from text2ml.synthesis.task import TaskBlock, block_id, slug


def program_dir_for(task_file: Path, block: TaskBlock) -> Path:
    """The default program folder: next to the task file, named after the task's first words."""
    return task_file.resolve().parent / slug(block)


def find_program(task_file: Path, block: TaskBlock) -> Path | None:
    """The existing program made from this block: by default folder, else by task hash."""
    default = program_dir_for(task_file, block)
    if (default / MANIFEST).exists():
        return default
    wanted = block_id(block)
    for manifest_path in task_file.resolve().parent.glob(f"*/{MANIFEST.as_posix()}"):
        try:
            manifest = read_manifest(manifest_path.parent.parent)
        except ProgramError:  # another program's broken manifest is not this block's program
            continue
        if manifest.get("block_id") == wanted:
            return manifest_path.parent.parent
    return None


@dataclass
class CandidateState:
    name: str
    status: str
    origin: str
    failures: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ProgramState:
    program_dir: Path
    task_hash: str
    slots: dict[str, list[CandidateState]]
    tests_passed: int
    tests_total: int
    best: dict[str, Any] | None  # {"metric", "score", "trials"} once optimized
    metric: str = ""
    # while the LLM's candidates join the recipe program: {"state", "writer", "done",
    # "total", "passed"} (publishing.Progress); {} for a program written in one go
    generation: dict[str, Any] = field(default_factory=dict)

    @property
    def writing(self) -> bool:
        return self.generation.get("state") == "writing"

    @property
    def entry(self) -> Path:
        return self.program_dir / PIPELINE


def load_state(program_dir: Path) -> ProgramState | None:
    """The state the editor shows; None when there is no program (or its manifest is broken,
    so the editor offers to generate it again)."""
    try:
        manifest = read_manifest(program_dir)
    except ProgramError:
        return None
    if not manifest:
        return None
    slots = {
        slot: [CandidateState(name, c.get("status", "failed"), c.get("origin", "llm"),
                              c.get("failures", []))
               for name, c in info.get("candidates", {}).items()]
        for slot, info in manifest.get("slots", {}).items()
    }
    states = [c for cands in slots.values() for c in cands]
    best = None
    try:
        saved = read_best_params(program_dir)
    except ProgramError:
        saved = None
    if saved is not None:
        best = {"metric": manifest.get("spec", {}).get("metric", ""),
                "score": saved.get("best_value"), "trials": saved.get("n_trials"),
                "test_score": saved.get("test_score")}
    return ProgramState(program_dir, manifest.get("task_hash", ""), slots,
                        sum(c.status == "passed" for c in states), len(states), best,
                        manifest.get("spec", {}).get("metric", ""),
                        manifest.get("generation", {}))
