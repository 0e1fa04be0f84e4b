"""Turn exceptions into plain words for `window/showMessage`; details go to `window/logMessage`."""

from __future__ import annotations

import traceback

from lsprotocol import types

from text2ml.server.base import Text2MLServer
from text2ml.server.jobs import JobBusy
from text2ml.synthesis.errors import UserError, disk_problem, sentence
from text2ml.synthesis.records import Cancelled

OUTPUT_HINT = "Details are in the text2ml output channel."


def plain_words(exc: BaseException, action: str) -> tuple[str, types.MessageType]:
    """What the user reads: what failed, and what to do next."""
    if isinstance(exc, Cancelled):
        return f"text2ml: {action} cancelled; finished work is kept.", types.MessageType.Info
    exc = disk_problem(exc) or exc  # a full or read-only disk is the user's to fix, no bug
    if isinstance(exc, JobBusy):
        return f"text2ml: {exc}", types.MessageType.Warning
    if isinstance(exc, UserError):  # its message says what to do: no "unexpectedly"
        text = f"text2ml: {action} failed: {exc.message}"
        text = text if "\n" in text else sentence(text)  # no full stop after a command line
        return (f"{text}\n{exc.hint}" if exc.hint else text), types.MessageType.Error
    if isinstance(exc, FileNotFoundError | PermissionError):
        return (f"text2ml: {action} failed: {exc.strerror}: {exc.filename}.",
                types.MessageType.Error)
    return (f"text2ml: {action} failed unexpectedly ({type(exc).__name__}: {exc}). "
            f"{OUTPUT_HINT}", types.MessageType.Error)


def report_failure(server: Text2MLServer, exc: BaseException, action: str) -> None:
    text, kind = plain_words(exc, action)
    server.show_message(text, kind)
    details = "".join(traceback.format_exception(exc))
    server.log(f"{action}: {details}", types.MessageType.Error
               if kind == types.MessageType.Error else types.MessageType.Log)
