"""Code actions and code lenses on task blocks, with a VS Code-like and a minimal client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from text2ml.synthesis.program_state import program_dir_for
from text2ml.synthesis.task import find_task_blocks

from lsp_fixtures import TASK_LINE, command, open_file, uri, wait_until

pytest_plugins = ["lsp_fixtures"]


def fake_program(task: Path, *, optimized: bool = False) -> Path:
    """The program folder text2ml would have written for the file's first block (state only)."""
    block = find_task_blocks(task.read_text())[0]
    folder = program_dir_for(task, block)
    (folder / ".text2ml").mkdir(parents=True)
    slots = {s: {"accepted": "c1", "candidates": {
        "c1": {"status": "passed", "origin": "llm"},
        "c2": {"status": "failed" if s == "model" else "passed", "origin": "llm"}}}
        for s in ("features", "model")}
    (folder / ".text2ml" / "manifest.json").write_text(json.dumps(
        {"task_hash": "h", "spec": {"metric": "accuracy"}, "slots": slots}))
    if optimized:
        (folder / "best_params.json").write_text(json.dumps({"best_value": 0.9731,
                                                             "n_trials": 40}))
        (folder / ".text2ml" / "report.md").write_text("# report\n")
    return folder


async def actions_at(client: LanguageClient, doc: str, line: int,
                     only: list[str] | None = None,
                     diagnostics: list[types.Diagnostic] | None = None) -> list:
    where = types.Range(types.Position(line, 0), types.Position(line, 0))
    result = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc), where,
        types.CodeActionContext(diagnostics=diagnostics or [], only=only)))
    return list(result or [])


async def lenses(client: LanguageClient, doc: str) -> list[types.CodeLens]:
    return list(await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(doc))) or [])


async def test_generate_action_on_a_task_block(vscode_client: LanguageClient,
                                               lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    (generate,) = await actions_at(vscode_client, doc, TASK_LINE + 1)
    assert generate.title == "Generate ML program"
    assert generate.kind == types.CodeActionKind.Refactor
    assert generate.command.command == "text2ml.generate"
    assert list(generate.command.arguments) == [doc, {"line": TASK_LINE, "character": 0}]
    assert await actions_at(vscode_client, doc, 0) == []
    assert await actions_at(vscode_client, doc, TASK_LINE, only=["quickfix"]) == []
    assert len(await actions_at(vscode_client, doc, TASK_LINE, only=["refactor"])) == 1


async def test_program_actions_and_lenses(vscode_client: LanguageClient,
                                          lsp_workspace: Path) -> None:
    program = fake_program(lsp_workspace / "task.py", optimized=True)
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    actions = await actions_at(vscode_client, doc, TASK_LINE)
    assert [a.title for a in actions] == ["Generate ML program", "Optimize", "Re-run tests",
                                          "Open report"]
    assert list(actions[1].command.arguments) == [str(program)]
    titles = [lens.command.title for lens in await lenses(vscode_client, doc)]
    assert titles == ["Tests: 3/4 passed", "Optimize", "best accuracy 0.973 (40 trials)"]
    report = await command(vscode_client, *_command_of(actions[3]))
    assert report == {"report": str(program / ".text2ml" / "report.md")}
    await wait_until(lambda: vscode_client.shown_documents, what="window/showDocument")
    assert vscode_client.shown_documents[-1].uri == uri(program / ".text2ml" / "report.md")


def _command_of(action: types.CodeAction) -> list:
    return [action.command.command, *action.command.arguments]


async def test_lens_of_a_block_without_program_and_during_a_job(
        vscode_client: LanguageClient, lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    (lens,) = await lenses(vscode_client, doc)
    assert lens.range.start.line == TASK_LINE and lens.command.title == "Generate ML program"
    assert list(lens.command.arguments) == [doc, {"line": TASK_LINE, "character": 0}]
    block = find_task_blocks((lsp_workspace / "task.py").read_text())[0]
    key = str(program_dir_for(lsp_workspace / "task.py", block))
    job = await command(vscode_client, "text2ml.test.sleepJob", key, 500, 0.05)
    (lens,) = await lenses(vscode_client, doc)
    assert lens.command.title.endswith("(cancel)")
    assert lens.command.command == "text2ml.cancel" and list(lens.command.arguments) == [job["job"]]
    await command(vscode_client, lens.command.command, *lens.command.arguments)
    await wait_until(lambda: any("(cancelled)" in m.message for m in vscode_client.messages),
                     what="the job to stop")


async def test_lenses_follow_edits_of_the_open_buffer(vscode_client: LanguageClient,
                                                      lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    assert len(await lenses(vscode_client, doc)) == 1
    vscode_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=2, uri=doc),
        [types.TextDocumentContentChangePartial(
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            "# TASK: predict house prices from houses.csv, target price.\n\n")]))
    found = await lenses(vscode_client, doc)
    assert [lens.range.start.line for lens in found] == [0, TASK_LINE + 2]


async def test_minimal_client_gets_plain_commands(minimal_client: LanguageClient,
                                                  lsp_workspace: Path) -> None:
    doc = open_file(minimal_client, lsp_workspace / "task.py")
    (generate,) = await actions_at(minimal_client, doc, TASK_LINE)
    assert isinstance(generate, types.Command) and generate.command == "text2ml.generate"
    (lens,) = await lenses(minimal_client, doc)
    assert lens.command.command == "text2ml.generate"


async def test_quick_fix_on_a_failing_module(vscode_client: LanguageClient,
                                             lsp_workspace: Path) -> None:
    program = fake_program(lsp_workspace / "task.py")
    module = program / "candidates" / "model" / "c2.py"
    module.parent.mkdir(parents=True)
    module.write_text("SEARCH_SPACE = {}\n\ndef build_model(params):\n    return None\n")
    failure = {"slot": "model", "candidate": "c2", "check": "fit_predict",
               "message": "build_model returned None", "file": str(module), "line": 4}
    await command(vscode_client, "text2ml.test.publishFailures", str(program), [failure],
                  [["model", "c2"]])
    doc = open_file(vscode_client, module)
    published = await wait_until(lambda: vscode_client.diagnostics.get(doc), what="diagnostic")
    (fix,) = await actions_at(vscode_client, doc, 3, diagnostics=list(published))
    assert fix.title == "Regenerate this module with the test failure as feedback"
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.command.command == "text2ml.regenerateModule"
    assert list(fix.command.arguments) == [doc]
    assert await actions_at(vscode_client, doc, 3) == []  # no text2ml diagnostic, no fix


async def test_generate_refuses_an_unsaved_buffer(vscode_client: LanguageClient,
                                                  lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    vscode_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=2, uri=doc),
        [types.TextDocumentContentChangePartial(
            types.Range(types.Position(0, 0), types.Position(0, 0)), "# edited\n")]))
    with pytest.raises(JsonRpcException, match="unsaved changes; save it first"):
        await command(vscode_client, "text2ml.generate", doc, {"line": TASK_LINE + 1})


async def test_task_error_marks_the_block_until_it_is_edited(vscode_client: LanguageClient,
                                                             lsp_workspace: Path) -> None:
    doc = open_file(vscode_client, lsp_workspace / "task.py")
    await command(vscode_client, "text2ml.test.taskError", doc, {"line": TASK_LINE},
                  "No data source named.")
    (diagnostic,) = await wait_until(lambda: vscode_client.diagnostics.get(doc),
                                     what="the task diagnostic")
    assert diagnostic.range.start.line == TASK_LINE and diagnostic.range.end.line >= TASK_LINE
    assert diagnostic.message == "No data source named." and diagnostic.source == "text2ml"
    vscode_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=2, uri=doc),
        [types.TextDocumentContentChangePartial(
            types.Range(types.Position(TASK_LINE + 1, 0), types.Position(TASK_LINE + 1, 0)),
            "# Data: wine.csv in this folder.\n")]))
    await wait_until(lambda: list(vscode_client.diagnostics[doc]) == [],
                     what="the task diagnostic to clear")
