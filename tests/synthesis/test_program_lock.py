"""One job per program folder, and what a later generate leaves behind still fits
(issue 15, items 3 and 9)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from text2ml.optimization.study import optimize_program
from text2ml.optimization.types import OptimizeOptions
from text2ml.synthesis.generate import GenerateOptions, generate_program, run_pipeline
from text2ml.synthesis.generate import test_program as run_contract_tests
from text2ml.synthesis.layout import lock_path, staging_dir
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.program_lock import ProgramBusy, holding
from text2ml.synthesis.sandbox.limits import Limits

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

ONE_EACH = {"features": 1, "model": 1, "training": 1, "postprocess": 1}
# Another process holds the lock until its stdin closes, as a running `text2ml optimize` would.
HOLDER = ("import sys\nfrom pathlib import Path\n"
          "from text2ml.synthesis.program_lock import holding\n"
          "with holding(Path(sys.argv[1]), 'optimizing'):\n"
          "    print('held', flush=True)\n    sys.stdin.read()\n")


@pytest.fixture
def task(tmp_path: Path) -> Path:
    target = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", target)
    return target


def options(server: ScriptedOpenAI, tmp_path: Path) -> GenerateOptions:
    settings = LLMSettings(base_url=server.base_url, model="scripted", timeout=30, max_retries=0)
    return GenerateOptions(dict(ONE_EACH), repairs=1, llm=settings, out=tmp_path / "program",
                           test_limits=Limits(wall_seconds=120, memory_mb=3072))


def test_every_job_refuses_a_program_another_process_works_on(
        scripted_llm: ScriptedOpenAI, task: Path, tmp_path: Path) -> None:
    program = tmp_path / "program"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(program)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ProgramBusy, match=r"optimizing \(process \d+\)"):
            generate_program(task, None, options(scripted_llm, tmp_path))
        with pytest.raises(ProgramBusy):
            run_contract_tests(program)
        with pytest.raises(ProgramBusy):
            optimize_program(program, OptimizeOptions(trials=1))
        assert scripted_llm.requests == []  # refused before any LLM call
    finally:
        holder.communicate("")
    with holding(program, "testing"):  # free again once the other job ended
        with holding(program, "testing"):  # and the same thread may nest
            pass


def test_a_second_thread_is_refused_too(tmp_path: Path) -> None:
    program = tmp_path / "program"
    refused: list[BaseException] = []

    def other() -> None:
        try:
            with holding(program, "generating"):
                pass
        except ProgramBusy as exc:
            refused.append(exc)

    with holding(program, "generating"):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert refused and "generating" in str(refused[0])
    assert lock_path(program.resolve()).parent == tmp_path


def test_each_generate_stages_in_a_folder_of_its_own(tmp_path: Path) -> None:
    program = tmp_path / "program"
    first, second = staging_dir(program), staging_dir(program)
    assert first != second and first.is_dir() and second.is_dir()
    assert tmp_path not in first.parents  # out of the user's folder


def test_a_best_params_file_naming_gone_candidates_is_ignored_with_a_message(
        scripted_llm: ScriptedOpenAI, task: Path, tmp_path: Path) -> None:
    result = generate_program(task, None, options(scripted_llm, tmp_path))
    assert result.ok
    stale = {"choice": {"model": "c7", "features": "c1"}, "params": {"model": {"C": 3.0}}}
    (result.program_dir / "best_params.json").write_text(json.dumps(stale))
    line = run_pipeline(result.program_dir)
    assert "score" in line, line  # pipeline.py still runs, on the program's own choice
    again = generate_program(task, None, options(scripted_llm, tmp_path))
    assert again.ok and again.score and "score" in again.score
