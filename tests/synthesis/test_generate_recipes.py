"""Generation shows each candidate a different recipe and records it; the finished program
is scored beside its trivial baseline (scripted LLM on loopback, real sandboxed tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from text2ml.server.cli import main as cli
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.recipes import recipes_for
from text2ml.synthesis.sandbox.limits import Limits
from text2ml.synthesis.slot_loop import TASK_FEATURES

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

CANDIDATES = {"features": 2, "model": 3, "training": 1, "postprocess": 1}


def test_candidates_span_recipes_and_the_program_faces_its_baseline(
        scripted_llm: ScriptedOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    settings = LLMSettings(base_url=scripted_llm.base_url, model="scripted", timeout=30,
                           max_retries=0)
    options = GenerateOptions(dict(CANDIDATES), repairs=0, llm=settings, out=tmp_path / "p",
                              test_limits=Limits(wall_seconds=600, memory_mb=3072))
    result = generate_program(task, None, options)
    assert result.ok
    manifest = json.loads((result.program_dir / ".text2ml" / "manifest.json").read_text())
    model = manifest["slots"]["model"]["candidates"]
    expected = [r.name for r in recipes_for("model", "tabular", "classification")[:3]]
    assert [model[c]["recipe"] for c in ("c1", "c2", "c3")] == expected
    # the scripted model copies its example: every candidate is its recipe verbatim
    assert all(model[c]["recipe_similarity"] == 1.0 for c in model)
    prompts = [r["messages"][-1]["content"] for r in scripted_llm.requests
               if "# Write the model module" in r["messages"][-1]["content"]]
    assert len({p.split("Recipe `")[1].split("`")[0] for p in prompts}) == 3
    features = [r["messages"][-1]["content"] for r in scripted_llm.requests
                if "# Write the features module" in r["messages"][-1]["content"]]
    # candidates are written in parallel, so the requests arrive in any order
    assert sorted(TASK_FEATURES in p for p in features) == [False, True]

    assert result.score["baseline"]["name"] == "majority class"
    assert result.score["beats_baseline"] is True
    assert manifest["result"]["score"]["baseline"] == result.score["baseline"]

    capsys.readouterr()
    assert cli(["test", str(result.program_dir)]) == 0
    out = capsys.readouterr().out
    assert "trivial baseline (majority class)" in out and "WARNING" not in out


def test_recipes_only_writes_a_tested_program_with_no_llm(tmp_path: Path) -> None:
    """Every recipe of each slot is a candidate; no endpoint is configured or asked."""
    task = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    unreachable = LLMSettings(base_url="http://127.0.0.1:9/v1", model="none", timeout=1,
                              max_retries=0)
    options = GenerateOptions(repairs=0, llm=unreachable, out=tmp_path / "p",
                              test_limits=Limits(wall_seconds=600, memory_mb=3072),
                              recipes_only=True)
    result = generate_program(task, None, options)
    assert result.ok and result.stats["llm_calls"] == 0
    manifest = json.loads((result.program_dir / ".text2ml" / "manifest.json").read_text())
    model = manifest["slots"]["model"]["candidates"]
    assert [c["recipe"] for c in model.values()] == [
        r.name for r in recipes_for("model", "tabular", "classification")]
    assert all(c["origin"] == "recipe" and c["status"] == "passed" for c in model.values())
    assert manifest["llm_model"] == "recipes only" and result.score["beats_baseline"]

