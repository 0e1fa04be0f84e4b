"""The one place where the server calls the synthesis and optimization libraries.

Heavy modules are imported inside the functions that need them, so an idle server stays small
and starts fast; nothing here imports torch or runs generated code in this process (the
libraries run candidates in sandboxed child processes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from text2ml.server.config import Settings
from text2ml.synthesis import layout
from text2ml.synthesis.records import Failure, ProgressEvent

if TYPE_CHECKING:
    from text2ml.optimization.study import OptimizeResult, TrialProgress
    from text2ml.synthesis.generate import GenerateOptions, GenerateResult, TestReport
    from text2ml.synthesis.program_state import ProgramState
    from text2ml.synthesis.task import TaskBlock


@dataclass(frozen=True)
class ModuleRef:
    """A generated candidate module: <program>/candidates/<slot>/<candidate>.py."""

    program_dir: Path
    slot: str
    candidate: str

    @property
    def path(self) -> Path:
        return layout.candidate_path(self.program_dir, self.slot, self.candidate)


# Task blocks and programs: cheap, called on every code action and code lens request.

def find_blocks(source: str) -> list[TaskBlock]:
    from text2ml.synthesis.task import find_task_blocks

    return list(find_task_blocks(source))


def update_blocks(old: str, new: str, blocks: list[TaskBlock]) -> list[TaskBlock] | None:
    from text2ml.synthesis.task import update_blocks as update

    return update(old, new, blocks)


def block_at(source: str, line: int) -> TaskBlock | None:
    from text2ml.synthesis.task import block_at as at

    return at(source, line)


def default_program_dir(task_file: Path, block: TaskBlock) -> Path:
    from text2ml.synthesis.program_state import program_dir_for

    return program_dir_for(task_file, block)


def find_program(task_file: Path, block: TaskBlock) -> Path | None:
    from text2ml.synthesis.program_state import find_program as find

    return find(task_file, block)


_state_cache: dict[Path, tuple[tuple[int, int], ProgramState | None]] = {}


def program_state(program_dir: Path) -> ProgramState | None:
    """The program's state, re-read only when its manifest or best params changed."""
    from text2ml.synthesis.program_state import load_state

    stamp = (_mtime(program_dir / layout.MANIFEST), _mtime(program_dir / layout.BEST_PARAMS))
    cached = _state_cache.get(program_dir)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    state = load_state(program_dir)
    _state_cache[program_dir] = (stamp, state)
    return state


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def is_program(folder: Path) -> bool:
    return layout.is_program(folder)


def module_of(path: Path) -> ModuleRef | None:
    """The generated module a file is, if it is one (a .py in a program's candidates/<slot>/)."""
    found = layout.candidate_of(path)
    return ModuleRef(*found) if found is not None else None


def failure_file(program_dir: Path, failure: Failure) -> Path:
    if failure.file:
        path = Path(failure.file)
        return path if path.is_absolute() else program_dir / path
    return ModuleRef(program_dir, failure.slot, failure.candidate).path


def slot_modules(program_dir: Path, slots: list[str] | None = None) -> list[ModuleRef]:
    return [ModuleRef(program_dir, slot, path.stem) for slot in layout.GENERATED_SLOTS
            if not slots or slot in slots
            for path in layout.candidate_files(program_dir, slot)]


def report_path(program_dir: Path) -> Path:
    return program_dir / layout.REPORT


def entry_file(program_dir: Path) -> Path:
    return program_dir / layout.PIPELINE


def static_check(module: ModuleRef, code: str) -> list[Failure]:
    """The contract's static checks (no code runs) of a module's text, e.g. an unsaved buffer."""
    from text2ml.synthesis.testing import static_failures

    return static_failures(module.program_dir, module.slot, module.candidate, code)


# Long work: called from job threads only.

def _generate_options(settings: Settings) -> GenerateOptions:
    from text2ml.synthesis.generate import GenerateOptions
    from text2ml.synthesis.llm.settings import resolve_llm_settings

    llm = resolve_llm_settings({"base_url": settings.llm_base_url, "model": settings.llm_model})
    options = GenerateOptions(repairs=settings.repairs, llm=llm)
    options.candidates = {**options.candidates, **settings.candidates}
    return options


def generate(task_file: Path, line: int, program_dir: Path, settings: Settings,
             events: Callable[[ProgressEvent], None], cancel: threading.Event) -> GenerateResult:
    from text2ml.synthesis.generate import generate_program

    options = _generate_options(settings)
    options.out = program_dir
    return generate_program(task_file, line, options, events=events, cancel=cancel)


def run_tests(program_dir: Path, slots: list[str] | None,
              cancel: threading.Event) -> TestReport:
    from text2ml.synthesis.generate import test_program

    return test_program(program_dir, slots=slots, cancel=cancel)


def regenerate(module: ModuleRef, settings: Settings, events: Callable[[ProgressEvent], None],
               cancel: threading.Event) -> GenerateResult:
    from text2ml.synthesis.generate import regenerate_module

    return regenerate_module(module.program_dir, module.slot, module.candidate,
                             _generate_options(settings), events=events, cancel=cancel)


def optimize(program_dir: Path, settings: Settings,
             on_progress: Callable[[TrialProgress], None],
             cancel: threading.Event) -> OptimizeResult:
    from text2ml.optimization.study import OptimizeOptions, optimize_program

    options = OptimizeOptions(trials=settings.optimize_trials, timeout=settings.optimize_timeout,
                              jobs=settings.optimize_jobs, storage=settings.optimize_storage)
    return optimize_program(program_dir, options, on_progress=on_progress, cancel=cancel)


def llm_status(settings: Settings) -> dict[str, Any]:
    """Which LLM backend the server's settings select, and the embedded model's state."""
    from text2ml.synthesis.llm.embedded import server_status
    from text2ml.synthesis.llm.model_files import DEFAULT_MODEL
    from text2ml.synthesis.llm.settings import resolve_llm_settings

    llm = resolve_llm_settings({"base_url": settings.llm_base_url, "model": settings.llm_model})
    if getattr(llm, "uses_embedded", False):
        model = getattr(llm, "embedded_model", None) or DEFAULT_MODEL
        active = {"backend": "embedded", "model": model}
    else:
        model = DEFAULT_MODEL
        active = {"backend": "endpoint", "url": llm.base_url, "model": llm.model}
    return {"active": active, "embedded": server_status(model)}


# Reading a task without writing modules (the hover, the quick fixes): job threads only.

def read_task(task_file: Path, block: TaskBlock, settings: Settings) -> Any:
    """The TaskSpec of one block; a TaskError says what is missing. The LLM is opened only if
    the rules cannot settle a choice."""
    from text2ml.synthesis.llm.backend import LazyLLM
    from text2ml.synthesis.llm.settings import resolve_llm_settings
    from text2ml.synthesis.spec_report import read_task as read

    llm = LazyLLM(resolve_llm_settings({"base_url": settings.llm_base_url,
                                        "model": settings.llm_model}))
    return read(block, task_file, llm)


def spec_markdown(spec: Any) -> list[str]:
    from text2ml.synthesis.spec_report import spec_lines

    return spec_lines(spec, markdown=True)


def describe_entry(entry: Any, task_dir: Path, work_dir: Path) -> Any:
    """A catalog entry with its rows and columns filled in when the probe can read them."""
    from text2ml.synthesis.catalog.store import describe

    try:
        return describe(entry, task_dir, work_dir)
    except Exception:  # a quick fix without rows is still a quick fix
        return entry
