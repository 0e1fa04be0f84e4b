"""The recipe library: finished slot modules, by modality and slot, in the contract's shape.

A recipe is what an experienced practitioner writes first for a kind of data: a model family
with the search space people really use (log-scaled rates and regularisation, class weights,
sensible iteration ranges). Each LLM candidate of a slot is shown a *different* recipe as
its one-shot example, so the candidates span model families even when a small model copies;
with no LLM, the recipes themselves stand in as candidates.

Recipes are plain modules in the subpackages (`tabular/`, `text/`, `image/`,
`forecasting/`, `series/`, `common/`), linted and tested like the rest of the code; they are
read as text here, never imported by the server.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A metric that counts classes alike wants class weights on by default: the recipes list
# `[None, "balanced"]` and the choice is turned round for such metrics.
UNWEIGHTED_FIRST = '"choices": [None, "balanced"]'
WEIGHTED_FIRST = '"choices": ["balanced", None]'


@dataclass(frozen=True)
class Recipe:
    name: str  # "<folder>/<module>", e.g. "tabular/model_hgb_classifier"
    slot: str

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.py"

    def source(self, *, balanced: bool = False) -> str:
        code = self.path.read_text(encoding="utf-8")
        return code.replace(UNWEIGHTED_FIRST, WEIGHTED_FIRST) if balanced else code

    @property
    def summary(self) -> str:
        doc = ast.get_docstring(ast.parse(self.path.read_text(encoding="utf-8"))) or self.name
        return doc.strip().splitlines()[0]


def _r(slot: str, *names: str) -> tuple[Recipe, ...]:
    return tuple(Recipe(name, slot) for name in names)


_TRAINING = _r("training", "common/training_fit_once")
_LABELS = _r("postprocess", "common/postprocess_labels")
_CLIP = _r("postprocess", "common/postprocess_clip")

# (kind, family) → slot → recipes, the most generally useful first: with the default
# candidate counts the first two or three of a slot are the ones prompted.
LIBRARY: dict[tuple[str, str], dict[str, tuple[Recipe, ...]]] = {
    ("tabular", "classification"): {
        "features": _r("features", "tabular/features_onehot_scaled",
                       "tabular/features_ordinal_codes"),
        "model": _r("model", "tabular/model_hgb_classifier", "tabular/model_logistic",
                    "tabular/model_forest_classifier", "tabular/model_svc",
                    "tabular/model_knn_classifier"),
        "training": _TRAINING, "postprocess": _LABELS,
    },
    ("tabular", "regression"): {
        "features": _r("features", "tabular/features_onehot_scaled",
                       "tabular/features_ordinal_codes"),
        "model": _r("model", "tabular/model_hgb_regressor", "tabular/model_ridge",
                    "tabular/model_forest_regressor", "tabular/model_svr",
                    "tabular/model_knn_regressor"),
        "training": _TRAINING, "postprocess": _CLIP,
    },
    ("text", "classification"): {
        "features": _r("features", "text/features_tfidf_word_char", "text/features_tfidf_words"),
        "model": _r("model", "tabular/model_logistic", "text/model_linear_svc",
                    "text/model_complement_nb"),
        "training": _TRAINING, "postprocess": _LABELS,
    },
    ("text", "regression"): {
        "features": _r("features", "text/features_tfidf_word_char", "text/features_tfidf_words"),
        "model": _r("model", "tabular/model_ridge", "text/model_linear_svr"),
        "training": _TRAINING, "postprocess": _CLIP,
    },
    ("image", "classification"): {
        # the raw grid first: the network needs it, and the others do as well on it as on PCA
        "features": _r("features", "image/features_pixels_scaled", "image/features_pixels_pca"),
        "model": _r("model", "tabular/model_svc", "image/model_small_cnn",
                    "tabular/model_hgb_classifier", "tabular/model_logistic"),
        "training": _r("training", "image/training_epochs", "common/training_fit_once"),
        "postprocess": _LABELS,
    },
    ("image", "regression"): {
        "features": _r("features", "image/features_pixels_pca", "image/features_pixels_scaled"),
        "model": _r("model", "tabular/model_ridge", "tabular/model_hgb_regressor",
                    "tabular/model_svr"),
        "training": _TRAINING, "postprocess": _CLIP,
    },
    ("forecasting", "regression"): {
        "features": _r("features", "forecasting/features_level_free",
                       "forecasting/features_relative_lags"),
        "model": _r("model", "forecasting/model_level_free_ridge",
                    "forecasting/model_level_free_boosting", "forecasting/model_seasonal_naive"),
        "training": _TRAINING,
        "postprocess": _r("postprocess", "common/postprocess_identity"),
    },
    ("series", "classification"): {
        "features": _r("features", "series/features_random_kernels",
                       "series/features_summary_stats"),
        "model": _r("model", "series/model_ridge_classifier", "tabular/model_logistic",
                    "tabular/model_hgb_classifier", "tabular/model_forest_classifier"),
        "training": _TRAINING, "postprocess": _LABELS,
    },
    ("series", "regression"): {
        "features": _r("features", "series/features_summary_stats",
                       "series/features_random_kernels"),
        "model": _r("model", "tabular/model_ridge", "tabular/model_hgb_regressor",
                    "tabular/model_forest_regressor"),
        "training": _TRAINING, "postprocess": _CLIP,
    },
}


def recipe_kind(modality: str, problem_type: str) -> tuple[str, str]:
    """Which shelf of the library a task takes its recipes from."""
    if problem_type == "forecasting":
        return "forecasting", "regression"
    family = "classification" if problem_type == "classification" else "regression"
    kind = {"text": "text", "image": "image", "time_series": "series"}.get(modality, "tabular")
    return kind, family


def recipes_for(slot: str, modality: str, problem_type: str) -> tuple[Recipe, ...]:
    """The recipes of a slot for this kind of task, best first (never empty)."""
    return LIBRARY[recipe_kind(modality, problem_type)][slot]


def all_recipes() -> list[Recipe]:
    seen: dict[str, Recipe] = {}
    for shelf in LIBRARY.values():
        for recipes in shelf.values():
            for recipe in recipes:
                seen.setdefault(recipe.name, recipe)
    return list(seen.values())


def similarity(code: str, recipe_code: str) -> float:
    """How much of the recipe a candidate kept: 1.0 is a verbatim copy (difflib's ratio over
    lines, so a renamed variable counts as one changed line, not as noise in every char)."""
    matcher = difflib.SequenceMatcher(None, recipe_code.strip().splitlines(),
                                      code.strip().splitlines(), autojunk=False)
    return round(matcher.ratio(), 3)
