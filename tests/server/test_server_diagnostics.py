"""A generated module broken on disk and saved gets a diagnostic at the failing line; fixed and
saved, it is cleared. The program is a test fixture, so no LLM is involved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_fixtures import open_file, wait_until
from paths import ROOT

pytest_plugins = ["lsp_fixtures"]

FIXTURE = ROOT / "tests" / "fixtures" / "programs" / "wine"
TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"
BROKEN_LINE = 12  # 1-based: the `return` of build_model in the fixture's model/c1.py
# A bound only a broken server reaches: the module's test runs in the sandbox, a few seconds
# here and many times that on a busy machine; the waits end once the diagnostic is there.
SLOW = 1200.0


@pytest.fixture
def program(lsp_workspace: Path) -> Path:
    folder = Path(shutil.copytree(FIXTURE, lsp_workspace / "wine"))
    shutil.copy(TEMPLATE, folder / "pipeline.py")
    return folder


def save(client: LanguageClient, doc: str) -> None:
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        types.TextDocumentIdentifier(doc)))


async def test_broken_module_saved_then_fixed(vscode_client: LanguageClient,
                                              program: Path) -> None:
    module = program / "candidates" / "model" / "c1.py"
    good = module.read_text()
    lines = good.splitlines()
    assert lines[BROKEN_LINE - 1].lstrip().startswith("return LogisticRegression")
    lines[BROKEN_LINE - 1] = "    return LogisticRegression(C=params['no such parameter'])"
    module.write_text("\n".join(lines) + "\n")
    doc = open_file(vscode_client, module)
    save(vscode_client, doc)
    diagnostics = await wait_until(lambda: list(vscode_client.diagnostics.get(doc) or []),
                                   timeout=SLOW, what="a diagnostic on the broken module")
    assert any(d.range.start.line == BROKEN_LINE - 1 for d in diagnostics), diagnostics
    assert all(d.source == "text2ml" for d in diagnostics)
    assert any("no such parameter" in d.message + "".join(
        r.message for r in d.related_information or []) for d in diagnostics), diagnostics
    module.write_text(good)
    save(vscode_client, doc)
    await wait_until(lambda: list(vscode_client.diagnostics[doc]) == [], timeout=SLOW,
                     what="the diagnostic to clear")


async def test_unsaved_edit_gets_static_checks(vscode_client: LanguageClient,
                                               program: Path) -> None:
    module = program / "candidates" / "model" / "c1.py"
    doc = open_file(vscode_client, module)
    vscode_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=2, uri=doc),
        [types.TextDocumentContentChangePartial(
            types.Range(types.Position(BROKEN_LINE - 1, 0), types.Position(BROKEN_LINE, 0)),
            "    return LogisticRegresion(C=params['C'])\n")]))
    diagnostics = await wait_until(lambda: list(vscode_client.diagnostics.get(doc) or []),
                                   what="a static-check diagnostic")
    assert any(d.range.start.line == BROKEN_LINE - 1 and "LogisticRegresion" in d.message
               for d in diagnostics), diagnostics
