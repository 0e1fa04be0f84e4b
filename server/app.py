"""Build and run the text2ml language server (stdio by default, TCP for debugging)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from lsprotocol import types

from text2ml.server import (
    blocks,
    code_actions,
    code_lens,
    commands,
    diagnostics,
    hover,
    programs_view,
    task_lines,
)
from text2ml.server.base import Text2MLServer
from text2ml.server.config import (
    SECTION,
    flatten,
    initial_trust,
    initialization_settings,
    parse_settings,
    without_trust,
)
from text2ml.server.framing import start_stdio
from text2ml.server.progress import on_progress_cancel
from text2ml.synthesis.sandbox.environment import thread_env

TEST_COMMANDS_ENV = "TEXT2ML_TEST_COMMANDS"


def apply_settings(ls: Text2MLServer, raw: dict[str, Any]) -> None:
    """Use these settings; log them (and warn about ignored values) only when they differ from
    the last ones: at start a client sends the same values twice (initializationOptions, then
    workspace/configuration), and the user should read them once."""
    settings, warnings = parse_settings(raw)
    ls.settings = settings
    applied = repr((settings.public(), warnings))
    if applied == ls.applied_settings:
        return
    ls.applied_settings = applied
    for warning in warnings:
        ls.show_message(warning, types.MessageType.Warning)
    ls.log(f"text2ml settings: {settings.public()}")


def on_initialize(ls: Text2MLServer, params: types.InitializeParams) -> None:
    ls.bind_loop()
    ls.initial_settings = initialization_settings(params.initialization_options)
    ls.trusted = initial_trust(params.initialization_options)
    if not ls.trusted:
        ls.log("text2ml: untrusted workspace: no generated code will run (tests, trials)")
    apply_settings(ls, ls.initial_settings)


async def load_configuration(ls: Text2MLServer) -> None:
    """Pull the `text2ml` section; it overrides initializationOptions key by key."""
    if not ls.client_supports("workspace.configuration"):
        return
    params = types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
    try:
        reply = await ls.workspace_configuration_async(params)
    except Exception as exc:  # a client that cannot answer keeps the initial settings
        ls.log(f"workspace/configuration failed, keeping initial settings: {exc!r}")
        return
    section = reply[0] if reply else None
    apply_settings(ls, {**ls.initial_settings, **without_trust(flatten(section))})


async def on_initialized(ls: Text2MLServer, params: types.InitializedParams) -> None:
    await load_configuration(ls)


async def on_configuration_change(ls: Text2MLServer,
                                  params: types.DidChangeConfigurationParams) -> None:
    if ls.client_supports("workspace.configuration"):
        await load_configuration(ls)
    elif isinstance(params.settings, dict):  # push-only clients send the values themselves
        apply_settings(ls, {**ls.initial_settings,
                            **initialization_settings(params.settings)})


def on_shutdown(ls: Text2MLServer, params: None) -> None:
    ls.jobs.shutdown()


def on_close(ls: Text2MLServer, params: types.DidCloseTextDocumentParams) -> None:
    blocks.forget_document(params.text_document.uri)


def build_server() -> Text2MLServer:
    server = Text2MLServer()
    server.feature(types.INITIALIZE)(on_initialize)
    server.feature(types.INITIALIZED)(on_initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(on_configuration_change)
    server.feature(types.SHUTDOWN)(on_shutdown)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(on_close)
    server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)(on_progress_cancel)
    code_actions.register(server)
    code_lens.register(server)
    commands.register(server)
    diagnostics.register(server)
    hover.register(server)
    programs_view.register(server)
    task_lines.register(server)
    server.jobs.on_finished(lambda job: blocks.forget_programs())
    if os.environ.get(TEST_COMMANDS_ENV) == "1":
        from text2ml.server import hooks_for_tests

        hooks_for_tests.register(server)
    return server


def parse_tcp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit():
        raise SystemExit(f"--tcp: expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def serve(tcp: str | None = None) -> None:
    """Speak LSP on stdio, or on TCP (HOST:PORT) for debugging."""
    for name, value in thread_env(1).items():  # children share 2 cores with the editor
        os.environ.setdefault(name, value)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="text2ml-server %(levelname)s %(name)s: %(message)s")
    server = build_server()
    if tcp:
        server.start_tcp(*parse_tcp(tcp))
    else:
        start_stdio(server, sys.stdin.buffer, sys.stdout.buffer)
