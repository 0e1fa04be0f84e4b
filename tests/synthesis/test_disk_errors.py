"""A full disk or a read-only folder is the user's to fix: plain words, no traceback, and
`text2ml test` shows its results before saying it could not record them (issue 15 item 10)."""

from __future__ import annotations

import argparse
import errno
import shutil
from pathlib import Path

import pytest

from text2ml.server.messages import plain_words
from text2ml.synthesis.errors import run_cli
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.llm.settings import LLMSettings

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

FULL = OSError(errno.ENOSPC, "No space left on device", "/work/out/pipeline.py")


class OperationalError(Exception):
    """Stands in for sqlalchemy.exc.OperationalError: only its words matter."""


def raises(exc: BaseException):  # type: ignore[no-untyped-def]
    def command(_args: argparse.Namespace) -> int:
        raise exc
    return command


def readonly_study() -> BaseException:
    try:
        try:
            raise OperationalError("(sqlite3.OperationalError) attempt to write a readonly "
                                   "database")
        except OperationalError as inner:
            raise RuntimeError("optuna could not save the trial") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize("exc, says", [
    (FULL, "could not write /work/out/pipeline.py: No space left on device"),
    (OSError(errno.EROFS, "Read-only file system", "/ro/x"), "Read-only file system"),
    (readonly_study(), "could not write its study database"),
], ids=["full", "read-only", "sqlite"])
def test_the_cli_says_what_the_disk_did(exc: BaseException, says: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(raises(exc), argparse.Namespace(json=False))
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err and "bug" not in err


def test_the_editor_says_it_too() -> None:
    text, kind = plain_words(FULL, "generating the program")
    assert "could not write /work/out/pipeline.py: No space left on device" in text
    assert "unexpectedly" not in text and "Free some disk space" in text


def test_text2ml_test_shows_its_results_when_the_manifest_cannot_be_written(
        scripted_llm: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from text2ml.server.cli import main
    from text2ml.synthesis import generate

    task = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    settings = LLMSettings(base_url=scripted_llm.base_url, model="scripted", max_retries=0)
    program = generate_program(task, None, GenerateOptions(
        {"features": 1, "model": 1, "training": 1, "postprocess": 1}, 1, settings,
        tmp_path / "program")).program_dir
    capsys.readouterr()

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise FULL

    monkeypatch.setattr(generate, "write_manifest", full_disk)
    code = main(["test", str(program)])
    out, err = capsys.readouterr()
    assert "candidates passed their contract tests" in out  # the results are shown
    assert code == 2 and "not recorded in the manifest" in err and "No space left" in err
