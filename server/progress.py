"""Work-done progress as a `with` block; no-ops when the client cannot show progress.

    with report_progress(server, "text2ml: generate", cancel=job.cancel) as p:
        p.report("model: candidate 2/3", 40)
        p.end_message = "program ready"
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from lsprotocol import types

from text2ml.server.base import Text2MLServer

MIN_REPORT_INTERVAL = 0.1  # seconds; a burst of events must not flood the client


class ProgressHandle:
    """Report steps of one piece of work; does nothing when `token` is None."""

    def __init__(self, server: Text2MLServer, token: str | None) -> None:
        self.server = server
        self.token = token
        self.end_message = ""
        self._percentage = 0
        self._last_sent = 0.0

    def report(self, message: str, percentage: float | None = None, *,
               milestone: bool = False) -> None:
        """`milestone`: sent even within the flood interval (e.g. "the program is ready")."""
        if self.token is None:
            return
        now = time.monotonic()
        if percentage is not None:  # clients expect a percentage that only grows
            self._percentage = max(self._percentage, min(100, int(percentage)))
        if now - self._last_sent < MIN_REPORT_INTERVAL and percentage != 100 and not milestone:
            return
        self._last_sent = now
        self._send(types.WorkDoneProgressReport(message=message, percentage=self._percentage))

    def _send(self, value: types.WorkDoneProgressBegin | types.WorkDoneProgressReport
              | types.WorkDoneProgressEnd) -> None:
        params = types.ProgressParams(token=self.token, value=value)  # type: ignore[arg-type]
        self.server.on_loop(self.server.progress, params)


def _create_token(server: Text2MLServer) -> str | None:
    """Ask the client for a progress token; None when it cannot or does not answer."""
    if not server.client_supports("window.work_done_progress"):
        return None
    token = f"text2ml-{uuid.uuid4().hex[:12]}"
    params = types.WorkDoneProgressCreateParams(token=token)
    try:
        server.ask_client(lambda: server.window_work_done_progress_create_async(params))
    except Exception as exc:  # the job still runs, only without a progress bar
        server.log(f"progress not shown: the client refused token {token}: {exc!r}")
        return None
    return token


@contextmanager
def report_progress(server: Text2MLServer, title: str, cancellable: bool = True, *,
                    cancel: threading.Event | None = None,
                    message: str = "starting") -> Iterator[ProgressHandle]:
    """Begin/report/end around the block. Call it from a job thread (it waits for the
    client's reply to window/workDoneProgress/create). `cancel` is set when the user presses
    the progress notification's Cancel button. `message` is shown from the first second: the
    first step of a job (reading the task, opening a study) may take a while to report."""
    token = _create_token(server)
    handle = ProgressHandle(server, token)
    if token is None:
        yield handle
        return
    if cancel is not None:
        server.progress_cancels[token] = cancel
    server.work_done_progress.tokens[token] = Future()  # pygls's registry: a known token
    handle._send(types.WorkDoneProgressBegin(title=title, cancellable=cancellable and bool(cancel),
                                             message=message, percentage=0))
    outcome = "failed"
    try:
        yield handle
        outcome = "done"
    finally:
        server.progress_cancels.pop(token, None)
        server.work_done_progress.tokens.pop(token, None)
        if cancel is not None and cancel.is_set() and outcome != "done":
            outcome = "cancelled"
        handle._send(types.WorkDoneProgressEnd(message=handle.end_message or outcome))


def on_progress_cancel(ls: Text2MLServer, params: types.WorkDoneProgressCancelParams) -> None:
    """window/workDoneProgress/cancel: set the owning job's cancel signal."""
    cancel = ls.progress_cancels.get(str(params.token))
    if cancel is None:
        ls.log(f"cancel for unknown or finished progress {params.token} ignored")
        return
    cancel.set()
