"""The program on disk while it is written: the recipe program first, then the LLM's
candidates joining it one by one as they pass their tests.

Generation works in a staging folder out of the workspace. Once the program written from the
recipes is tested, it is copied into the program folder at once (a whole, runnable
`pipeline.py`; a program folder that does not exist yet is assembled aside and moved into
place, so it never appears half-made); from then on each candidate that passes is copied in
beside it and the manifest says how far the writing is (`generation`: done/total). Only
files that passed are ever in `candidates/`, so the program folder is whole at every moment:
a cancel, a spent budget or a failing endpoint leaves the best program so far, and the user
can run and optimize it meanwhile.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.files import move_file, write_atomic
from text2ml.synthesis.layout import (
    CANDIDATES,
    GENERATED_SLOTS,
    REJECTED,
    RENDERED_FILES,
    appear_whole,
    candidate_path,
    publishing_dir,
    read_manifest,
    write_manifest,
)
from text2ml.synthesis.slot_loop import CandidateRecord, SlotOutcome

WRITING = "writing"  # generation.state while the LLM's candidates are still coming


def replaces_nothing_better(program_dir: Path, task_hash: str) -> bool:
    """Publish the recipe program early unless a whole program of this very task is there:
    that one is the best so far until the new one is whole (an edited task's old program
    answers another task, so the new recipe program replaces it at once)."""
    try:
        manifest = read_manifest(program_dir)
    except ValueError:  # a broken manifest: nothing there worth keeping
        return True
    whole = bool(manifest.get("result", {}).get("ok"))
    return not (whole and manifest.get("task_hash") == task_hash)


def whole(outcomes: dict[str, SlotOutcome]) -> bool:
    return all(outcomes.get(s) and outcomes[s].accepted for s in GENERATED_SLOTS)


@dataclass
class Progress:
    """How far the writing after the recipe program is: the editor's "LLM candidates 3/7…"."""

    total: int
    writer: str  # "LLM" or "recipes"
    done: int = 0
    passed: int = 0
    state: str = WRITING

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "writer": self.writer, "done": self.done,
                "total": self.total, "passed": self.passed}


@dataclass
class Publication:
    """The program folder, kept whole and up to date while the staging folder fills."""

    staging: Path
    program_dir: Path
    # (outcomes, llm, model) -> the manifest: generate.build_manifest with its context
    manifest_of: Callable[[dict[str, SlotOutcome], Any, str], dict[str, Any]]
    progress: Progress
    llm: Any = None  # the LLM client once it is open (its usage goes in the manifest)
    model: str = "recipes (the LLM is starting)"
    outcomes: dict[str, SlotOutcome] = field(default_factory=dict)
    early_choice: dict[str, str] = field(default_factory=dict)  # the recipe program's
    # what text2ml wrote, hashed as it wrote it: a file the user edits meanwhile (the
    # program is theirs to use from the first second) is still told apart by the next run
    hashes: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # a file's text in the program where it differs from the staged one (data.py: the path
    # of a data file is relative to the folder data.py is in)
    final_texts: dict[str, str] = field(default_factory=dict)

    def publish(self, outcomes: dict[str, SlotOutcome]) -> None:
        """Replace the program's generated files with the staged recipe program (its
        program.json already names the recipe candidates as its choice). A new program is
        assembled aside and moved into place at once: its folder appears whole."""
        self.outcomes = {slot: SlotOutcome(slot, dict(o.candidates), o.accepted)
                         for slot, o in outcomes.items()}
        self.early_choice = {slot: o.accepted for slot, o in outcomes.items() if o.accepted}
        fresh = not self.program_dir.exists()
        into = publishing_dir(self.program_dir) if fresh else self.program_dir
        shutil.rmtree(into / CANDIDATES, ignore_errors=True)
        shutil.rmtree(into / REJECTED, ignore_errors=True)
        for rel in RENDERED_FILES:
            self.copy(rel, into)
        for slot, outcome in self.outcomes.items():
            for record in outcome.candidates.values():
                if record.status == "passed":
                    self.copy_in(slot, record.name, into)
        self.write(into)
        if fresh:
            appear_whole(into, self.program_dir)

    def copy_in(self, slot: str, name: str, into: Path | None = None) -> None:
        self.copy(candidate_path(self.staging, slot, name).relative_to(self.staging), into)

    def copy(self, rel: Path | str, into: Path | None = None) -> None:
        key = Path(rel).as_posix()
        text = self.final_texts.get(key) or (self.staging / rel).read_text(encoding="utf-8")
        write_atomic((into or self.program_dir) / rel, text)
        self.hashes[key] = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def join(self, slot: str, record: CandidateRecord) -> None:
        """A candidate of the writing has its verdict: a passing one joins the program now;
        either way the manifest counts it. Called from the generator's threads."""
        with self.lock:
            outcome = self.outcomes.setdefault(slot, SlotOutcome(slot))
            retested = record.name in outcome.candidates
            outcome.candidates[record.name] = record
            if not retested:
                self.progress.done += 1
                self.progress.passed += record.status == "passed"
            if record.status == "passed":
                self.copy_in(slot, record.name)
            self.write()

    def stop(self, why: str) -> None:
        """The writing ended early (cancelled, budget, endpoint): the program stays as it is,
        and its manifest says why the rest is missing."""
        with self.lock:
            self.progress.state = why
            self.write()

    def write(self, into: Path | None = None) -> None:
        """The manifest of the program as it is on disk: the candidates that joined (failed
        ones stay in staging until the end), and how far the writing is."""
        joined = {slot: SlotOutcome(slot, {n: r for n, r in o.candidates.items()
                                           if r.status == "passed"}, o.accepted)
                  for slot, o in self.outcomes.items()}
        manifest = self.manifest_of(joined, self.llm, self.model)
        manifest["files"] = dict(self.hashes)
        manifest["result"] = {"ok": whole(joined), "score": None}
        manifest["generation"] = self.progress.as_dict()
        write_manifest(into or self.program_dir, manifest)


def set_aside_in_place(program_dir: Path, staging: Path, outcomes: dict[str, SlotOutcome]
                       ) -> None:
    """The end of a published writing: modules that failed (in staging, or a recipe that
    failed again on new upstream modules) go to .text2ml/rejected beside the program."""
    for slot, outcome in outcomes.items():
        for name, record in outcome.candidates.items():
            if record.status == "passed":
                continue
            for folder in (program_dir, staging):
                source = candidate_path(folder, slot, name)
                if source.exists():
                    target = program_dir / REJECTED / slot / f"{name}.py"
                    move_file(source, target)
                    for failure in record.failures:
                        failure.file = str(target)
                    break
