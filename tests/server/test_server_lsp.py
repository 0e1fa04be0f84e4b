"""The language server's machinery over stdio: initialize, settings, argument errors, jobs with
progress and cancel, diagnostics from Failure records. No LLM, no generated program."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_fixtures import command, ended_tokens, open_file, progress_kinds, uri, wait_until

pytest_plugins = ["lsp_fixtures"]

COMMANDS = {"text2ml.generate", "text2ml.test", "text2ml.optimize", "text2ml.cancel",
            "text2ml.regenerateModule", "text2ml.showReport", "text2ml.llmStatus",
            "text2ml.insertTaskLine"}


async def state(client: LanguageClient) -> dict:
    return await command(client, "text2ml.test.state")


async def idle(client: LanguageClient) -> bool:
    """No job left and no progress token: a job's last message and its progress end come
    before its thread lets go of it, so this is waited for, not asserted at once."""
    now = await state(client)
    return now["jobs"] == [] and now["progress_tokens"] == 0


async def test_initialize_advertises_features(vscode_client: LanguageClient) -> None:
    result = await vscode_client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="text2ml.test.state"))
    assert result["jobs"] == []
    assert "torch" not in result["loaded"]


async def test_settings_from_initialization_and_configuration(
        configured_client: LanguageClient) -> None:
    async def pulled() -> dict | None:  # workspace/configuration is pulled after `initialized`
        settings = (await state(configured_client))["settings"]
        return settings if settings["llm_model"] == "from-config" else None

    settings = await wait_until(pulled, what="the settings from workspace/configuration")
    # workspace/configuration overrides initializationOptions key by key
    assert settings["llm_model"] == "from-config"
    assert settings["llm_base_url"] == "http://127.0.0.1:9/v1"
    assert settings["optimize_trials"] == 7 and settings["repairs"] == 1
    assert settings["candidates"] == {"model": 2}
    assert settings["optimize_jobs"] == 1  # "two" was refused with a warning
    warnings = [m.message for m in configured_client.messages
                if m.type == types.MessageType.Warning]
    assert any("optimize.jobs" in w for w in warnings)


@pytest.mark.parametrize("name, arguments, expected", [
    ("text2ml.generate", [], "which task?"),
    ("text2ml.generate", [42], "expected a file URI or a path"),
    ("text2ml.generate", ["file:///no/such/file.py", {"line": 0}], "does not exist"),
    ("text2ml.generate", ["untitled:Untitled-1", {"line": 0}], "not a file on disk"),
    ("text2ml.optimize", ["/no/such/program"], "does not exist"),
    ("text2ml.regenerateModule", [], "expected [uri] of a generated module"),
    ("text2ml.llmStatus", ["extra"], "takes no arguments"),
])
async def test_malformed_arguments_are_error_responses(
        vscode_client: LanguageClient, name: str, arguments: list, expected: str) -> None:
    with pytest.raises(JsonRpcException) as error:
        await command(vscode_client, name, *arguments)
    assert expected in str(error.value)
    assert (await state(vscode_client))["jobs"] == []  # and the server still answers


async def test_bad_position_and_non_program_folder(vscode_client: LanguageClient,
                                                   lsp_workspace: Path) -> None:
    task = uri(lsp_workspace / "task.py")
    with pytest.raises(JsonRpcException, match="expected a position"):
        await command(vscode_client, "text2ml.generate", task, {"line": -3})
    with pytest.raises(JsonRpcException, match="not a text2ml program folder"):
        await command(vscode_client, "text2ml.showReport", str(lsp_workspace))
    with pytest.raises(JsonRpcException, match="not a generated module"):
        await command(vscode_client, "text2ml.regenerateModule", task)


async def test_job_reports_progress_and_one_job_per_program(vscode_client: LanguageClient,
                                                            tmp_path: Path) -> None:
    key = str(tmp_path / "prog")
    # sent back to back, so the second reaches the server while the first job surely runs
    # (the server takes requests in order), however long a round trip takes on this machine
    first, second = await asyncio.gather(
        command(vscode_client, "text2ml.test.sleepJob", key, 4, 0.05),
        command(vscode_client, "text2ml.test.sleepJob", key, 1, 0.01))
    assert first["started"]
    assert not second["started"] and second["running"] == first["job"]
    assert "already running" in second["message"]
    token = (await wait_until(lambda: ended_tokens(vscode_client), what="progress end"))[0]
    kinds = progress_kinds(vscode_client, token)
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    begin = vscode_client.progress_reports[token][0]
    assert begin.cancellable and begin.title == "text2ml: test job"
    await wait_until(lambda: any("4/4 steps" in m.message for m in vscode_client.messages),
                     what="the job's final message")
    await wait_until(lambda: idle(vscode_client), what="the finished job to be let go")
    assert (await command(vscode_client, "text2ml.test.sleepJob", key, 1, 0.01))["started"]


async def test_cancel_command_stops_a_job(vscode_client: LanguageClient, tmp_path: Path) -> None:
    job = await command(vscode_client, "text2ml.test.sleepJob", str(tmp_path), 500, 0.05)
    await wait_until(lambda: vscode_client.progress_reports, what="progress begin")
    cancelled = await command(vscode_client, "text2ml.cancel", job["job"])
    assert cancelled == {"cancelled": [job["job"]]}
    token = (await wait_until(lambda: ended_tokens(vscode_client), what="progress end"))[0]
    assert vscode_client.progress_reports[token][-1].message.endswith("/500 steps")
    await wait_until(lambda: any("(cancelled)" in m.message for m in vscode_client.messages),
                     what="the cancelled message")
    await wait_until(lambda: idle(vscode_client), what="the cancelled job to be let go")


async def test_progress_cancel_from_the_client_stops_the_job(vscode_client: LanguageClient,
                                                             tmp_path: Path) -> None:
    await command(vscode_client, "text2ml.test.sleepJob", str(tmp_path), 500, 0.05)
    token = (await wait_until(lambda: list(vscode_client.progress_reports),
                              what="progress token"))[0]
    await wait_until(lambda: progress_kinds(vscode_client, token), what="progress begin")
    vscode_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
    await wait_until(lambda: token in ended_tokens(vscode_client), what="progress end")
    await wait_until(lambda: idle(vscode_client), what="the cancelled job to be let go")


async def test_cancel_by_program_folder_and_nothing_running(vscode_client: LanguageClient,
                                                            tmp_path: Path) -> None:
    assert (await command(vscode_client, "text2ml.cancel")) == {"cancelled": []}
    assert any("nothing is running" in m.message for m in vscode_client.messages)


async def test_minimal_client_gets_no_progress_requests(minimal_client: LanguageClient,
                                                        tmp_path: Path) -> None:
    # pytest-lsp fails the test if the server sends a request the client did not announce
    job = await command(minimal_client, "text2ml.test.sleepJob", str(tmp_path), 3, 0.01)
    await wait_until(lambda: any(job["job"] in m.message for m in minimal_client.messages),
                     what="the job's final message")
    assert minimal_client.progress_reports == {}


def write_module(program: Path, slot: str, candidate: str, text: str) -> Path:
    path = program / "candidates" / slot / f"{candidate}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def test_failures_become_diagnostics_at_the_failing_line(vscode_client: LanguageClient,
                                                               tmp_path: Path) -> None:
    program = tmp_path / "prog"
    broken = write_module(program, "model", "c1", "SEARCH_SPACE = {}\n\n\ndef build_model(p):\n"
                                                  "    return Nope()\n")
    fine = write_module(program, "model", "c2", "SEARCH_SPACE = {}\n")
    failure = {"slot": "model", "candidate": "c1", "check": "runs",
               "message": "NameError: name 'Nope' is not defined", "file": str(broken),
               "line": 5, "traceback": "Traceback...\n  File c1.py, line 5\nNameError: Nope"}
    await command(vscode_client, "text2ml.test.publishFailures", str(program), [failure],
                  [["model", "c1"], ["model", "c2"]])
    diagnostics = await wait_until(lambda: vscode_client.diagnostics.get(uri(broken)),
                                   what="diagnostics")
    (diagnostic,) = diagnostics
    assert diagnostic.range.start.line == 4 and diagnostic.range.end.character == 17
    assert diagnostic.source == "text2ml" and diagnostic.message.startswith("runs: NameError")
    assert "NameError: Nope" in diagnostic.related_information[0].message
    assert list(vscode_client.diagnostics[uri(fine)]) == []
    await command(vscode_client, "text2ml.test.publishFailures", str(program), [],
                  [["model", "c1"]])
    await wait_until(lambda: list(vscode_client.diagnostics[uri(broken)]) == [],
                     what="cleared diagnostics")


async def test_open_and_save_of_a_plain_file_is_ignored(vscode_client: LanguageClient,
                                                        lsp_workspace: Path) -> None:
    path = lsp_workspace / "other.py"
    path.write_text("x = 1\n")
    doc = open_file(vscode_client, path)
    vscode_client.text_document_did_save(types.DidSaveTextDocumentParams(
        types.TextDocumentIdentifier(doc)))
    assert (await state(vscode_client))["jobs"] == []
