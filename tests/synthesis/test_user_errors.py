"""Every error whose message says what to do is a UserError, and each one reaches the CLI as
plain words on stderr (or the JSON error object with --json), without a traceback, exit 2.
A bug is still called unexpected, with its traceback, exit 1."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from text2ml.optimization.program_info import ProgramError
from text2ml.optimization.study import OptimizeError
from text2ml.server import cli
from text2ml.synthesis.errors import UserError, join_hint, sentence
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

from paths import ROOT

WINE = ROOT / "tests" / "fixtures" / "programs" / "wine"
ERROR_TYPES = [TaskError, ProgramError, SettingsError, ModelFileError, EmbeddedServerError,
               OptimizeError, LLMError, LLMUnavailable, LLMRateLimited, LLMServerError,
               LLMBadReply, BudgetExceeded]


def text2ml(*args: str, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("text2ml")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "text2ml.server.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, **(env or {})})


def plain(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 2, the expected words on stderr, no traceback anywhere."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output and "unexpected" not in output, output
    for words in expected:
        assert words in result.stderr, result.stderr


# --- the class ------------------------------------------------------------------------------

def test_message_and_hint_join_as_sentences() -> None:
    assert str(UserError("no data named", hint="Name a CSV file.")) == \
        "no data named. Name a CSV file."
    assert str(UserError("No data named.", hint="Name a CSV file.")) == \
        "No data named. Name a CSV file."
    assert str(UserError("is the server running?", hint="Start it.")) == \
        "is the server running? Start it."
    assert str(UserError("just the message")) == "just the message"
    # a message ending in a command to copy gets the hint on its own line, no full stop glued
    assert join_hint("Install them with:\n  pip install x", "Then retry.") == \
        "Install them with:\n  pip install x\nThen retry."
    assert sentence("") == "" and sentence("done") == "done."


@pytest.mark.parametrize("kind", ERROR_TYPES, ids=lambda k: k.__name__)
def test_every_error_that_says_what_to_do_is_a_user_error(kind: type[Exception]) -> None:
    error = kind("something is off")  # the positional message of every raise site still works
    assert isinstance(error, UserError)
    assert error.message == "something is off" and str(error).startswith("something is off")
    with_hint = kind("something is off", hint="Do this.")
    assert with_hint.hint == "Do this." and str(with_hint) == "something is off. Do this."
    assert str(pickle.loads(pickle.dumps(with_hint))) == str(with_hint)


def test_old_bases_are_kept() -> None:
    assert issubclass(SettingsError, ValueError) and issubclass(ProgramError, ValueError)
    assert issubclass(SearchSpaceError, ValueError) and issubclass(LLMError, RuntimeError)
    assert issubclass(OptimizeError, RuntimeError) and issubclass(ModelFileError, RuntimeError)
    assert issubclass(EmbeddedServerError, RuntimeError)


def test_llm_errors_point_at_the_endpoint_settings() -> None:
    assert "text2ml llm status" in LLMUnavailable("cannot reach the LLM").hint
    assert "TEXT2ML_BASE_URL" in LLMError("x").hint
    assert BudgetExceeded("the budget is spent (raise TEXT2ML_MAX_CALLS)").hint == ""


def test_search_space_error_names_file_and_key_and_pickles() -> None:
    error = SearchSpaceError("model/c2.py", "depth", "low 9 is above high 2")
    assert error.key == "depth" and error.reason == "low 9 is above high 2"
    assert error.message == "model/c2.py: SEARCH_SPACE['depth']: low 9 is above high 2"
    assert str(error).startswith(error.message + ". Fix SEARCH_SPACE")
    again = pickle.loads(pickle.dumps(error))
    assert (again.file, again.key, str(again)) == (error.file, error.key, str(error))


# --- real triggers, end to end through the `text2ml` command --------------------------------

def test_settings_error_reaches_the_cli_plainly(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[llm\ntimeout = \n")
    plain(text2ml("llm", "status", env={"TEXT2ML_CONFIG": str(config)}),
          "not valid TOML", "TEXT2ML_CONFIG")
    plain(text2ml("llm", "status", env={"TEXT2ML_TIMEOUT": "soon"}),
          "timeout must be a number", "Fix TEXT2ML_TIMEOUT")


def test_program_error_reaches_the_cli_plainly(tmp_path: Path) -> None:
    not_a_program = tmp_path / "empty"
    not_a_program.mkdir()
    plain(text2ml("optimize", str(not_a_program), "--trials", "1"),
          "program.json not found", "text2ml generate")
    result = text2ml("optimize", str(not_a_program), "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    error = json.loads(result.stdout.strip().splitlines()[-1])
    assert error["ok"] is False and error["type"] == "ProgramError"
    assert "program.json not found" in error["error"]


def test_program_error_reaches_the_optimization_cli_plainly(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "text2ml.optimization.cli", "worker",
                             str(tmp_path), "--storage", f"sqlite:///{tmp_path / 's.db'}"],
                            capture_output=True, text=True, timeout=120)
    plain(result, "program.json not found")


def test_search_space_error_reaches_the_cli_plainly(tmp_path: Path) -> None:
    program = Path(shutil.copytree(WINE, tmp_path / "wine"))
    (program / "candidates" / "model" / "c2.py").write_text(
        "SEARCH_SPACE = {'depth': {'type': 'int', 'low': 9, 'high': 2}}\n")
    plain(text2ml("optimize", str(program), "--trials", "1"),
          "SEARCH_SPACE['depth']: low 9 is above high 2", "Fix SEARCH_SPACE")


def test_model_file_error_reaches_the_cli_plainly(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"
    plain(text2ml("llm", "serve", env={"TEXT2ML_EMBEDDED_MODEL": str(missing)}),
          "model file not found", str(missing))


def test_task_error_reaches_the_cli_plainly(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text("print('no task here')\n")
    plain(text2ml("generate", str(tmp_path / "task.py")), "No task block found")
    result = text2ml("generate", str(tmp_path / "task.py"), "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    error = json.loads(result.stdout)
    assert error["ok"] is False and "No task block found" in error["error"]


def test_bad_candidates_flag_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text("# TASK: anything\n")
    plain(text2ml("generate", str(tmp_path / "task.py"), "--candidates", "model=many"),
          "--candidates: expected slot=N", "For example")


# --- hard to trigger for real: the failing function raises, main() prints ------------------

def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_optimize_error_reaches_the_cli_plainly(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    from text2ml.optimization import cli as optimization_cli

    def fails(*_args: object, **_kwargs: object) -> None:
        raise OptimizeError("no trial of wine completed; see report.md")

    monkeypatch.setattr(optimization_cli, "optimize_program", fails)
    code, out, err = run_main(capsys, "optimize", str(tmp_path), "--json")
    assert code == 2 and "Traceback" not in err
    assert json.loads(out)["error"] == "no trial of wine completed; see report.md"
    code, _, err = run_main(capsys, "optimize", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert "text2ml: no trial of wine completed; see report.md" in err


def test_embedded_server_error_reaches_the_cli_plainly(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from text2ml.synthesis.llm import embedded

    def fails(*_args: object, **_kwargs: object) -> int:
        raise EmbeddedServerError("the embedded model server could not start: port taken",
                                  hint="Stop the other server with `text2ml llm stop`.")

    monkeypatch.setattr(embedded, "serve_foreground", fails)
    code, _, err = run_main(capsys, "llm", "serve")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == ("text2ml: the embedded model server could not start: port taken. "
                           "Stop the other server with `text2ml llm stop`.")


@pytest.mark.parametrize("kind", [LLMError, LLMUnavailable, LLMRateLimited, LLMServerError,
                                  LLMBadReply, BudgetExceeded], ids=lambda k: k.__name__)
def test_llm_errors_reach_the_cli_plainly(kind: type[LLMError], monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    from text2ml.synthesis import generate

    def fails(*_args: object, **_kwargs: object) -> None:
        raise kind("the LLM at http://127.0.0.1:9/v1 could not answer")

    monkeypatch.setattr(generate, "generate_program", fails)
    (tmp_path / "task.py").write_text("# TASK: anything\n")
    code, _, err = run_main(capsys, "generate", str(tmp_path / "task.py"))
    assert code == 2 and "Traceback" not in err and "unexpected" not in err
    assert err.startswith("text2ml: the LLM at http://127.0.0.1:9/v1 could not answer")
    if kind is not BudgetExceeded:
        assert "`text2ml llm status`" in err


def test_a_bug_still_says_unexpected_with_its_traceback(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    from text2ml.optimization import cli as optimization_cli

    def breaks(*_args: object, **_kwargs: object) -> None:
        raise KeyError("best_value")

    monkeypatch.setattr(optimization_cli, "optimize_program", breaks)
    code, out, err = run_main(capsys, "optimize", str(tmp_path), "--json")
    assert code == 1
    assert err.startswith("text2ml: unexpected error (KeyError: 'best_value')")
    assert "Traceback (most recent call last)" in err
    assert json.loads(out)["unexpected"] is True
