"""In the editor, the recipe program comes out before the LLM's first reply: pipeline.py is
opened, the lens says "Tests: 4/4 passed · LLM candidates 0/4… (cancel) · Optimize", and
Optimize runs on it while the LLM writes. The scripted LLM on loopback is held on an event,
so every wait here is for a message, a request or a lens, never for the clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_fixtures import command, open_file, uri, wait_until
from scripted_openai import ScriptedOpenAI, competent

pytest_plugins = ["lsp_fixtures"]

WINE = "# TASK: classify wine cultivars from sklearn.datasets.load_wine\nx = 1\n"
# Bounds only a broken server reaches: a busy machine must pass, so they are generous.
SLOW = 1200.0


class Gate:
    """Module requests wait until the gate opens; the spec step's choices pass."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.reached = threading.Event()

    def __call__(self, request: dict[str, Any]) -> Any:
        if "# Write the " in str(request["messages"][-1]["content"]):
            self.reached.set()
            self.open.wait(SLOW)
        return competent(request)


@pytest.fixture
def gate() -> Iterator[Gate]:
    held = Gate()
    yield held
    held.open.set()


@pytest.fixture
def held_llm(gate: Gate) -> Iterator[ScriptedOpenAI]:
    server = ScriptedOpenAI(fallback=gate).start()
    yield server
    gate.open.set()
    server.close()


@pytest.fixture
def lsp_workspace(tmp_path: Path) -> Path:
    (tmp_path / "wine.py").write_text(WINE)
    return tmp_path


@pytest.fixture
def lsp_options(held_llm: ScriptedOpenAI) -> dict[str, Any]:
    return {"text2ml": {"llm": {"baseUrl": held_llm.base_url, "model": "scripted"},
                        "candidates": {"features": 1, "model": 1, "training": 1,
                                       "postprocess": 1}, "repairs": 0,
                        "optimize": {"trials": 1}}}


async def lens_titles(client: LanguageClient, doc: str) -> list[str]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(doc)))
    return [lens.command.title for lens in found or [] if lens.command]


def said(client: LanguageClient, words: str) -> bool:
    return any(words in m.message for m in client.messages)


async def test_the_recipe_program_is_shown_and_optimized_while_the_llm_writes(
        vscode_client: LanguageClient, lsp_workspace: Path, gate: Gate) -> None:
    doc = open_file(vscode_client, lsp_workspace / "wine.py")
    started = await command(vscode_client, "text2ml.generate", doc, {"line": 0})
    assert started["started"]
    program = Path(started["program"])
    await wait_until(gate.reached.is_set, timeout=SLOW, what="the first module request")

    # the LLM has not answered, and the user already has a tested program
    await wait_until(lambda: said(vscode_client, "tested program from the recipe library is "
                                  "ready"), timeout=SLOW, what="the early program's message")
    assert (program / "pipeline.py").is_file()
    assert uri(program / "pipeline.py") in [d.uri for d in vscode_client.shown_documents]
    reports = [v.message for values in vscode_client.progress_reports.values() for v in values
               if isinstance(v, types.WorkDoneProgressReport)]
    assert any("tested program from the recipe library written" in (m or "") for m in reports)
    titles = await lens_titles(vscode_client, doc)
    assert titles == ["Tests: 4/4 passed", "LLM candidates 0/4… (cancel)", "Optimize"]

    optimizing = await command(vscode_client, "text2ml.optimize", str(program))
    assert optimizing["started"], optimizing
    await wait_until(lambda: said(vscode_client, "after 1 trials")
                     or said(vscode_client, "optimization finished"), timeout=SLOW,
                     what="the optimization of the recipe program")
    assert (program / "best_params.json").is_file()

    gate.open.set()
    await wait_until(lambda: said(vscode_client, "tested program written to"), timeout=SLOW,
                     what="the whole program")
    titles = await lens_titles(vscode_client, doc)
    assert titles[0] == "Tests: 8/8 passed" and "Optimize" in titles
    assert not any(m.type == types.MessageType.Error for m in vscode_client.messages), [
        m.message for m in vscode_client.messages]
