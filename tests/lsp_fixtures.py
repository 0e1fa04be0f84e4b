"""pytest-lsp fixtures: the real text2ml server over stdio, driven by a VS Code-like client and
by a minimal client (no work-done progress, no applyEdit, no showDocument, no configuration).

Use from a test module with `pytest_plugins = ["lsp_fixtures"]`; its helpers are imported
before pytest registers it as a plugin, hence PYTEST_DONT_REWRITE (no bare asserts here).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import (
    ClientServerConfig,
    LanguageClient,
    client_capabilities,
    make_test_lsp_client,
)

SERVER_COMMAND = [sys.executable, "-m", "text2ml.server"]
TASK_SOURCE = """import json

# TASK: classify wine cultivars from the wine.csv file in this folder; the target
# column is "cultivar"; report accuracy.

print(json.dumps({"ok": True}))
"""
TASK_LINE = 2  # 0-based line of "# TASK:" in TASK_SOURCE


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEXT2ML_API_KEY"}
    env.update({"TEXT2ML_TEST_COMMANDS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def structure_action(converter: Any, value: Any) -> types.Command | types.CodeAction:
    """A CodeAction also has a "command" key (an object); only a Command's is a string."""
    if isinstance(value.get("command"), str):
        return converter.structure(value, types.Command)
    return converter.structure(value, types.CodeAction)


def make_client() -> LanguageClient:
    """pytest-lsp's client, with code actions told apart from commands as VS Code does:
    lsprotocol's converter takes any object with a "command" key for a Command."""
    client = make_test_lsp_client()
    client.code_lens_refreshes = 0  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(ls: LanguageClient, params: None) -> None:
        client.code_lens_refreshes += 1  # type: ignore[attr-defined]

    converter = client.protocol._converter
    converter.register_structure_hook(types.Command | types.CodeAction,
                                      lambda value, _: structure_action(converter, value))
    converter.register_structure_hook(Union[types.Command, types.CodeAction],  # noqa: UP007
                                      lambda value, _: structure_action(converter, value))
    return client


CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(),
                            client_factory=make_client)


def minimal_capabilities() -> types.ClientCapabilities:
    """A client that knows LSP basics only: code actions come back as plain commands."""
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True)))


@pytest.fixture
def lsp_options() -> dict[str, Any]:
    """initializationOptions of the vscode and minimal clients; override it in a test module."""
    return {}


@pytest.fixture
def lsp_workspace(tmp_path: Path) -> Path:
    """A folder with one task file (`task.py`)."""
    (tmp_path / "task.py").write_text(TASK_SOURCE)
    return tmp_path


def uri(path: Path) -> str:
    return from_fs_path(str(path))


async def start_session(client: LanguageClient, root: Path,
                        capabilities: types.ClientCapabilities,
                        options: dict[str, Any] | None = None) -> None:
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=uri(root),
        workspace_folders=[types.WorkspaceFolder(uri(root), root.name)],
        initialization_options=options or {}))


@pytest_lsp.fixture(config=CONFIG)
async def vscode_client(lsp_client: LanguageClient, lsp_workspace: Path,
                        lsp_options: dict[str, Any]):
    await start_session(lsp_client, lsp_workspace, client_capabilities("visual-studio-code"),
                        lsp_options)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def configured_client(lsp_client: LanguageClient, lsp_workspace: Path):
    """VS Code capabilities; settings in initializationOptions and workspace/configuration."""
    lsp_client.set_configuration({"llm": {"model": "from-config"}, "optimize": {"trials": 7},
                                  "candidates": {"model": 2}}, section="text2ml")
    await start_session(lsp_client, lsp_workspace, client_capabilities("visual-studio-code"),
                        {"text2ml": {"llm": {"baseUrl": "http://127.0.0.1:9/v1",
                                             "model": "from-init"},
                                     "repairs": 1, "optimize.jobs": "two"}})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def minimal_client(lsp_client: LanguageClient, lsp_workspace: Path,
                         lsp_options: dict[str, Any]):
    await start_session(lsp_client, lsp_workspace, minimal_capabilities(), lsp_options)
    yield
    await lsp_client.shutdown_session()


def open_file(client: LanguageClient, path: Path, version: int = 1) -> str:
    """didOpen `path` with its text on disk; returns its URI."""
    doc_uri = uri(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(doc_uri, "python", version, path.read_text())))
    return doc_uri


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments)))


# Only a broken server makes a wait this long: the default is generous so that a busy
# machine passes; every wait ends as soon as its condition holds.
WAIT_SECONDS = 120.0


async def wait_until(check: Callable[[], Any], timeout: float = WAIT_SECONDS,
                     what: str = "condition") -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds.
    `check` may be a coroutine function (e.g. a request to the server): it is awaited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def progress_kinds(client: LanguageClient, token: types.ProgressToken) -> list[str]:
    return [type(v).__name__.removeprefix("WorkDoneProgress").lower()
            for v in client.progress_reports.get(token, [])]


def ended_tokens(client: LanguageClient) -> list[types.ProgressToken]:
    return [t for t, values in client.progress_reports.items()
            if values and isinstance(values[-1], types.WorkDoneProgressEnd)]
