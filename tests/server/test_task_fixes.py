"""A task that names no data: the diagnostic on its block offers the workspace's data as quick
fixes, the fix inserts a `Data:` line through workspace/applyEdit, and the task then works.
Hover over a task block shows what text2ml understands of it, or what is missing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from text2ml.server.task_lines import apply_text_edit

from lsp_fixtures import command, ended_tokens, open_file, wait_until
from scripted_openai import competent

pytest_plugins = ["lsp_fixtures"]

VAGUE = "import json\n\n# TASK: make it good\n\nprint(json.dumps({}))\n"
TASK_LINE = 2
WINE = "# TASK: classify wine cultivars from sklearn.datasets.load_wine\nx = 1\n"
SALES = "date,units\n" + "".join(f"2024-{1 + d // 28:02d}-{1 + d % 28:02d},{(d * 37) % 97 + 10}\n"
                                 for d in range(120))  # units sold: a count with many values
# Bounds only a broken server reaches (every wait ends once its condition holds): reading a
# task probes its data in the sandbox, and a generation tests its modules there; both take
# seconds here and many times that on a busy machine.
READING_SECONDS = 600.0
GENERATION_SECONDS = 1800.0


@pytest.fixture
def lsp_workspace(tmp_path: Path) -> Path:
    (tmp_path / "task.py").write_text(VAGUE)
    (tmp_path / "wine.py").write_text(WINE)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text(SALES)
    return tmp_path


@pytest.fixture
def lsp_options(scripted_llm: Any) -> dict[str, Any]:
    def careful(request: dict[str, Any]) -> Any:
        """"Make it good" says nothing of the target: the careful choice is the units sold."""
        schema = (request.get("response_format") or {}).get("json_schema", {}).get("schema", {})
        options = schema.get("properties", {}).get("target", {}).get("enum") or []
        return json.dumps({"target": "units"}) if "units" in options else competent(request)

    scripted_llm.fallback = careful
    return {"text2ml": {"llm": {"baseUrl": scripted_llm.base_url, "model": "scripted"},
                        "candidates": {"features": 1, "model": 1, "training": 1,
                                       "postprocess": 1},
                        "repairs": 1}}


async def hover_at(client: LanguageClient, doc: str, line: int,
                   timeout: float = READING_SECONDS) -> str:
    """The hover's Markdown, hovering again while text2ml is still reading the task."""
    async def ask() -> str:
        result = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(doc), types.Position(line, 4)))
        assert result is not None and isinstance(result.contents, types.MarkupContent)
        assert result.contents.kind == types.MarkupKind.Markdown
        return result.contents.value

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while "is reading this task" in (text := await ask()):
        assert loop.time() < deadline, f"the task was not read in {timeout} s"
        await asyncio.sleep(0.5)
    return text


def task_diagnostics(client: LanguageClient, doc: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(doc) or [] if d.code == "task"]


async def quick_fixes(client: LanguageClient, doc: str,
                      diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    where = types.Range(types.Position(TASK_LINE, 0), types.Position(TASK_LINE, 0))
    found = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc), where,
        types.CodeActionContext(diagnostics=diagnostics, only=["quickfix"])))
    return list(found or [])


def record_edits(client: LanguageClient) -> list[types.ApplyWorkspaceEditParams]:
    edits: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(ls: LanguageClient, params: types.ApplyWorkspaceEditParams
                   ) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return edits


def change_to(client: LanguageClient, doc: str, path: Path, text: str, version: int) -> None:
    """What the editor does after the edit and a save: the buffer, then the file."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=version, uri=doc),
        [types.TextDocumentContentChangeWholeDocument(text)]))
    path.write_text(text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        types.TextDocumentIdentifier(doc)))


def only_edit(params: types.ApplyWorkspaceEditParams, doc: str) -> types.TextEdit:
    changes = params.edit.document_changes or []
    if changes:
        (change,) = changes
        assert change.text_document.uri == doc
        (edit,) = change.edits
    else:
        (edit,) = params.edit.changes[doc]
    return edit


async def test_vague_task_gets_data_quick_fixes_that_make_it_work(
        vscode_client: LanguageClient, lsp_workspace: Path) -> None:
    task = lsp_workspace / "task.py"
    edits = record_edits(vscode_client)
    doc = open_file(vscode_client, task)
    started = await command(vscode_client, "text2ml.generate", doc, {"line": TASK_LINE})
    assert started["started"]
    (diagnostic,) = await wait_until(lambda: task_diagnostics(vscode_client, doc),
                                     timeout=READING_SECONDS, what="the task diagnostic")
    assert "does not say which data" in diagnostic.message
    assert not Path(started["program"]).exists()  # no program on made-up data
    fixes = await quick_fixes(vscode_client, doc, [diagnostic])
    assert 1 <= len(fixes) <= 3
    assert all(f.kind == types.CodeActionKind.QuickFix and [d.message for d in f.diagnostics]
               == [diagnostic.message] for f in fixes)
    sales = next(f for f in fixes if f.title.startswith("Use `data/sales.csv`"))
    assert sales.title == "Use `data/sales.csv` (120 rows: date, units)"
    assert sales.command.command == "text2ml.insertTaskLine"
    result = await command(vscode_client, sales.command.command, *sales.command.arguments)
    assert result == {"applied": True, "line": "Data: data/sales.csv"}
    (params,) = edits
    fixed = apply_text_edit(VAGUE, only_edit(params, doc))
    assert fixed == VAGUE.replace("# TASK: make it good\n",
                                  "# TASK: make it good\n# Data: data/sales.csv\n")
    change_to(vscode_client, doc, task, fixed, version=2)
    await wait_until(lambda: not task_diagnostics(vscode_client, doc),
                     what="the task diagnostic to clear")

    reading = await hover_at(vscode_client, doc, TASK_LINE)
    assert "data/sales.csv" in reading and "`units`" in reading, reading

    vscode_client.progress_reports.clear()
    started = await command(vscode_client, "text2ml.generate", doc, {"line": TASK_LINE})
    assert started["started"], started
    (token,) = await wait_until(lambda: ended_tokens(vscode_client),
                                timeout=GENERATION_SECONDS, what="the generation to end")
    assert vscode_client.progress_reports[token][-1].message == "program ready", \
        [m.message for m in vscode_client.messages][-1]
    assert (Path(started["program"]) / "pipeline.py").is_file()
    assert not task_diagnostics(vscode_client, doc)


async def test_hover_on_a_clear_task(vscode_client: LanguageClient,
                                     lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "wine.py")
    text = await hover_at(vscode_client, doc, 0)
    assert text.startswith("**text2ml reads this task as**"), text
    assert "`loader sklearn.datasets.load_wine`" in text and "178 rows" in text
    assert "target: `target`" in text and "metric: accuracy" in text
    no_hover = await vscode_client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc), types.Position(1, 0)))
    assert no_hover is None
    assert not task_diagnostics(vscode_client, doc)


async def test_hover_on_a_vague_task_says_what_is_missing(vscode_client: LanguageClient,
                                                          lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    text = await hover_at(vscode_client, doc, TASK_LINE)
    assert "does not say which data to use" in text, text
    assert "`data/sales.csv`" in text and "quick fixes" in text
    assert "Traceback" not in text and "Error" not in text
    (diagnostic,) = await wait_until(lambda: task_diagnostics(vscode_client, doc),
                                     what="the task diagnostic from the hover")
    titles = [c["title"] for c in diagnostic.data["choices"]]
    assert "Use `data/sales.csv` (120 rows: date, units)" in titles, titles
    assert [f.title for f in await quick_fixes(vscode_client, doc, [diagnostic])] == titles


@pytest.mark.parametrize("lsp_options", [{"text2ml": {"trusted": False}}])
async def test_hover_in_an_untrusted_workspace_reads_nothing(
        vscode_client: LanguageClient, lsp_workspace: Path, lsp_options: dict[str, Any]) -> None:
    doc = open_file(vscode_client, lsp_workspace / "wine.py")
    text = await hover_at(vscode_client, doc, 0, timeout=2)
    assert "trusted workspace" in text and "load_wine" not in text
