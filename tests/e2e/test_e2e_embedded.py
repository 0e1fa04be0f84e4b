"""End to end with the real embedded model: task file → tested program → metric printed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import EXAMPLES

pytestmark = pytest.mark.slow


def text2ml(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "text2ml.server.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=7200)  # a hang guard


# One LLM candidate per slot but the model (two): every slot is still written by the real
# model, in half the calls of the defaults, so the test holds on a loaded 2-core machine.
FEWER = ("--candidates", "features=1,model=2,training=1,postprocess=1", "--repairs", "2")


def test_generate_wine_program_with_embedded_model(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "wine_cultivar.py", tmp_path / "task.py")
    result = text2ml("generate", "task.py", "--out", "wine", "--json", *FEWER, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ok"] and summary["stats"]["llm_calls"] >= 5
    program = tmp_path / "wine"
    tested = text2ml("test", str(program), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    run = subprocess.run([sys.executable, "pipeline.py"], cwd=program, capture_output=True,
                         text=True, timeout=600)
    metric = json.loads(run.stdout.strip().splitlines()[-1])
    assert metric["metric"] == "accuracy" and 0.5 < metric["score"] <= 1.0
    own_tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests"], cwd=program,
                               capture_output=True, text=True, timeout=600)
    assert own_tests.returncode == 0, own_tests.stdout
    again = text2ml("generate", "task.py", "--out", "wine", "--json", *FEWER, cwd=tmp_path)
    stats = json.loads(again.stdout.strip().splitlines()[-1])["stats"]
    # every reply that was used comes from the cache; one that could not be (cut off by
    # max_tokens, empty, unparsable) is not cached, so the re-run asks for it again
    assert stats["cached_calls"] >= 3 and stats["llm_calls"] < summary["stats"]["llm_calls"]
