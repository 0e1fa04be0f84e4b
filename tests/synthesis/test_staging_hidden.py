"""While a program is written, the user's folder shows nothing half-made (issue 16, item 3):
the staging folder lives out of the workspace, and the program folder appears only once it
holds a whole tested program, never one with only `.text2ml/cache` in it. The scripted LLM
is held on an event, so the listings below are taken mid-generation whatever the machine's
speed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from test_first_program import Gate, Run, gate, options, reached, runs_as_a_user_would

from text2ml.synthesis import generate
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.layout import (
    MANIFEST,
    PIPELINE,
    lock_path,
    read_manifest,
    writer_lock_path,
)
from text2ml.synthesis.sandbox.limits import Limits

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

__all__ = ["gate"]  # the held LLM's fixture, shared with test_first_program


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, apart from the workspace, so the test can see what
    generate leaves there."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def visible(workspace: Path, program: Path) -> set[str]:
    """What the workspace holds besides the task file and the jobs' locks (hidden in the
    editor by files.exclude; a lock must sit beside the folder it guards)."""
    locks = {p.name for p in (lock_path(program), writer_lock_path(program))}
    locks |= {Path(name).with_suffix(".job").name for name in locks}
    return {p.relative_to(workspace).as_posix() for p in workspace.rglob("*")
            if p.name not in locks and p.name != "wine.py"}


def staged(system_temp: Path) -> list[Path]:
    return list(system_temp.glob("text2ml-program-staging-*"))


def whole_program(files: set[str]) -> bool:
    return {"program/pipeline.py", "program/data.py", "program/program.json",
            "program/tests/test_pipeline.py", "program/.text2ml/manifest.json"} <= files


def test_while_the_llm_writes_only_the_whole_recipe_program_is_in_the_workspace(
        scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate], workspace: Path,
        system_temp: Path) -> None:
    held = gate("features", "model", "training", "postprocess")
    task = workspace / "wine.py"
    task.write_bytes((EXAMPLES / "wine_cultivar.py").read_bytes())
    opts = options(scripted_llm, workspace)
    run = Run(task, opts)
    reached(held, run)
    files = visible(workspace, opts.out)
    assert whole_program(files), sorted(files)
    assert all(name.startswith("program/") or name == "program" for name in files), sorted(files)
    assert not [name for name in files if "staging" in name or "publishing" in name]
    assert read_manifest(opts.out)["generation"]["state"] == "writing"
    assert staged(system_temp), "the staging folder is in the system's temporary folder"
    held.open.set()
    run.wait()
    assert run.error is None and run.result is not None and run.result.ok
    assert not staged(system_temp), "the staging folder is gone"
    assert list((opts.out / ".text2ml" / "cache").rglob("*.json")), "the LLM's replies are kept"


def test_a_program_published_at_the_end_appears_only_whole(
        scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate], workspace: Path,
        system_temp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As when a recipe fails on this data: no early program, it is published at the end.
    monkeypatch.setattr(generate, "replaces_nothing_better", lambda *args: False)
    held = gate("model")
    task = workspace / "wine.py"
    task.write_bytes((EXAMPLES / "wine_cultivar.py").read_bytes())
    opts = options(scripted_llm, workspace)
    run = Run(task, opts)
    reached(held, run)  # the features module is written, cached and tested by now
    assert visible(workspace, opts.out) == set(), "no program folder before it is whole"
    held.open.set()
    run.wait()
    assert run.error is None and run.result is not None and run.result.ok
    files = visible(workspace, opts.out)
    assert whole_program(files) and (opts.out / MANIFEST).exists()
    assert (opts.out / PIPELINE).exists()
    assert list((opts.out / ".text2ml" / "cache").rglob("*.json")), "the LLM's replies are kept"
    assert not staged(system_temp)
    assert not [p for p in workspace.iterdir() if "publishing" in p.name or "staging" in p.name]


def test_a_data_file_is_read_from_the_published_program_as_from_staging(
        workspace: Path, system_temp: Path) -> None:
    """data.py names a data file by its path relative to its own folder: staged out of the
    workspace, the published copy is rendered for the program's folder."""
    from sklearn.datasets import load_wine

    load_wine(as_frame=True).frame.to_csv(workspace / "wine.csv", index=False)
    task = workspace / "wine.py"
    task.write_text("# TASK: Classify the wine cultivar from wine.csv, predict the `target` "
                    "column.\n# Measure accuracy.\n")
    result = generate_program(task, None, GenerateOptions(
        {}, repairs=0, recipes_only=True, out=workspace / "program",
        test_limits=Limits(wall_seconds=120, memory_mb=3072)))
    assert result.ok, result.failures
    assert "'../wine.csv'" in (result.program_dir / "data.py").read_text()
    assert "score" in runs_as_a_user_would(result.program_dir)
    assert not staged(system_temp)
