"""The editor's Cancel stops a generation whose LLM request is in flight (issue: 119 s,
then shown as "failed"): the stalled request is abandoned, the job says "cancelled"."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_fixtures import command, open_file, wait_until
from scripted_openai import ScriptedOpenAI

pytest_plugins = ["lsp_fixtures"]

WINE = "# TASK: classify wine cultivars from sklearn.datasets.load_wine\nx = 1\n"
STALL = 600.0
# Reading the task and the recipe program come before the first LLM call; generous, since
# a busy machine must pass. Cancel itself is measured, and bounded far below the stall.
FIRST_CALL_SECONDS = 1200.0
CANCEL_BOUND = 60.0


@pytest.fixture
def stalled() -> Any:
    server = ScriptedOpenAI(fallback=lambda _request: {"hang": STALL}).start()
    yield server
    server.close()


@pytest.fixture
def lsp_workspace(tmp_path: Path) -> Path:
    (tmp_path / "wine.py").write_text(WINE)
    return tmp_path


@pytest.fixture
def lsp_options(stalled: ScriptedOpenAI) -> dict[str, Any]:
    return {"text2ml": {"llm": {"baseUrl": stalled.base_url, "model": "scripted"},
                        "candidates": {"features": 1, "model": 1, "training": 1,
                                       "postprocess": 1}, "repairs": 0}}


async def test_cancel_stops_a_generation_waiting_for_the_llm(
        vscode_client: LanguageClient, lsp_workspace: Path, stalled: ScriptedOpenAI) -> None:
    doc = open_file(vscode_client, lsp_workspace / "wine.py")
    started = await command(vscode_client, "text2ml.generate", doc, {"line": 0})
    await wait_until(lambda: stalled.requests, timeout=FIRST_CALL_SECONDS,
                     what="an LLM request in flight")
    asked = time.monotonic()
    await command(vscode_client, "text2ml.cancel", started["job"])
    await wait_until(lambda: any("cancelled" in m.message for m in vscode_client.messages),
                     timeout=CANCEL_BOUND, what="the cancelled message")
    seconds = time.monotonic() - asked
    print(f"editor cancel to message: {seconds:.2f} s")
    assert not any(m.type == types.MessageType.Error for m in vscode_client.messages), [
        m.message for m in vscode_client.messages]
    assert not (lsp_workspace / "wine").exists() or not any((lsp_workspace / "wine").iterdir())
