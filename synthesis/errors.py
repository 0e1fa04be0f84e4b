"""The one base class of errors whose message tells the user what to do.

A `UserError` is shown as plain words: the editor shows it as a `window/showMessage`, the CLI
prints it without a traceback and exits 2 (`run_cli`). Anything else is a bug in text2ml and
still says "unexpected", with the traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO

EXIT_USER_ERROR = 2
EXIT_UNEXPECTED = 1


def sentence(text: str) -> str:
    """`text` ending as a sentence: a full stop added unless it already ends in . ! ? or :."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?:" else text + "."


class UserError(Exception):
    """What went wrong (`message`) and what the user can do about it (`hint`).

    Subclasses may set `default_hint` for when a raise site gives none. The constructor takes
    the message positionally, so `raise SomeError("...")` keeps working for every subclass.
    """

    default_hint = ""

    def __init__(self, message: str = "", *args: Any, hint: str = "") -> None:
        super().__init__(message, *args)
        self.message = message
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        return join_hint(self.message, self.hint)

    def as_dict(self) -> dict[str, Any]:
        """The JSON error object the CLI prints in `--json` mode."""
        return {"ok": False, "error": str(self), "message": self.message, "hint": self.hint,
                "type": type(self).__name__}


# Errors of the disk, not of text2ml: no space, over quota, a read-only or forbidden folder.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
# What SQLite (under SQLAlchemy, under Optuna) says for the same troubles.
SQLITE_DISK_WORDS = ("database or disk is full", "readonly database", "disk i/o error",
                     "unable to open database file")


class DiskError(UserError, OSError):
    """The disk refused a write; the message names the file and the reason."""


def disk_problem(exc: BaseException) -> DiskError | None:
    """`exc` (or what caused it) as a DiskError when the disk is at fault, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_ERRNOS:
            where = f" {seen.filename}" if seen.filename else ""
            return DiskError(f"text2ml could not write{where}: {seen.strerror}",
                             hint="Free some disk space, or make the folder writable (or "
                             "choose another one with --out), then run the command again; "
                             "finished work is kept.")
        text = str(seen).lower()
        if any(words in text for words in SQLITE_DISK_WORDS):
            return DiskError(f"text2ml could not write its study database: {str(seen)[:200]}",
                             hint="Free some disk space or make the program folder writable "
                             "(or give --storage another place), then run it again; finished "
                             "trials are kept.")
        seen = seen.__cause__ or seen.__context__
    return None


def join_hint(message: str, hint: str, separator: str = " ") -> str:
    """Message and hint as one text: the message ends as a sentence before the hint.

    A message of several lines (one ending in a command to copy, say) gets the hint on a line
    of its own, so no full stop is glued to the command.
    """
    if not hint:
        return message
    if not message:
        return hint
    if "\n" in message:
        return f"{message.rstrip()}\n{hint}"
    return f"{sentence(message)}{separator}{hint}"


def print_user_error(exc: UserError, *, prog: str = "text2ml", json_mode: bool = False,
                     out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The CLI's report of a user error: one JSON object on stdout, or plain words on stderr."""
    if json_mode:
        print(json.dumps(exc.as_dict()), file=out or sys.stdout)
    else:
        print(f"{prog}: {str(exc)}", file=err or sys.stderr)
    return EXIT_USER_ERROR


def print_unexpected(exc: BaseException, *, prog: str = "text2ml", json_mode: bool = False,
                     out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The CLI's report of a bug: one line saying so, then the traceback (always on stderr)."""
    line = (f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in text2ml, "
            "please report it with the traceback on stderr.")
    if json_mode:
        print(json.dumps({"ok": False, "error": line, "type": type(exc).__name__,
                          "unexpected": True}), file=out or sys.stdout)
    stream = err or sys.stderr
    print(f"{prog}: {line}", file=stream)
    traceback.print_exception(exc, file=stream)
    return EXIT_UNEXPECTED


def run_cli(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace,
            prog: str = "text2ml") -> int:
    """Run one CLI command: a UserError exits 2 without a traceback, a bug exits 1 with one."""
    try:
        return int(func(args) or 0)
    except UserError as exc:
        return print_user_error(exc, prog=prog, json_mode=bool(getattr(args, "json", False)))
    except Exception as exc:  # KeyboardInterrupt and SystemExit pass through
        problem = disk_problem(exc)
        if problem is not None:  # a full or read-only disk is no bug: say what to do
            return print_user_error(problem, prog=prog,
                                    json_mode=bool(getattr(args, "json", False)))
        return print_unexpected(exc, prog=prog, json_mode=bool(getattr(args, "json", False)))
