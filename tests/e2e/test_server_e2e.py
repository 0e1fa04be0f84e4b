"""End to end through the language server: generate with progress, diagnostics on save, optimize
with cancel. The LLM is the scripted OpenAI-compatible server, or the embedded model (slow)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_fixtures import (
    command,
    ended_tokens,
    open_file,
    progress_kinds,
    uri,
    wait_until,
)
from paths import EXAMPLES

pytest_plugins = ["lsp_fixtures"]

# Bounds only a broken server reaches (every wait ends once its condition holds): the
# scripted generation takes about 20 s here, many times that on a busy machine, and the
# embedded model's is bounded by its own request timeouts.
GENERATION_SECONDS = 1800.0
EMBEDDED_SECONDS = 7200.0
SLOW = 1200.0


@pytest.fixture
def lsp_options(scripted_llm: Any) -> dict[str, Any]:
    return {"text2ml": {"llm": {"baseUrl": scripted_llm.base_url, "model": "scripted"},
                        "candidates": {"features": 1, "model": 1, "training": 1,
                                       "postprocess": 1},
                        "repairs": 1, "optimize": {"trials": 200, "jobs": 1}}}


@pytest.fixture
def wine_task(lsp_workspace: Path) -> Path:
    task = lsp_workspace / "task.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    return task


async def lenses(client: LanguageClient, doc: str) -> list[types.CodeLens]:
    return list(await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(doc))) or [])


async def run_lens(client: LanguageClient, lens: types.CodeLens) -> Any:
    """Execute a lens's command exactly as the server returned it."""
    return await command(client, lens.command.command, *(lens.command.arguments or []))


async def generate(client: LanguageClient, task: Path,
                   timeout: float = GENERATION_SECONDS) -> Path:
    doc = open_file(client, task)
    (lens,) = await lenses(client, doc)
    assert lens.command.title == "Generate ML program"
    started = await run_lens(client, lens)
    assert started["started"]
    await wait_until(lambda: ended_tokens(client), timeout=timeout,
                     what="the generation to end")
    return Path(started["program"])


async def test_generate_through_the_lens(vscode_client: LanguageClient, wine_task: Path) -> None:
    program = await generate(vscode_client, wine_task)
    (token,) = ended_tokens(vscode_client)
    kinds = progress_kinds(vscode_client, token)
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds, kinds
    assert vscode_client.progress_reports[token][-1].message == "program ready"
    assert (program / "pipeline.py").is_file()
    assert list((program / "candidates" / "model").glob("*.py"))
    await wait_until(lambda: vscode_client.shown_documents, what="window/showDocument")
    assert vscode_client.shown_documents[-1].uri == uri(program / "pipeline.py")
    titles = [lens.command.title for lens in await lenses(vscode_client, uri(wine_task))]
    assert titles[0].startswith("Tests: ") and titles[1] == "Optimize"
    state = await command(vscode_client, "text2ml.test.state")
    assert "torch" not in state["loaded"]


async def test_saved_broken_module_gets_a_diagnostic_then_clears(
        vscode_client: LanguageClient, wine_task: Path) -> None:
    program = await generate(vscode_client, wine_task)
    module = sorted((program / "candidates" / "model").glob("*.py"))[0]
    good = module.read_text()
    lines = good.splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith("def build_model"))
    indent = "    "
    broken = [*lines[: line + 1], f"{indent}raise ValueError('broken on purpose')",
              *lines[line + 1:]]
    module.write_text("\n".join(broken) + "\n")
    doc = open_file(vscode_client, module)
    vscode_client.text_document_did_save(types.DidSaveTextDocumentParams(
        types.TextDocumentIdentifier(doc)))
    diagnostics = await wait_until(lambda: list(vscode_client.diagnostics.get(doc) or []),
                                   timeout=SLOW, what="a diagnostic on the broken module")
    assert any(d.range.start.line == line + 1 and "broken on purpose" in d.message
               for d in diagnostics), diagnostics
    assert all(d.source == "text2ml" for d in diagnostics)
    module.write_text(good)
    vscode_client.text_document_did_save(types.DidSaveTextDocumentParams(
        types.TextDocumentIdentifier(doc)))
    await wait_until(lambda: vscode_client.diagnostics.get(doc) is not None
                     and list(vscode_client.diagnostics[doc]) == [],
                     timeout=SLOW, what="the diagnostic to clear")


async def test_optimize_with_progress_and_cancel(vscode_client: LanguageClient,
                                                 wine_task: Path) -> None:
    program = await generate(vscode_client, wine_task)
    optimize = next(lens for lens in await lenses(vscode_client, uri(wine_task))
                    if lens.command.title == "Optimize")
    started = await run_lens(vscode_client, optimize)
    assert started["started"]

    def trial_reports() -> list[types.ProgressToken]:
        return [t for t, values in vscode_client.progress_reports.items()
                if any(getattr(v, "message", "") and "trial 2/" in v.message for v in values)]

    (token,) = await wait_until(trial_reports, timeout=SLOW, what="two finished trials")
    vscode_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
    await wait_until(lambda: token in ended_tokens(vscode_client), timeout=SLOW,
                     what="optimization to stop")
    assert vscode_client.progress_reports[token][-1].message.startswith("stopped")
    await wait_until(lambda: any("finished trials kept" in m.message
                                 for m in vscode_client.messages), what="the outcome")
    # the outcome message comes before the job's thread lets go of the job: waited for
    await wait_until(lambda: no_job_left(vscode_client), what="the job to be let go")
    assert (program / ".text2ml" / "study.db").is_file()


async def no_job_left(client: LanguageClient) -> bool:
    return (await command(client, "text2ml.test.state"))["jobs"] == []


@pytest.mark.slow
@pytest.mark.parametrize("lsp_options", [{"text2ml": {
    "candidates": {"features": 1, "model": 1, "training": 1, "postprocess": 1},
    "repairs": 2}}])
async def test_generate_with_the_embedded_model(vscode_client: LanguageClient, wine_task: Path,
                                                lsp_options: dict[str, Any]) -> None:
    program = await generate(vscode_client, wine_task, timeout=EMBEDDED_SECONDS)
    (token,) = ended_tokens(vscode_client)
    reports = [v.message for v in vscode_client.progress_reports[token][1:-1]]
    assert reports, "no progress report between begin and end"
    assert (program / "pipeline.py").is_file() and (program / "program.json").is_file()
    await wait_until(lambda: vscode_client.shown_documents, what="window/showDocument")
    assert "torch" not in (await command(vscode_client, "text2ml.test.state"))["loaded"]
