"""`textDocument/hover` on a task block: what text2ml understands of it (data, target, problem,
metric, and why), or what is missing. A block that cannot be understood also gets its task
diagnostic, with the data or target choices as quick fixes, without running a generation.

Reading a task probes its data in a sandboxed child and may ask the LLM to choose: seconds.
It runs on the job executor; the hover waits a while for it, and a slow reading lands in the
cache for the next hover. The cache holds one reading per (document, block text) and forgets
a document's readings when it changes.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from text2ml.server import blocks, engine
from text2ml.server.base import Text2MLServer
from text2ml.server.diagnostics import publish_task_error
from text2ml.synthesis.errors import UserError
from text2ml.synthesis.records import TaskError

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

WAIT_SECONDS = 20.0
CACHED_READINGS = 64
READING = "text2ml is reading this task… hover again in a moment."
UNTRUSTED = ("text2ml reads a task only in a trusted workspace: reading it loads its data. "
             "Trust the workspace (Manage Workspace Trust) to see how the task is understood.")


@dataclass
class Reading:
    """What came of reading one block: the lines of its spec, or the error."""

    lines: list[str] | None = None
    error: BaseException | None = None


_readings: dict[tuple[str, str], Future[Reading]] = {}
_lock = threading.Lock()


def forget(uri: str) -> None:
    """The document changed: its readings may be stale (and their diagnostics too)."""
    with _lock:
        for key in [k for k in _readings if k[0] == uri]:
            del _readings[key]


def _current(key: tuple[str, str], future: Future[Reading]) -> bool:
    with _lock:
        return _readings.get(key) is future


def reading_of(ls: Text2MLServer, uri: str, path: Path, block: TaskBlock) -> Future[Reading]:
    """The cached reading of this block, or one started on the job executor."""
    key = (uri, block.text)
    with _lock:
        future = _readings.get(key)
        if future is not None:
            return future
        if len(_readings) >= CACHED_READINGS:
            _readings.clear()
        future = _readings[key] = Future()

    def read() -> None:
        try:
            reading = Reading(lines=engine.spec_markdown(engine.read_task(path, block,
                                                                          ls.settings)))
        except Exception as exc:  # shown as words; a bug also goes to the output channel
            reading = Reading(error=exc)
            if not isinstance(exc, UserError):
                ls.log(f"text2ml: reading the task at {path}:{block.start_line + 1} failed: "
                       f"{exc!r}", types.MessageType.Error)
        if _current(key, future):  # an edit since would make its diagnostic stale
            error = reading.error
            if isinstance(error, TaskError):
                publish_task_error(ls, uri, block, error)
            elif reading.lines is not None and ls.published.get(uri, {}).get("task"):
                publish_task_error(ls, uri, block, None)
        future.set_result(reading)

    try:
        ls.jobs.submit(read)
    except RuntimeError:  # shutting down
        forget(uri)
        future.set_result(Reading(error=RuntimeError("the server is shutting down")))
    return future


def markdown(reading: Reading) -> str:
    if reading.lines is not None:
        return "**text2ml reads this task as**\n\n" + "\n".join(f"- {line}"
                                                              for line in reading.lines)
    error = reading.error
    if isinstance(error, UserError):
        text = f"**text2ml cannot act on this task yet:** {error.message}"
        if error.hint:
            text += f"\n\n{error.hint}"
        if getattr(error, "choices", None) or getattr(error, "columns", None):
            text += "\n\nThe quick fixes (lightbulb) add the missing line to the task."
        return text
    return (f"**text2ml could not read this task** ({type(error).__name__}: {error}). "
            "Details are in the text2ml output channel.")


def hover_text(text: str, block: TaskBlock) -> types.Hover:
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text),
                       blocks.block_range(block))


async def hover(ls: Text2MLServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    path = blocks.file_path(uri)
    if path is None:
        return None
    block = blocks.block_for_line(blocks.document_blocks(ls, uri), params.position.line)
    if block is None:
        return None
    if not ls.trusted:
        return hover_text(UNTRUSTED, block)
    future = reading_of(ls, uri, path, block)
    try:
        reading = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                         WAIT_SECONDS)
    except TimeoutError:
        return hover_text(READING, block)
    return hover_text(markdown(reading), block)


def register(server: Text2MLServer) -> None:
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
