"""The text2ml language server object: shared state and thread-safe ways to talk to the client.

Feature modules import the class from here (not from `text2ml.server.app`, which imports them).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from text2ml.server.config import Settings
from text2ml.server.jobs import JobManager

VERSION = "0.1.0"
CLIENT_REPLY_SECONDS = 15.0


class Text2MLServer(LanguageServer):
    """pygls server plus text2ml's settings, job executor and progress-token registry."""

    def __init__(self) -> None:
        super().__init__("text2ml", VERSION,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.initial_settings: dict[str, Any] = {}  # from initializationOptions, flattened
        self.applied_settings = ""  # what apply_settings last logged, to log each change once
        # Workspace trust, from initializationOptions only (a workspace settings file must not
        # be able to grant it): untrusted → no generated code runs (tests, trials).
        self.trusted = True
        self.jobs = JobManager()
        # Progress token → cancel signal of the job that owns it (window/workDoneProgress/cancel).
        self.progress_cancels: dict[str, threading.Event] = {}
        # uri → origin ("tests", "task") → diagnostics; mutated on the event loop thread only.
        self.published: dict[str, dict[str, list[types.Diagnostic]]] = {}
        # program folder → slots whose tests wait for the running job on that program.
        self.pending_tests: dict[str, set[str]] = {}
        # uri → pending static check of an unsaved generated module (debounced didChange).
        self.debounced: dict[str, asyncio.TimerHandle] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind_loop(self) -> None:
        """Remember the event loop; called from a handler, which runs on the loop thread."""
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn` on the event loop thread: pygls's writer is not safe to use from jobs."""
        if self.loop is None or threading.get_ident() == self._loop_thread:
            fn(*args)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn, *args)

    def ask_client(self, make_request: Callable[[], Awaitable[Any]],
                   timeout: float = CLIENT_REPLY_SECONDS) -> Any:
        """Send a request from a job thread and wait for the client's answer."""
        if self.loop is None or threading.get_ident() == self._loop_thread:
            raise RuntimeError("ask_client blocks: call it from a job thread, not the event loop")

        async def call() -> Any:
            return await make_request()

        future: Future[Any] = asyncio.run_coroutine_threadsafe(call(), self.loop)
        return future.result(timeout)

    def client_supports(self, dotted: str) -> bool:
        """True when the client's capabilities hold a truthy value at `dotted`, e.g.
        "window.work_done_progress"."""
        value: Any = getattr(self.protocol, "client_capabilities", None)
        for name in dotted.split("."):
            value = getattr(value, name, None)
            if value is None:
                return False
        return bool(value)

    def show_message(self, text: str,
                     kind: types.MessageType = types.MessageType.Info) -> None:
        self.on_loop(self.window_show_message, types.ShowMessageParams(type=kind, message=text))

    def log(self, text: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.on_loop(self.window_log_message, types.LogMessageParams(type=kind, message=text))

    def refresh_code_lenses(self) -> None:
        if self.client_supports("workspace.code_lens.refresh_support"):
            self.on_loop(self.workspace_code_lens_refresh, None)
