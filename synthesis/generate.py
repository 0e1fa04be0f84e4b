"""From a task block to a tested program on disk: the whole journey, and re-testing it."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.data_checks import check_spec
from text2ml.synthesis.errors import disk_problem
from text2ml.synthesis.files import edited_since, move_file, sha256_file, write_atomic
from text2ml.synthesis.grounding import render_data_module
from text2ml.synthesis.layout import (
    CACHE,
    CANDIDATES,
    DATA,
    GENERATED_SLOTS,
    PIPELINE,
    PROBE,
    PROGRAM_JSON,
    REJECTED,
    RENDERED_FILES,
    TESTS,
    appear_whole,
    back_up,
    candidate_files,
    candidate_path,
    publishing_dir,
    read_manifest,
    read_program_json,
    rejected_path,
    staging_dir,
    write_manifest,
)
from text2ml.synthesis.llm.backend import LazyLLM, open_llm
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.program_lock import first_argument, holding, holds_program
from text2ml.synthesis.program_state import program_dir_for
from text2ml.synthesis.publishing import (
    Progress,
    Publication,
    replaces_nothing_better,
    set_aside_in_place,
    whole,
)
from text2ml.synthesis.recipes import recipes_for
from text2ml.synthesis.records import Cancelled, Failure, ProgressEvent, TaskError
from text2ml.synthesis.sandbox.limits import Limits, run_python
from text2ml.synthesis.slot_loop import (
    DEFAULT_CANDIDATES,
    CandidateRecord,
    Events,
    Generator,
    SlotOutcome,
)
from text2ml.synthesis.spec import TaskSpec, understand
from text2ml.synthesis.task import (
    TaskBlock,
    block_at,
    block_id,
    data_in_code,
    find_task_blocks,
)
from text2ml.synthesis.testing import DEFAULT_LIMITS, test_candidate

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class GenerateOptions:
    candidates: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CANDIDATES))
    repairs: int = 3
    llm: LLMSettings = field(default_factory=LLMSettings)
    out: Path | None = None
    parallel: int | None = None  # None: 1 for the embedded model, 3 for a remote endpoint
    test_limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    recipes_only: bool = False  # no LLM writes modules: the recipes stand in as candidates


class NoModuleLLM:
    """Recipes-only mode: the generator never asks, so nothing is started or counted."""

    def __init__(self) -> None:
        from text2ml.synthesis.llm.client import Usage

        self.usage = Usage()

    def chat(self, *args: object, **kwargs: object) -> object:
        raise RuntimeError("recipes-only mode asks no LLM for a module")


@dataclass
class GenerateResult:
    program_dir: Path
    ok: bool
    failures: list[Failure]
    usage: str
    seconds: float
    score: dict[str, Any] | None = None
    backups: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class TestReport:
    failures: list[Failure]
    passed: int
    total: int
    score: dict[str, Any] | None = None  # pipeline.py's line (with its baseline), if run
    unsaved: str | None = None  # why the results could not be recorded in the manifest


def pick_block(task_file: Path, line: int | None) -> TaskBlock:
    source = task_file.read_text(encoding="utf-8")
    block = block_at(source, line) if line is not None else next(
        iter(find_task_blocks(source)), None)
    if block is None:
        where = f"{task_file}:{line + 1}" if line is not None else str(task_file)
        raise TaskError(f"No task block found at {where}.",
                        hint="Start a comment or docstring with 'TASK:' and describe the task.")
    return block


def protect_user_edits(program_dir: Path) -> list[str]:
    """Back up every file the user changed since text2ml wrote it; return the backups."""
    recorded: dict[str, str] = read_manifest(program_dir).get("files", {})
    backups = []
    for rel, digest in recorded.items():
        path = program_dir / rel
        if edited_since(path, digest):
            backups.append(str(back_up(path, program_dir)))
    for path in candidate_files(program_dir):
        rel = path.relative_to(program_dir).as_posix()
        if rel not in recorded:
            backups.append(str(back_up(path, program_dir)))
    return backups


def write_static_files(program_dir: Path, spec: TaskSpec, task_file: Path,
                       choice: dict[str, str]) -> None:
    write_atomic(program_dir / DATA, data_text(spec, program_dir, task_file))
    write_atomic(program_dir / PIPELINE, (TEMPLATES / "pipeline.py.tmpl").read_text())
    write_atomic(program_dir / TESTS,
                 (TEMPLATES / "test_pipeline.py.tmpl").read_text())
    write_program_json(program_dir, spec, choice)


def data_text(spec: TaskSpec, program_dir: Path, task_file: Path) -> str:
    """data.py as it reads in `program_dir`: a data file's path is relative to it, so the
    staged copy (elsewhere) and the published one differ."""
    return render_data_module(spec.data, program_dir, task_file.parent, target=spec.target,
                              problem_type=spec.problem_type)


def write_program_json(program_dir: Path, spec: TaskSpec, choice: dict[str, str]) -> None:
    write_atomic(program_dir / PROGRAM_JSON, json.dumps({
        "task": spec.task, "problem_type": spec.problem_type, "modality": spec.modality,
        "target": spec.target, "metric": spec.metric, "direction": spec.direction,
        "task_hash": spec.task_hash, "choice": choice}, indent=2) + "\n")


def run_pipeline(program_dir: Path, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Run the finished program as a user would; its JSON line, or a failure record."""
    result = run_python([PIPELINE], cwd=program_dir, limits=Limits(wall_seconds=600,
                        memory_mb=4096), cancel=cancel)
    reply = last_json_line(result.stdout)
    if result.returncode != 0 or reply is None:
        return {"error": f"pipeline.py {result.reason}", "stderr": result.stderr[-2000:]}
    return reply


def planned_program_dir(task_file: Path, line: int | None, options: GenerateOptions,
                        **_: Any) -> Path:
    """The folder `generate_program` will write: the one its lock guards."""
    task_file = task_file.resolve()
    return (options.out or program_dir_for(task_file, pick_block(task_file, line))).resolve()


def generate_program(task_file: Path, line: int | None, options: GenerateOptions, *,
                     events: Events | None = None,
                     cancel: threading.Event | None = None) -> GenerateResult:
    """Write the program in a staging folder: first from the recipes, tested and published
    at once, then with the LLM's candidates joining it as they pass.

    The recipe program replaces what was there unless a whole program of this very task is
    there; then that one stays as it was until the new one is whole. From the publication
    on, a cancel, a spent budget or a failing LLM leaves the program whole as it is, and the
    program's lock is let go (the writer's lock stays), so it can be tested and optimized
    while the LLM writes. The LLM's replies stay cached in .text2ml/cache for the next run.
    """
    task_file = task_file.resolve()
    program_dir = planned_program_dir(task_file, line, options)
    with holding(program_dir, "generating", writer=True), ExitStack() as program_lock:
        program_lock.enter_context(holding(program_dir, "generating"))
        return Generation(task_file, pick_block(task_file, line), program_dir, options,
                          events or (lambda event: None), cancel,
                          program_lock.close).run()


@dataclass
class Generation:
    """One run of generate_program, from the task text to the finished program."""

    task_file: Path
    block: TaskBlock
    program_dir: Path
    options: GenerateOptions
    emit: Events
    cancel: threading.Event | None
    release: Callable[[], None]  # lets go of the program's lock once the program is out
    started: float = field(default_factory=time.monotonic)
    backups: list[str] = field(default_factory=list)
    publication: Publication | None = None
    spec: TaskSpec = field(init=False)  # once the task is understood
    # the LLM's reply cache: the program's own when it exists; else the staging folder's,
    # kept once the program is out (a program folder never holds only a cache)
    cache: Path = field(init=False)

    def say(self, message: str) -> None:
        self.emit(ProgressEvent("llm", message, 0.02))

    def run(self) -> GenerateResult:
        self.emit(ProgressEvent("spec", "understanding the task", 0.02))
        staging = staging_dir(self.program_dir)
        self.cache = self.program_dir / CACHE if self.program_dir.exists() else staging / CACHE
        try:
            outcomes, llm, model = self.write(staging)
        finally:
            keep_cache(staging / CACHE, self.program_dir)
            shutil.rmtree(staging, ignore_errors=True)
        relocate_failures(outcomes, staging, self.program_dir)
        result = self.finish(outcomes, llm, model)
        if not result.ok and self.publication is not None:
            return self.recipe_default(outcomes, llm, model) or result
        return result

    def finish(self, outcomes: dict[str, SlotOutcome], llm: Any, model: str) -> GenerateResult:
        return finish(self.program_dir, self.spec, self.task_file, self.block, outcomes, llm,
                      model, self.started, self.backups, self.cancel, self.publication)

    def recipe_default(self, outcomes: dict[str, SlotOutcome], llm: Any, model: str
                       ) -> GenerateResult | None:
        """The best candidates did not run together as pipeline.py: the recipe program
        (tested as a chain) stays the default, so the end never leaves a program worse than
        its start; the others stay in candidates/ for the optimizer."""
        early = self.publication.early_choice if self.publication else {}
        usable = all(slot in outcomes and outcomes[slot].candidates.get(name) is not None
                     and outcomes[slot].candidates[name].status == "passed"
                     for slot, name in early.items())
        if not early or not usable or accepted_choice(outcomes) == early:
            return None
        for slot, name in early.items():
            outcomes[slot].accepted = name
        self.emit(ProgressEvent("generate", "the best candidates did not run together as "
                                "pipeline.py; the recipe program stays the default", 1.0))
        return self.finish(outcomes, llm, model)

    def write(self, staging: Path) -> tuple[dict[str, SlotOutcome], Any, str]:
        options = self.options
        # the LLM starts only if the task needs a choice, or once it is understood: a task
        # that names no data fails in seconds, with no model loaded
        self.spec = understand(
            self.block.text, LazyLLM(options.llm, self.cache, self.say,
                                     self.cancel),
            self.task_file.parent, staging / PROBE,
            code_files=data_in_code(self.task_file.read_text(encoding="utf-8")))
        check_spec(self.spec)  # enough rows and classes, before any LLM call is paid for
        self.emit(ProgressEvent("understood", f"task understood: {self.spec.problem_type}, "
                                f"target {self.spec.target!r}, {self.spec.metric}", 0.02))
        opening = Opening(options, self.cache, self.say, self.cancel)
        write_static_files(staging, self.spec, self.task_file, {})
        generator = Generator(self.spec, staging, NoModuleLLM(), options.candidates,
                              options.repairs, 1, self.emit, self.cancel,
                              limits=options.test_limits, recipes_only=options.recipes_only,
                              span=(0.02, EARLY_SHARE))
        early = self.recipe_program(generator, staging)
        llm, model, parallel = opening.wait()
        generator.llm, generator.parallel, generator.span = llm, parallel, (EARLY_SHARE, 1.0)
        if self.publication is not None:
            self.publication.llm, self.publication.model = llm, model
            generator.finished = self.joined
        outcomes = self.extend(generator, early)
        if self.publication is not None:
            set_aside_in_place(self.program_dir, staging, outcomes)
        else:
            set_aside_failed(staging, outcomes)
            self.backups = (protect_user_edits(self.program_dir)
                            if self.program_dir.exists() else [])
            move_into_place(staging, self.program_dir, self.final_texts())
        return outcomes, llm, model

    def recipe_program(self, generator: Generator, staging: Path) -> dict[str, SlotOutcome]:
        """The program from the recipes, tested and published before any LLM call; {} when
        a whole program of this task is already there, or a recipe failed on this data."""
        if not replaces_nothing_better(self.program_dir, self.spec.task_hash):
            return {}
        early = generator.recipe_program()
        if not whole(early):
            self.emit(ProgressEvent("generate", "a recipe failed its tests on this data; the "
                                    "program is published once the LLM's candidates pass",
                                    EARLY_SHARE))
            return early
        write_program_json(staging, self.spec, accepted_choice(early))
        self.backups = protect_user_edits(self.program_dir) if self.program_dir.exists() else []
        self.publication = Publication(staging, self.program_dir, self.manifest_of,
                                       Progress(writing_total(self.spec, self.options),
                                                "recipes" if self.options.recipes_only
                                                else "LLM"), NoModuleLLM(),
                                       final_texts=self.final_texts())
        self.publication.publish(early)
        self.release()
        self.emit(ProgressEvent("program", f"tested program from the recipe library written: "
                                f"{self.program_dir / PIPELINE} ({len(early)}/{len(early)} "
                                "modules passed); run or optimize it now, the other "
                                "candidates join it as they pass", EARLY_SHARE,
                                {"program_dir": str(self.program_dir)}))
        return early

    def extend(self, generator: Generator, early: dict[str, SlotOutcome]
               ) -> dict[str, SlotOutcome]:
        try:
            return generator.extend(early)
        except BaseException as exc:
            if self.publication is not None:
                why = "cancelled" if isinstance(exc, Cancelled) else f"stopped: {exc}"[:300]
                self.publication.stop(why)
                self.emit(ProgressEvent("program", f"{why}; the tested program so far stays "
                                        f"in {self.program_dir}", 1.0,
                                        {"program_dir": str(self.program_dir)}))
            raise

    def joined(self, slot: str, record: CandidateRecord) -> None:
        """A candidate has its verdict: into the program if it passed, and say so (the
        editor refreshes its lens, the CLI prints the line)."""
        if self.publication is None:
            return
        self.publication.join(slot, record)
        progress = self.publication.progress
        verdict = "passed its tests and joined the program" if record.status == "passed" \
            else "failed its tests"
        self.emit(ProgressEvent("joined", f"{slot}/{record.name} {verdict} ({progress.writer} "
                                f"candidates {progress.done}/{progress.total})", EARLY_SHARE,
                                {"program_dir": str(self.program_dir), "slot": slot,
                                 "candidate": record.name, "status": record.status}))

    def final_texts(self) -> dict[str, str]:
        return {DATA: data_text(self.spec, self.program_dir, self.task_file)}

    def manifest_of(self, outcomes: dict[str, SlotOutcome], llm: Any, model: str
                    ) -> dict[str, Any]:
        return build_manifest(self.program_dir, self.spec, self.task_file, self.block,
                              outcomes, llm, model)


# The share of the job's progress bar that the recipe program fills: it is a few seconds of
# a run whose LLM part takes a minute or more.
EARLY_SHARE = 0.1


def accepted_choice(outcomes: dict[str, SlotOutcome]) -> dict[str, str]:
    return {slot: o.accepted for slot, o in outcomes.items() if o.accepted}


def writing_total(spec: TaskSpec, options: GenerateOptions) -> int:
    """How many candidates are written after the recipe program (the lens's "3/7")."""
    if options.recipes_only:
        return sum(len(recipes_for(slot, spec.modality, spec.problem_type)) - 1
                   for slot in GENERATED_SLOTS)
    return sum(options.candidates.get(slot, 1) for slot in GENERATED_SLOTS)


class Opening:
    """The LLM opened in the background (the embedded model loads for seconds) while the
    recipe program is tested; recipes-only mode opens nothing."""

    def __init__(self, options: GenerateOptions, cache: Path, say: Callable[[str], None],
                 cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.future: Future[tuple[Any, str, int]] = Future()
        if options.recipes_only:
            self.future.set_result((NoModuleLLM(), "recipes only", 1))
            return

        def open_it() -> None:
            try:
                llm, endpoint = open_llm(options.llm, cache, say, cancel)
                self.future.set_result((llm, endpoint.model,
                                        options.parallel or endpoint.parallel))
            except BaseException as exc:  # handed to the generation thread by wait()
                self.future.set_exception(exc)

        # a daemon thread: a cancelled run need not wait for the model to finish loading
        threading.Thread(target=open_it, name="text2ml-open-llm", daemon=True).start()

    def wait(self) -> tuple[Any, str, int]:
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled("generation was cancelled")
            try:
                return self.future.result(timeout=0.2)
            except FuturesTimeout:
                continue


def set_aside_failed(program_dir: Path, outcomes: dict[str, SlotOutcome]) -> None:
    """Only modules that pass their tests stay in candidates/; the rest go to .text2ml/rejected.

    So `text2ml test` and the optimizer see working modules only, and the failed ones stay
    at hand, with their failures in the manifest, for whoever wants to look.
    """
    for slot, outcome in outcomes.items():
        for name, record in outcome.candidates.items():
            source = candidate_path(program_dir, slot, name)
            if record.status == "passed" or not source.exists():
                continue
            target = rejected_path(program_dir, slot, name)
            move_file(source, target)
            for failure in record.failures:
                if failure.file == str(source):
                    failure.file = str(target)


def move_into_place(staging: Path, program_dir: Path, final_texts: dict[str, str]) -> None:
    """Replace the program's generated files with the staged ones (user edits backed up;
    `final_texts` are files whose text differs in the program). A new program is assembled
    aside and moved into place at once, so its folder appears whole; the cache is kept apart."""
    fresh = not program_dir.exists()
    into = publishing_dir(program_dir) if fresh else program_dir
    shutil.rmtree(into / CANDIDATES, ignore_errors=True)
    shutil.rmtree(into / REJECTED, ignore_errors=True)
    left_out = (staging / PROBE, staging / CACHE)
    for source in sorted(staging.rglob("*")):
        if source.is_file() and not any(folder in source.parents for folder in left_out):
            rel = source.relative_to(staging)
            if rel.as_posix() in final_texts:
                write_atomic(into / rel, final_texts[rel.as_posix()])
            else:
                move_file(source, into / rel)
    if fresh:
        appear_whole(into, program_dir)


def keep_cache(cache: Path, program_dir: Path) -> None:
    """The LLM's replies cached in staging join the program's cache once the program is
    out (a re-run then costs nothing); with no program they go with the staging folder."""
    if not cache.is_dir() or not program_dir.is_dir():
        return
    for source in cache.rglob("*.json"):
        move_file(source, program_dir / CACHE / source.relative_to(cache))


def relocate_failures(outcomes: dict[str, SlotOutcome], staging: Path, program_dir: Path
                      ) -> None:
    for outcome in outcomes.values():
        for record in outcome.candidates.values():
            for failure in record.failures:
                if failure.file and failure.file.startswith(str(staging)):
                    failure.file = str(program_dir) + failure.file[len(str(staging)):]


def finish(program_dir: Path, spec: TaskSpec, task_file: Path, block: TaskBlock,
           outcomes: dict[str, SlotOutcome], llm: Any, model: str, started: float,
           backups: list[str], cancel: threading.Event | None,
           publication: Publication | None = None) -> GenerateResult:
    choice = {slot: o.accepted for slot, o in outcomes.items() if o.accepted}
    write_program_json(program_dir, spec, choice)
    failures = [f for o in outcomes.values() for r in o.candidates.values()
                if r.status != "passed" for f in r.failures]
    complete = all(outcomes.get(s) and outcomes[s].accepted for s in GENERATED_SLOTS)
    score = run_pipeline(program_dir, cancel) if complete else None
    ok = bool(complete and score and "score" in score)
    manifest = build_manifest(program_dir, spec, task_file, block, outcomes, llm, model)
    manifest["result"] = {"ok": ok, "score": score}
    if publication is not None:  # the candidates as text2ml wrote them, not as edited since
        manifest["files"].update({rel: digest for rel, digest in publication.hashes.items()
                                  if rel != PROGRAM_JSON and rel in manifest["files"]})
        publication.progress.state = "done"
        manifest["generation"] = publication.progress.as_dict()
    write_manifest(program_dir, manifest)
    return GenerateResult(program_dir, ok, failures, llm.usage.summary(),
                          time.monotonic() - started, score, backups, slot_stats(outcomes, llm))


def slot_stats(outcomes: dict[str, SlotOutcome], llm: Any) -> dict[str, Any]:
    records = [r for o in outcomes.values() for r in o.candidates.values() if r.origin == "llm"]
    return {
        "candidates": len(records),
        "passed": sum(r.status == "passed" for r in records),
        "repairs": sum(max(r.attempts - 1, 0) for r in records),
        "autofixes": sum(len(r.fixes) for r in records),
        "llm_seconds": round(llm.usage.seconds, 1),
        "slots_with_llm_pass": sum(any(r.status == "passed" and r.origin == "llm"
                                       for r in o.candidates.values())
                                   for o in outcomes.values()),
        "slots": len(outcomes),
        "llm_calls": llm.usage.calls, "cached_calls": llm.usage.cached_calls,
        "prompt_tokens": llm.usage.prompt_tokens,
        "completion_tokens": llm.usage.completion_tokens,
    }


def build_manifest(program_dir: Path, spec: TaskSpec, task_file: Path, block: TaskBlock,
                   outcomes: dict[str, SlotOutcome], llm: Any, model: str) -> dict[str, Any]:
    files = list(RENDERED_FILES)
    files += [p.relative_to(program_dir).as_posix() for p in candidate_files(program_dir)]
    return {
        "version": 1,
        "task": spec.task, "task_hash": spec.task_hash, "block_id": block_id(block),
        "task_file": str(task_file), "task_line": block.start_line,
        "llm_model": model,
        "spec": spec.as_dict(),
        "data_profile": spec.data.profile,
        "slots": {slot: {"accepted": o.accepted,
                         "candidates": {n: candidate_entry(r) for n, r in o.candidates.items()}}
                  for slot, o in outcomes.items()},
        "usage": {"calls": llm.usage.calls, "cached_calls": llm.usage.cached_calls,
                  "prompt_tokens": llm.usage.prompt_tokens,
                  "completion_tokens": llm.usage.completion_tokens,
                  "by_slot": getattr(llm.usage, "by_kind", {})},
        "files": {rel: sha256_file(program_dir / rel) for rel in files
                  if (program_dir / rel).exists()},
    }


def candidate_entry(record: CandidateRecord) -> dict[str, Any]:
    return {"status": record.status, "origin": record.origin, "attempts": record.attempts,
            "prompt_hash": record.prompt_hash, "score": record.score,
            "failures": [f.as_dict() for f in record.failures], "profile": record.profile,
            "fixes": record.fixes, "recipe": record.recipe,
            "recipe_similarity": record.recipe_similarity}


@holds_program(first_argument, "testing")
def test_program(program_dir: Path, *, slots: list[str] | None = None,
                 cancel: threading.Event | None = None, score: bool = False) -> TestReport:
    """Re-run the contextual tests of every candidate on disk (or of some slots); with
    `score`, then run pipeline.py as a user would when every test passed, for its validation
    score beside the trivial baseline's."""
    program_dir = program_dir.resolve()
    manifest = read_manifest(program_dir)
    program = read_program_json(program_dir)
    if program is None:
        raise TaskError(f"{program_dir} is not a text2ml program (no {PROGRAM_JSON}).",
                        hint="Run `text2ml generate` on a task file first.")
    choice = program.get("choice", {})
    failures: list[Failure] = []
    passed = total = 0
    for slot in GENERATED_SLOTS:
        if slots and slot not in slots:
            continue
        upstream = {s: choice[s] for s in GENERATED_SLOTS[: GENERATED_SLOTS.index(slot)]
                    if s in choice}
        for path in candidate_files(program_dir, slot):
            verdict = test_candidate(program_dir, slot, path.stem, upstream, cancel=cancel)
            total += 1
            passed += verdict.passed
            failures += verdict.failures
            entry = manifest.setdefault("slots", {}).setdefault(slot, {}).setdefault(
                "candidates", {}).setdefault(path.stem, {"origin": "user"})
            entry["status"] = "passed" if verdict.passed else "failed"
            entry["failures"] = [f.as_dict() for f in verdict.failures]
    unsaved = None
    if manifest:
        try:  # a full disk must not cost the results: the caller still shows them
            write_manifest(program_dir, manifest)
        except OSError as exc:
            unsaved = str(disk_problem(exc) or exc)
    line = run_pipeline(program_dir, cancel) if score and not failures and total else None
    return TestReport(failures, passed, total, line, unsaved)



def spec_from_manifest(manifest: dict[str, Any]) -> TaskSpec:
    from text2ml.synthesis.grounding import DataSource

    spec = dict(manifest["spec"])
    data = DataSource(**spec.pop("data"))
    data.profile = manifest.get("data_profile", {})
    return TaskSpec(data=data, **spec)


def outcomes_from_manifest(manifest: dict[str, Any]) -> dict[str, SlotOutcome]:
    outcomes = {}
    for slot, info in manifest.get("slots", {}).items():
        records = {name: CandidateRecord(name, c.get("status", "failed"), c.get("origin", "llm"),
                                         c.get("attempts", 0), c.get("prompt_hash", ""),
                                         c.get("score"), [], c.get("profile", {}),
                                         recipe=c.get("recipe", ""),
                                         recipe_similarity=c.get("recipe_similarity"))
                   for name, c in info.get("candidates", {}).items()}
        outcomes[slot] = SlotOutcome(slot, records, info.get("accepted"))
    return outcomes


@holds_program(first_argument, "regenerating a module of", writer=True)
def regenerate_module(program_dir: Path, slot: str, candidate: str, options: GenerateOptions,
                      *, events: Events | None = None,
                      cancel: threading.Event | None = None) -> GenerateResult:
    """Repair one candidate with its current test failure as feedback; keep the user's copy."""
    started = time.monotonic()
    program_dir = program_dir.resolve()
    manifest = read_manifest(program_dir)
    if not manifest or slot not in GENERATED_SLOTS:
        raise TaskError(f"No generated {slot!r} module in {program_dir}.",
                        hint="Generate the program first, or name one of "
                        f"{', '.join(GENERATED_SLOTS)}.")
    path = candidate_path(program_dir, slot, candidate)
    if not path.exists():
        raise TaskError(f"{path} does not exist.")
    backups = protect_user_edits(program_dir)
    spec = spec_from_manifest(manifest)
    llm, endpoint = open_llm(options.llm, program_dir / CACHE, cancel=cancel)
    outcomes = outcomes_from_manifest(manifest)
    generator = Generator(spec, program_dir, llm, options.candidates, options.repairs, 1,
                          events, cancel)
    record = generator.repair_existing(slot, candidate, path.read_text(), outcomes)
    outcome = outcomes.setdefault(slot, SlotOutcome(slot))
    outcome.candidates[candidate] = record
    if record.status == "passed" and not outcome.accepted:
        outcome.accepted = candidate
    task_file = Path(manifest["task_file"])
    block = pick_block(task_file, manifest.get("task_line")) if task_file.exists() else None
    if block is None:
        raise TaskError(f"The task file {task_file} is gone.")
    return finish(program_dir, spec, task_file, block, outcomes, llm, endpoint.model, started,
                  backups, cancel)
