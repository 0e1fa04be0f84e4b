"""A UserError reaches the editor as a plain `window/showMessage` (the hint on the next line),
never as "failed unexpectedly"; a bug still says unexpected and where the log is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from text2ml.optimization.program_info import ProgramError
from text2ml.optimization.study import OptimizeError
from text2ml.server.messages import plain_words
from text2ml.synthesis.errors import UserError
from text2ml.synthesis.llm.client import (
    BudgetExceeded,
    LLMBadReply,
    LLMError,
    LLMRateLimited,
    LLMServerError,
    LLMUnavailable,
)
from text2ml.synthesis.llm.embedded import EmbeddedServerError
from text2ml.synthesis.llm.model_files import ModelFileError
from text2ml.synthesis.llm.settings import SettingsError
from text2ml.synthesis.records import TaskError
from text2ml.synthesis.search_space import SearchSpaceError

from lsp_fixtures import (
    SERVER_COMMAND,
    command,
    make_client,
    server_env,
    start_session,
    wait_until,
)

pytest_plugins = ["lsp_fixtures"]

ERRORS: list[UserError] = [
    TaskError("No data source named.", hint="Name a CSV file."),
    ProgramError("program.json not found: is p a text2ml program? Run `text2ml generate` "
                 "first."),
    SearchSpaceError("model/c2.py", "depth", "low 9 is above high 2"),
    SettingsError("LLM setting timeout must be a number, got 'soon'",
                  hint="Fix TEXT2ML_TIMEOUT."),
    ModelFileError("model file not found: /m.gguf. Give the path of an existing .gguf file."),
    EmbeddedServerError("the embedded model server did not answer within 120 s"),
    OptimizeError("no trial of wine completed; see report.md"),
    LLMError("the LLM at http://x/v1 rejected the API key (401)"),
    LLMUnavailable("cannot reach the LLM at http://x/v1"),
    LLMRateLimited("the LLM at http://x/v1 kept rate-limiting after retries (429)"),
    LLMServerError("the LLM at http://x/v1 kept failing after retries (500)"),
    LLMBadReply("the LLM at http://x/v1 sent a reply with no choices"),
    BudgetExceeded("the LLM budget is spent: 3 calls made, the limit is 3"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_user_errors_are_plain_messages(error: UserError) -> None:
    text, kind = plain_words(error, "optimizing")
    assert kind == types.MessageType.Error
    assert "unexpected" not in text and "Traceback" not in text
    first, *rest = text.split("\n")
    assert first.startswith(f"text2ml: optimizing failed: {error.message.rstrip('.')}")
    assert first.endswith((".", "?", "!"))
    assert rest == ([error.hint] if error.hint else [])


def test_hints_come_on_the_next_line() -> None:
    text, _ = plain_words(TaskError("no data source named", hint="Name a CSV file."),
                          "generating the program")
    assert text == "text2ml: generating the program failed: no data source named.\n" \
                   "Name a CSV file."
    text, _ = plain_words(LLMUnavailable("cannot reach the LLM at http://x/v1"), "generating")
    assert text.split("\n")[1].endswith("or run `text2ml llm status`.")


def test_a_bug_still_says_unexpectedly_and_where_the_log_is() -> None:
    text, kind = plain_words(ZeroDivisionError("division by zero"), "optimizing")
    assert kind == types.MessageType.Error
    assert "failed unexpectedly (ZeroDivisionError: division by zero)" in text
    assert "text2ml output channel" in text


# --- over LSP: a command fails with a UserError, the client gets plain words -------------------

BAD_SETTINGS = ClientServerConfig(server_command=SERVER_COMMAND,
                                  server_env=server_env(TEXT2ML_TIMEOUT="soon"),
                                  client_factory=make_client)


@pytest_lsp.fixture(config=BAD_SETTINGS)
async def bad_settings_client(lsp_client: LanguageClient, lsp_workspace: Path):
    await start_session(lsp_client, lsp_workspace, client_capabilities("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()


def error_messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


async def test_settings_error_is_a_plain_show_message(bad_settings_client: LanguageClient
                                                      ) -> None:
    result = await command(bad_settings_client, "text2ml.llmStatus")
    assert "timeout must be a number" in result["error"]
    (shown,) = await wait_until(lambda: error_messages(bad_settings_client), what="showMessage")
    assert shown.startswith("text2ml: reading the LLM status failed: LLM setting timeout must "
                            "be a number, got 'soon'.\nFix TEXT2ML_TIMEOUT")
    assert "unexpected" not in shown


async def test_program_error_in_a_job_is_a_plain_show_message(vscode_client: LanguageClient,
                                                              lsp_workspace: Path) -> None:
    program = lsp_workspace / "broken"  # a manifest, so it is a program; no program.json
    (program / ".text2ml").mkdir(parents=True)
    (program / ".text2ml" / "manifest.json").write_text(json.dumps({}))
    started = await command(vscode_client, "text2ml.optimize", str(program))
    assert started["started"], started
    (shown,) = await wait_until(lambda: error_messages(vscode_client), timeout=60,
                                what="showMessage")
    assert shown.startswith("text2ml: optimizing failed: ") and "program.json not found" in shown
    assert "unexpected" not in shown
