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

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

CANDIDATES = {"features": 1, "model": 3, "training": 1, "postprocess": 1}


def test_candidates_span_recipes_and_the_program_faces_its_baseline(
        scripted_llm: ScriptedOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    settings = LLMSettings(base_url=scripted_llm.base_url, model="scripted", timeout=30,
                           max_retries=0)
    options = GenerateOptions(dict(CANDIDATES), repairs=0, llm=settings, out=tmp_path / "p",
                              test_limits=Limits(wall_seconds=60, memory_mb=3072))
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

    assert result.score["baseline"]["name"] == "majority class"
    assert result.score["beats_baseline"] is True
    assert manifest["result"]["score"]["baseline"] == result.score["baseline"]

    capsys.readouterr()
    assert cli(["test", str(result.program_dir)]) == 0
    out = capsys.readouterr().out
    assert "trivial baseline (majority class)" in out and "WARNING" not in out
