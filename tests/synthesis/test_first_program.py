"""The first tested program comes at once: the recipe program is on disk, whole and runnable,
before the LLM's first reply; the LLM's candidates join it as they pass; a cancel mid-LLM
leaves it whole. The scripted LLM on loopback is held on an event, so nothing here depends
on how fast the machine is: every wait is for a request, a file or a thread."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from text2ml.synthesis.generate import GenerateOptions, GenerateResult, generate_program
from text2ml.synthesis.generate import test_program as run_contract_tests
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.program_lock import ProgramBusy
from text2ml.synthesis.records import Cancelled
from text2ml.synthesis.sandbox.limits import Limits

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI, competent

CANDIDATES = {"features": 2, "model": 1, "training": 1, "postprocess": 1}
WAIT = 600.0  # only a broken generation waits this long; a working one is told by events


class Gate:
    """The scripted LLM's replies for the slots in `held` wait until the gate opens."""

    def __init__(self, *held: str) -> None:
        self.held = held
        self.open = threading.Event()
        self.reached = threading.Event()  # a held request has arrived

    def __call__(self, request: dict[str, Any]) -> Any:
        prompt = str(request["messages"][-1]["content"])
        if any(f"# Write the {slot} module" in prompt for slot in self.held):
            self.reached.set()
            self.open.wait(WAIT)
        return competent(request)


@pytest.fixture
def gate(scripted_llm: ScriptedOpenAI) -> Iterator[Callable[..., Gate]]:
    made: list[Gate] = []

    def make(*held: str) -> Gate:
        made.append(Gate(*held))
        scripted_llm.fallback = made[-1]
        return made[-1]

    yield make
    for g in made:  # let the server's handler threads end
        g.open.set()


@pytest.fixture
def task(tmp_path: Path) -> Path:
    target = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", target)
    return target


def options(server: ScriptedOpenAI, tmp_path: Path) -> GenerateOptions:
    settings = LLMSettings(base_url=server.base_url, model="scripted", timeout=WAIT,
                           max_retries=0)
    return GenerateOptions(dict(CANDIDATES), repairs=0, llm=settings, out=tmp_path / "program",
                           test_limits=Limits(wall_seconds=120, memory_mb=3072))


class Run:
    """generate_program on a thread of its own: the test watches it from outside."""

    def __init__(self, task: Path, opts: GenerateOptions,
                 cancel: threading.Event | None = None) -> None:
        self.result: GenerateResult | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(task, opts, cancel), daemon=True)
        self.thread.start()

    def _run(self, task: Path, opts: GenerateOptions, cancel: threading.Event | None) -> None:
        try:
            self.result = generate_program(task, None, opts, cancel=cancel)
        except BaseException as exc:  # handed to the test
            self.error = exc

    def wait(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


def reached(gate: Gate, run: Run) -> None:
    """Wait for the held LLM request (or the run's end, which would be a failure)."""
    while not gate.reached.wait(0.1):
        assert run.thread.is_alive(), run.error


def manifest(program: Path) -> dict[str, Any]:
    return json.loads((program / ".text2ml" / "manifest.json").read_text())


def runs_as_a_user_would(program: Path) -> dict[str, Any]:
    ran = subprocess.run([sys.executable, "pipeline.py"], cwd=program, text=True,
                         capture_output=True, timeout=WAIT)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.strip().splitlines()[-1])


def test_a_tested_program_is_on_disk_before_the_first_llm_reply(
        scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate], task: Path,
        tmp_path: Path) -> None:
    held = gate("features", "model", "training", "postprocess")
    run = Run(task, options(scripted_llm, tmp_path))
    reached(held, run)  # the LLM is asked for its first module and has not answered
    program = tmp_path / "program"
    written = manifest(program)
    assert written["generation"] == {"state": "writing", "writer": "LLM", "done": 0,
                                     "total": 5, "passed": 0}
    assert written["result"]["ok"]
    assert {s: v["accepted"] for s, v in written["slots"].items()} == {
        "features": "r1", "model": "r1", "training": "r1", "postprocess": "r1"}
    assert all(c["origin"] == "recipe" for v in written["slots"].values()
               for c in v["candidates"].values())
    assert runs_as_a_user_would(program)["metric"] == "accuracy"
    # the program is the user's now: its tests run while the LLM writes (the program lock
    # is free), but a second generate must wait for the writer
    assert run_contract_tests(program).failures == []
    with pytest.raises(ProgramBusy, match="generating"):
        generate_program(task, None, options(scripted_llm, tmp_path))

    held.open.set()
    run.wait()
    assert run.result is not None and run.result.ok, run.error
    final = manifest(program)
    assert final["generation"]["state"] == "done" and final["generation"]["done"] == 5
    assert sorted(final["slots"]["features"]["candidates"]) == ["c1", "c2", "r1"]
    assert final["slots"]["model"]["accepted"] == "c1"  # a tie goes to the LLM's module


def test_candidates_join_as_they_pass(scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate],
                                      task: Path, tmp_path: Path) -> None:
    held = gate("model")
    run = Run(task, options(scripted_llm, tmp_path))
    reached(held, run)  # the features slot is done: both its LLM candidates have joined
    program = tmp_path / "program"
    written = manifest(program)
    assert written["generation"]["done"] == 2 and written["generation"]["passed"] == 2
    assert sorted(written["slots"]["features"]["candidates"]) == ["c1", "c2", "r1"]
    assert sorted(p.stem for p in (program / "candidates" / "features").glob("*.py")) == [
        "c1", "c2", "r1"]
    assert written["files"]["candidates/features/c2.py"]
    held.open.set()
    run.wait()
    assert run.result is not None and run.result.ok, run.error


def cancelled_at_the_model_slot(task: Path, opts: GenerateOptions,
                                gate: Callable[..., Gate]) -> Run:
    """A generation cancelled once the LLM is asked for the model slot, run to its end."""
    held = gate("model")
    cancel = threading.Event()
    run = Run(task, opts, cancel)
    reached(held, run)
    cancel.set()
    run.wait()
    return run


def test_cancel_mid_llm_leaves_the_recipe_program_whole(
        scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate], task: Path,
        tmp_path: Path) -> None:
    run = cancelled_at_the_model_slot(task, options(scripted_llm, tmp_path), gate)
    assert isinstance(run.error, Cancelled)
    program = tmp_path / "program"
    written = manifest(program)
    assert written["generation"]["state"] == "cancelled" and written["result"]["ok"]
    on_disk = sorted(p.relative_to(program).as_posix()
                     for p in (program / "candidates").glob("*/*.py"))
    assert on_disk == ["candidates/features/c1.py", "candidates/features/c2.py",
                       "candidates/features/r1.py", "candidates/model/r1.py",
                       "candidates/postprocess/r1.py", "candidates/training/r1.py"]
    assert run_contract_tests(program).failures == []
    assert "score" in runs_as_a_user_would(program)
    assert not list(tmp_path.glob(".*staging*"))


def test_a_whole_program_of_the_same_task_stays_until_the_new_one_is_whole(
        scripted_llm: ScriptedOpenAI, gate: Callable[..., Gate], task: Path,
        tmp_path: Path) -> None:
    first = generate_program(task, None, options(scripted_llm, tmp_path))
    assert first.ok
    before = {p: p.read_bytes() for p in first.program_dir.rglob("*.py")}
    shutil.rmtree(first.program_dir / ".text2ml" / "cache")  # real calls again
    run = cancelled_at_the_model_slot(task, options(scripted_llm, tmp_path), gate)
    assert isinstance(run.error, Cancelled)
    assert {p: p.read_bytes() for p in first.program_dir.rglob("*.py")} == before


# A model module that passes its contract test but not pipeline.py: the best candidates
# together fail at the end, and the recipe program must stay the program's default.
ONLY_IN_PIPELINE = '''

_recipe_model = build_model


def build_model(params: dict):
    import os
    import sys

    if os.path.basename(sys.argv[0]) == "pipeline.py":
        raise RuntimeError("this module breaks only when pipeline.py runs it")
    return _recipe_model(params)
'''


def breaks_in_pipeline(request: dict[str, Any]) -> str:
    reply = competent(request)
    if "# Write the model module" in str(request["messages"][-1]["content"]):
        return reply.rstrip("`") + ONLY_IN_PIPELINE + "```"  # the recipe, then the wrapper
    return reply


def test_the_recipe_program_stays_the_default_when_the_best_candidates_do_not_run(
        scripted_llm: ScriptedOpenAI, task: Path, tmp_path: Path) -> None:
    scripted_llm.fallback = breaks_in_pipeline
    result = generate_program(task, None, options(scripted_llm, tmp_path))
    program = tmp_path / "program"
    model = manifest(program)["slots"]["model"]
    assert model["candidates"]["c1"]["status"] == "passed"  # its contract test passed
    assert result.ok and model["accepted"] == "r1"
    assert json.loads((program / "program.json").read_text())["choice"]["model"] == "r1"
    assert (program / "candidates" / "model" / "c1.py").is_file()  # for the optimizer
    assert "score" in runs_as_a_user_would(program)
