"""The greedy ensemble at the end of a study: chosen on validation predictions, kept only
where it beats the best single program, refit and scored on test, run by pipeline.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import optuna
from sklearn.metrics import accuracy_score, mean_squared_error

from text2ml.optimization.ensemble import build_ensemble
from text2ml.optimization.ensemble_selection import greedy_selection, why_not_kept
from text2ml.optimization.program_info import load_program
from text2ml.optimization.storage import open_storage
from text2ml.optimization.study import OptimizeOptions, open_study, optimize_program

from paths import FIXTURES, ROOT

TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def accuracy_of(y_true: np.ndarray):
    return lambda average: accuracy_score(y_true, np.argmax(average, axis=1))


def test_two_complementary_members_beat_each_and_are_kept() -> None:
    y = np.array([0, 0, 1, 1])
    # each is wrong on one row, unsure there, and sure where the other is wrong
    a = np.array([[.9, .1], [.9, .1], [.1, .9], [.6, .4]])
    b = np.array([[.4, .6], [.9, .1], [.1, .9], [.1, .9]])
    worse = np.array([[.05, .95], [.05, .95], [.95, .05], [.95, .05]])  # wrong on all
    chosen = greedy_selection([a, worse, b], accuracy_of(y), maximize=True)
    assert chosen.singles == [0.75, 0.0, 0.75] and chosen.score == 1.0
    assert chosen.counts == [1, 0, 1] and chosen.weights == [0.5, 0.0, 0.5]
    assert chosen.history[:2] == [0.75, 1.0]
    assert why_not_kept(chosen, maximize=True) is None


def test_opposite_errors_average_out_when_the_metric_is_minimized() -> None:
    y = np.zeros(5)
    rmse = lambda average: float(np.sqrt(mean_squared_error(y, average)))  # noqa: E731
    chosen = greedy_selection([y + 1.0, y - 1.5, y + 3.0], rmse, maximize=False)
    assert chosen.score < 0.2 < 1.0 == min(chosen.singles)
    assert chosen.counts[2] == 0 and why_not_kept(chosen, maximize=False) is None


def test_no_mix_beats_the_best_single_so_none_is_kept() -> None:
    y = np.array([0, 0, 1, 1])
    right = np.array([[.9, .1], [.8, .2], [.2, .8], [.1, .9]])
    half = np.array([[.1, .9], [.9, .1], [.9, .1], [.1, .9]])
    chosen = greedy_selection([right, half, right.copy()], accuracy_of(y), maximize=True)
    assert chosen.counts == [1, 0, 0] and chosen.score == 1.0
    assert "no mix of members beat the best single program" in why_not_kept(chosen, True)
    # two copies of the same program gain nothing: kept as one, not as an ensemble
    same = greedy_selection([half, half.copy()], accuracy_of(y), maximize=True)
    assert same.counts == [1, 0] and why_not_kept(same, True) is not None


def run_pipeline(program: Path, *args: str) -> tuple[dict, str]:
    out = subprocess.run([sys.executable, "pipeline.py", *args], cwd=program, env=ENV,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def optimized_halves(tmp_path: Path) -> tuple[Path, str, object]:
    """The halves program (each features candidate sees half the wine analysis; model c2
    has no probabilities) after a study of exactly its three queued trials."""
    program = Path(shutil.copytree(FIXTURES / "programs" / "halves", tmp_path / "halves"))
    shutil.copy(TEMPLATE, program / "pipeline.py")
    shutil.copy(FIXTURES / "programs" / "wine" / "data.py", program / "data.py")  # same table
    # a journal storage keeps queued trials (the default one's copy takes finished ones)
    storage = f"journal:///{tmp_path / 'journal.log'}"
    study = open_study(load_program(program), OptimizeOptions(storage=storage))
    for features, model in (("c1", "c1"), ("c2", "c1"), ("c2", "c2")):
        study.enqueue_trial({"choice/features": features, "choice/model": model,
                             **({"model/c1/C": 1.0} if model == "c1" else {})})
    result = optimize_program(program, OptimizeOptions(trials=3, storage=storage,
                                                       memory_mb=2048))
    return program, storage, result


def test_the_ensemble_of_two_halves_is_kept_refit_and_run_standalone(tmp_path: Path) -> None:
    program, storage, result = optimized_halves(tmp_path)
    ensemble = result.ensemble
    assert result.n_complete == 3 and ensemble["kept"], ensemble["note"]
    assert ensemble["valid_score"] > ensemble["single_valid_score"] >= result.best_value - 0.02
    assert len(ensemble["dropped"]) == 1 and "no probabilities here" in ensemble["dropped"][0]
    saved = json.loads((program / "best_params.json").read_text())
    members = saved["ensemble"]["members"]
    assert sorted(m["choice"]["features"] for m in members) == ["c1", "c2"]
    assert all(m["choice"]["model"] == "c1" for m in members)
    assert abs(sum(m["weight"] for m in members) - 1.0) < 1e-9
    assert result.test_score == saved["test_score"] == saved["ensemble"]["test_score"]

    ran, _ = run_pipeline(program, "--final")
    assert ran["score"] == result.test_score and len(ran["ensemble"]) == 2
    assert ran["choice"] == saved["choice"]  # the best single program's, as before
    assert run_pipeline(program)[0]["split"] == "valid"

    report = result.report_path.read_text()
    single = saved["ensemble"]["single_test_score"]
    assert f"validation accuracy **{ensemble['valid_score']:.4f}** against " \
           f"{ensemble['single_valid_score']:.4f} for the best single program" in report
    assert f"Kept: test accuracy **{result.test_score:.4f}** against {single:.4f}" in report
    assert "- dropped trial 2: RuntimeError: no probabilities here" in report

    # a cancel during the ensemble stops it before anything is fitted
    study = optuna.load_study(study_name=load_program(program).study_name,
                              storage=open_storage(program, storage))
    stopped = threading.Event()
    stopped.set()
    cancelled = build_ensemble(load_program(program), study,
                               OptimizeOptions(storage=storage, memory_mb=2048), stopped)
    assert not cancelled["kept"] and cancelled["note"] == "not built: the run was cancelled"

    # a later generate replaced a member's candidate: the ensemble is ignored, with a message
    unused = {"c1", "c2"} - {saved["choice"]["features"]}
    (program / "candidates" / "features" / f"{unused.pop()}.py").unlink()
    ran, stderr = run_pipeline(program, "--final")
    assert "best_params.json's ensemble is ignored" in stderr and "ensemble" not in ran
    assert ran["score"] == single

