"""Plain slips of a small model are fixed without an LLM call, and every fix is recorded."""

from __future__ import annotations

from text2ml.synthesis.autofix import autofix
from text2ml.synthesis.contracts import CONTRACTS

FEATURES = CONTRACTS["features"]


def run(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<module>", "exec"), namespace)  # noqa: S102 - the fixed module must import
    return namespace


def test_name_imported_from_the_wrong_module_is_imported_from_its_own() -> None:
    code = ('"""Features."""\n'
            "from sklearn.pipeline import OneHotEncoder, make_pipeline\n"
            "from sklearn.compose import StandardScaler as Scale\n\n"
            "SEARCH_SPACE = {}\n\n\n"
            "def build_features(params: dict):\n"
            "    return make_pipeline(Scale(), OneHotEncoder())\n")
    fixed, notes = autofix(code, FEATURES)
    assert "from sklearn.pipeline import make_pipeline\n" in fixed
    assert "from sklearn.preprocessing import OneHotEncoder\n" in fixed
    assert "from sklearn.preprocessing import StandardScaler as Scale\n" in fixed
    assert notes == [
        "imported OneHotEncoder from sklearn.preprocessing instead of from sklearn.pipeline",
        "imported StandardScaler from sklearn.preprocessing instead of from sklearn.compose"]
    assert run(fixed)["build_features"]({}) is not None


def test_missing_import_is_added_and_right_imports_are_left_alone() -> None:
    code = ("from sklearn.pipeline import make_pipeline\n\n"
            "SEARCH_SPACE = {}\n\n\n"
            "def build_features(params: dict):\n"
            "    return make_pipeline(MinMaxScaler())\n")
    fixed, notes = autofix(code, FEATURES)
    assert notes == ["added the missing import: from sklearn.preprocessing import MinMaxScaler"]
    assert fixed.count("from sklearn.pipeline import make_pipeline") == 1
    assert run(fixed)["build_features"]({}) is not None


def test_unknown_names_and_broken_code_are_left_to_the_tests() -> None:
    wrong = "from sklearn.pipeline import NoSuchThing\n"
    assert autofix(wrong, FEATURES) == (wrong, [])
    broken = "def build_features(params:\n"
    assert autofix(broken, FEATURES) == (broken, [])
