"""`generate_program` end to end against the scripted OpenAI-compatible server on loopback.

Real HTTP, real sandboxed contract tests on real data; only the LLM's words are scripted.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from text2ml.synthesis import testing
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.generate import test_program as run_contract_tests
from text2ml.synthesis.layout import candidate_path
from text2ml.synthesis.llm.client import BudgetExceeded, LLMServerError
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.records import Cancelled
from text2ml.synthesis.sandbox.limits import Limits

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI, competent

ONE_EACH = {"features": 1, "model": 1, "training": 1, "postprocess": 1}
FAST_RETRY = {"retry-after-ms": "10"}
RUNAWAY_LOOP = "    while True:\n        pass\n"
HANGS = ('from sklearn.linear_model import LogisticRegression\nSEARCH_SPACE = {}\n\n\n'
         'def build_model(params: dict):\n' + RUNAWAY_LOOP)
# More wall time than any machine needs for a contract test (they take about a second)
TEST_LIMITS = Limits(wall_seconds=600, memory_mb=3072)
EATS_MEMORY = ('from sklearn.linear_model import LogisticRegression\nSEARCH_SPACE = {}\n\n\n'
               'def build_model(params: dict):\n    hog = []\n    while True:\n'
               '        hog.append(bytearray(100_000_000))\n')
RETURNS_NONE = 'SEARCH_SPACE = {}\n\n\ndef build_model(params: dict):\n    return None\n'


def slot_of(request: dict[str, Any]) -> str | None:
    found = re.search(r"# Write the (\w+) module", str(request["messages"][-1]["content"]))
    return found.group(1) if found else None


def is_repair(request: dict[str, Any]) -> bool:
    return "failed its test" in str(request["messages"][-1]["content"])


def fenced(code: str) -> str:
    return f"```python\n{code}```"


class FirstModelReply:
    """The first reply for the model slot is `replies[0]`, then the next…; then competent."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)

    def __call__(self, request: dict[str, Any]) -> str:
        if slot_of(request) == "model" and self.replies:
            return self.replies.pop(0)
        return competent(request)


@pytest.fixture
def task(tmp_path: Path) -> Path:
    target = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", target)
    return target


def options(server: ScriptedOpenAI, tmp_path: Path, **llm: Any) -> GenerateOptions:
    settings = LLMSettings(base_url=server.base_url, model="scripted", timeout=30,
                           max_retries=llm.pop("max_retries", 0), **llm)
    return GenerateOptions(dict(ONE_EACH), repairs=1, llm=settings, out=tmp_path / "program",
                           test_limits=TEST_LIMITS)


def manifest(program: Path) -> dict[str, Any]:
    return json.loads((program / ".text2ml" / "manifest.json").read_text())


def test_happy_path_then_cache_then_user_edit(scripted_llm: ScriptedOpenAI,
                                             task: Path, tmp_path: Path) -> None:
    result = generate_program(task, None, options(scripted_llm, tmp_path))
    program = result.program_dir
    assert result.ok and result.score["metric"] == "accuracy" and result.score["score"] > 0.8
    assert result.stats["llm_calls"] == 4 and result.stats["slots_with_llm_pass"] == 4
    for rel in ("data.py", "pipeline.py", "program.json", "tests/test_pipeline.py",
                "candidates/model/c1.py"):
        assert (program / rel).is_file(), rel
    assert (program / "candidates/model/c1.py").stat().st_mode & 0o044  # readable by others
    assert manifest(program)["slots"]["model"]["accepted"] == "c1"
    assert run_contract_tests(program).failures == []
    assert not list(tmp_path.glob(".*staging*"))

    calls = len(scripted_llm.requests)
    again = generate_program(task, None, options(scripted_llm, tmp_path))
    assert again.ok and len(scripted_llm.requests) == calls  # every reply from the cache
    assert again.stats["cached_calls"] == 4 and again.stats["llm_calls"] == 0

    edited = program / "candidates" / "model" / "c1.py"
    edited.write_text(edited.read_text() + "\n# my own tweak\n")
    third = generate_program(task, None, options(scripted_llm, tmp_path))
    (backup,) = third.backups
    assert Path(backup).read_text().endswith("# my own tweak\n")
    assert "# my own tweak" not in edited.read_text()


def test_a_module_failing_its_contract_is_repaired(scripted_llm: ScriptedOpenAI, task: Path,
                                                  tmp_path: Path) -> None:
    scripted_llm.fallback = FirstModelReply(fenced(RETURNS_NONE))
    result = generate_program(task, None, options(scripted_llm, tmp_path))
    assert result.ok
    entry = manifest(result.program_dir)["slots"]["model"]["candidates"]["c1"]
    assert entry["status"] == "passed" and entry["attempts"] == 2 and entry["origin"] == "llm"
    (repair,) = [r for r in scripted_llm.requests if is_repair(r)]
    assert "return None" in repair["messages"][-1]["content"]  # the failing code goes back
    assert "fit" in repair["messages"][-1]["content"]  # with what the test saw


@pytest.mark.parametrize("bad", ["I am sorry, I cannot write that.", "",
                                 "```python\ndef build_model(params: dict):\n    return ("])
def test_garbage_empty_and_truncated_replies(scripted_llm: ScriptedOpenAI, task: Path,
                                            tmp_path: Path, bad: str) -> None:
    scripted_llm.fallback = FirstModelReply(bad, bad)  # the first try and its one repair
    result = generate_program(task, None, options(scripted_llm, tmp_path))
    model = manifest(result.program_dir)["slots"]["model"]
    failed = model["candidates"]["c1"]
    assert failed["status"] == "failed" and failed["failures"][0]["check"] in (
        "syntax", "search-space", "signature")
    # the recipe program's module stays in the slot: it stands in for the failed LLM one
    assert model["accepted"] == "r1" and model["candidates"]["r1"]["origin"] == "recipe"
    assert result.ok and result.stats["slots_with_llm_pass"] == 3


def test_rate_limits_are_waited_out(scripted_llm: ScriptedOpenAI, task: Path,
                                   tmp_path: Path) -> None:
    scripted_llm.script([{"status": 429, "headers": FAST_RETRY}] * 2)
    result = generate_program(task, None, options(scripted_llm, tmp_path, max_retries=2))
    assert result.ok and result.stats["llm_calls"] == 4


def test_server_errors_leave_no_half_written_program(scripted_llm: ScriptedOpenAI, task: Path,
                                                    tmp_path: Path) -> None:
    good = generate_program(task, None, options(scripted_llm, tmp_path))
    before = {p: p.read_bytes() for p in good.program_dir.rglob("*.py")}
    cache = good.program_dir / ".text2ml" / "cache"
    shutil.rmtree(cache)  # force real calls
    scripted_llm.fallback = lambda request: (
        {"status": 500, "headers": FAST_RETRY} if slot_of(request) == "model"
        else competent(request))
    with pytest.raises(LLMServerError, match="kept failing after retries"):
        generate_program(task, None, options(scripted_llm, tmp_path, max_retries=1))
    assert {p: p.read_bytes() for p in good.program_dir.rglob("*.py")} == before
    assert not list(tmp_path.glob(".*staging*"))


def test_the_budget_stops_cleanly(scripted_llm: ScriptedOpenAI, task: Path,
                                 tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded, match="3 calls made, the limit is 3"):
        generate_program(task, None, options(scripted_llm, tmp_path, max_calls=3))
    program = tmp_path / "program"
    # the program from the recipes stays whole, with the LLM's candidates that passed
    written = manifest(program)
    assert written["generation"]["state"].startswith("stopped: ")
    assert written["result"]["ok"] and run_contract_tests(program).failures == []
    assert {p.stem for p in (program / "candidates" / "features").glob("*.py")} == {"c1", "r1"}
    assert list((program / ".text2ml" / "cache").rglob("*.json"))  # paid-for replies are kept
    assert len(scripted_llm.requests) == 3


def only_the_runaway_loop_is_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generation's limits hold for every contract test in it: the recipes' and the
    repaired module's too. Those get far more wall time than any machine needs, so only the
    runaway loop meets the few seconds of the generation's limit (the loop is what says it
    did not finish within them), however slow this machine is."""
    run = testing.run_module

    def timed(module: str, argv: list[str], *, cwd: Path, limits: Limits, **kwargs: Any) -> Any:
        request = json.loads(kwargs.get("stdin") or "{}")
        source = candidate_path(Path(cwd), request["slot"], request["candidate"]).read_text()
        if RUNAWAY_LOOP not in source:
            limits = replace(limits, wall_seconds=TEST_LIMITS.wall_seconds)
        return run(module, argv, cwd=cwd, limits=limits, **kwargs)

    monkeypatch.setattr(testing, "run_module", timed)


# Each case hits its own limit whatever the machine's speed: the loop can only time out (and
# nothing else is held to its 8 s), and the allocation has far more wall time than any
# machine needs to reach the memory limit.
@pytest.mark.parametrize("module, check, limits", [
    (HANGS, "timeout", Limits(wall_seconds=8, memory_mb=2048)),
    (EATS_MEMORY, "memory", Limits(wall_seconds=600, memory_mb=2048))], ids=["timeout", "memory"])
def test_runaway_modules_are_killed_and_the_run_goes_on(scripted_llm: ScriptedOpenAI,
                                                       task: Path, tmp_path: Path,
                                                       module: str, check: str,
                                                       limits: Limits,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if check == "timeout":
        only_the_runaway_loop_is_timed(monkeypatch)
    scripted_llm.fallback = FirstModelReply(fenced(module))
    opts = options(scripted_llm, tmp_path)
    opts.test_limits = limits
    result = generate_program(task, None, opts)
    entry = manifest(result.program_dir)["slots"]["model"]["candidates"]["c1"]
    assert entry["status"] == "passed" and entry["attempts"] == 2
    (repair,) = [r for r in scripted_llm.requests if is_repair(r)]
    content = repair["messages"][-1]["content"]
    assert ("did not finish within 8 s" if check == "timeout" else "ran out of memory") \
        in content
    assert result.ok


def test_cancel_halfway_keeps_the_previous_program(scripted_llm: ScriptedOpenAI, task: Path,
                                                  tmp_path: Path) -> None:
    good = generate_program(task, None, options(scripted_llm, tmp_path))
    before = {p: p.read_bytes() for p in good.program_dir.rglob("*.py")}
    shutil.rmtree(good.program_dir / ".text2ml" / "cache")
    cancel = threading.Event()

    def on_event(event: Any) -> None:
        if "model" in event.message:
            cancel.set()

    with pytest.raises(Cancelled):
        generate_program(task, None, options(scripted_llm, tmp_path), events=on_event,
                         cancel=cancel)
    assert {p: p.read_bytes() for p in good.program_dir.rglob("*.py")} == before
    assert not list(tmp_path.glob(".*staging*"))
