"""The conditional space: a choice per slot, then only the chosen candidate's parameters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import optuna
import pytest

from text2ml.optimization.program_info import ProgramError, load_program
from text2ml.optimization.space import config_from_params, default_trial_params, suggest_config
from text2ml.synthesis.search_space import SearchSpaceError

from paths import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT / "programs"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def test_only_the_chosen_candidate_is_searched(tmp_path: Path) -> None:
    info = load_program(_copy("wine", tmp_path))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(20):
        trial = study.ask()
        choice, params = suggest_config(trial, info)
        seen.add(choice["model"])
        keys = set(trial.params)
        assert "choice/model" in keys
        assert "choice/features" not in keys and "choice/training" not in keys  # one candidate
        other = "c2" if choice["model"] == "c1" else "c1"
        assert not any(k.startswith(f"model/{other}/") for k in keys)
        assert "model/c1/max_iter" not in keys and "model/c2/random_state" not in keys  # consts
        assert set(params["model"]) == ({"C"} if choice["model"] == "c1"
                                        else {"n_estimators", "max_depth"})
        assert config_from_params(trial.params, info) == (choice, params)
        study.tell(trial, 0.5)
    assert seen == {"c1", "c2"}


def test_default_trial_is_the_untuned_program(tmp_path: Path) -> None:
    info = load_program(_copy("wine", tmp_path))
    flat = default_trial_params(info)
    assert flat == {"choice/model": "c1", "features/c1/scaler": "standard",
                    "model/c1/C": pytest.approx((1e-4 * 10.0) ** 0.5)}


def test_manifest_keeps_only_passing_candidates(tmp_path: Path) -> None:
    program = _copy("wine", tmp_path)
    (program / ".text2ml").mkdir()
    (program / ".text2ml" / "manifest.json").write_text(json.dumps({"slots": {"model": {
        "candidates": {"c1": {"status": "failed"}, "c2": {"status": "passed"}}}}}))
    info = load_program(program)
    assert list(info.candidates["model"]) == ["c2"]
    assert list(info.candidates["features"]) == ["c1"]  # no manifest entry: every file
    assert default_trial_params(info)["model/c2/n_estimators"] == 35


def test_malformed_space_fails_before_the_study(tmp_path: Path) -> None:
    program = _copy("wine", tmp_path)
    (program / "candidates" / "model" / "c2.py").write_text(
        "SEARCH_SPACE = {'depth': {'type': 'int', 'low': 9, 'high': 2}}\n")
    with pytest.raises(SearchSpaceError, match=r"model/c2\.py: SEARCH_SPACE\['depth'\]"):
        load_program(program)


def test_program_without_model_candidates_is_refused(tmp_path: Path) -> None:
    program = _copy("wine", tmp_path)
    shutil.rmtree(program / "candidates" / "model")
    with pytest.raises(ProgramError, match="no model candidate passed"):
        load_program(program)
