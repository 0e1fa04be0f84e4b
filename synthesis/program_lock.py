"""One job at a time per program folder: generate, regenerate, test and optimize hold the
program's lock, across processes (the CLI, the editor's server, a second terminal) and
threads. A job that finds the lock held refuses at once and says which job holds it, rather
than one job deleting the candidates the other is reading.

The lock is a `filelock` beside the folder (the folder itself may not exist yet, and is
replaced as a whole by generate); a note next to it names the job that holds it.

A second lock, the *writer's*, is held by generate (and regenerate) for their whole run.
Once generate has published the program written from the recipes, it lets go of the first
lock, so the user can test and optimize that program while the LLM's candidates join it;
the writer's lock still keeps a second generate from replacing the candidates meanwhile.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from filelock import FileLock, Timeout

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.layout import lock_path, writer_lock_path

P = ParamSpec("P")
R = TypeVar("R")


class ProgramBusy(UserError, RuntimeError):
    """Another job works on this program; the message names it."""


@contextmanager
def holding(program_dir: Path, doing: str, *, writer: bool = False) -> Iterator[None]:
    """Hold `program_dir`'s lock (with `writer`, the writer's lock) while `doing` (e.g.
    "generating"); ProgramBusy if another process or thread holds it. The same thread may
    take it again (a job calling a job)."""
    where = Path(program_dir).resolve()
    path = writer_lock_path(where) if writer else lock_path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0, is_singleton=True)  # one object per path: reentrant
    try:
        lock.acquire()
    except Timeout:
        raise ProgramBusy(f"Another text2ml job is {_holder(path)} {program_dir}.",
                          hint="Wait for it to finish, or cancel it (Ctrl-C in its terminal, "
                          "or text2ml: Cancel job in the editor), then try again.") from None
    note = path.with_suffix(".job")
    outermost = lock.lock_counter == 1
    if outermost:
        note.write_text(json.dumps({"doing": doing, "pid": os.getpid()}))
    try:
        yield
    finally:
        if outermost:
            note.unlink(missing_ok=True)
        lock.release()


def writer_busy(program_dir: Path) -> str | None:
    """What the job holding the writer's lock does ("generating"), None when none holds it:
    the note exists exactly while the lock is held (a crashed holder's note is stale, so the
    process is checked too)."""
    note = writer_lock_path(Path(program_dir).resolve()).with_suffix(".job")
    try:
        job = json.loads(note.read_text())
        os.kill(int(job["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(job.get("doing", "working on"))


def _holder(path: Path) -> str:
    try:
        job = json.loads(path.with_suffix(".job").read_text())
        return f"{job['doing']} (process {job['pid']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "working on"


def holds_program(where: Callable[..., Path], doing: str, *, writer: bool = False
                  ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a job: `where(*args, **kwargs)` is the program folder it holds (with
    `writer`, the writer's lock first, then the program's)."""
    def decorate(job: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(job)
        def held(*args: P.args, **kwargs: P.kwargs) -> R:
            folder = where(*args, **kwargs)
            with holding(folder, doing, writer=True) if writer else nullcontext(), \
                    holding(folder, doing):
                return job(*args, **kwargs)
        return held
    return decorate


def first_argument(*args: Any, **kwargs: Any) -> Path:
    """`where` for the jobs whose first argument is the program folder."""
    return Path(args[0] if args else kwargs["program_dir"])
