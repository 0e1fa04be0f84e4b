"""SEARCH_SPACE is read with ast (no code runs), leniently, and errors name the file and key."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from text2ml.synthesis.search_space import (
    Param,
    SearchSpaceError,
    default_value,
    parse_entry,
    parse_search_space,
    read_search_space,
)

from paths import ROOT

TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"


def test_reads_every_documented_form(tmp_path: Path) -> None:
    module = tmp_path / "c1.py"
    module.write_text(
        "import os\n"
        "os.environ['RAN'] = '1'\n"  # never executed: the file is only parsed
        "SEARCH_SPACE = {\n"
        "    'n_estimators': {'type': 'int', 'low': 50, 'high': 400},\n"
        "    'learning_rate': {'type': 'float', 'low': 1e-3, 'high': 0.3, 'log': True},\n"
        "    'scaler': {'type': 'categorical', 'choices': ['standard', 'minmax']},\n"
        "    'depth': (1, 10), 'frac': (0.1, 1.0), 'kernel': ['rbf', 'linear'],\n"
        "    'max_iter': 1000, 'name': 'x', 'pair': (1, 2, 3),\n"
        "}\n")
    space = read_search_space(module)
    assert space["n_estimators"] == Param("n_estimators", "int", 50, 400)
    assert space["learning_rate"].kind == "float" and space["learning_rate"].log
    assert space["scaler"].choices == ["standard", "minmax"]
    assert (space["depth"].kind, space["depth"].low, space["depth"].high) == ("int", 1, 10)
    assert space["frac"].kind == "float"
    assert space["kernel"].kind == "categorical"
    assert [space[k].kind for k in ("max_iter", "name", "pair")] == ["constant"] * 3
    assert space["pair"].value == (1, 2, 3)


def test_module_without_search_space_is_empty() -> None:
    assert parse_search_space("def build_model(params):\n    return None\n") == {}


@pytest.mark.parametrize(("spec", "words"), [
    ({"type": "int", "low": 5}, "needs 'low' and 'high'"),
    ({"type": "float", "low": 2.0, "high": 1.0}, "is above high"),
    ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, "log range needs low > 0"),
    ({"type": "int", "low": 0.5, "high": 3}, "whole bounds"),
    ({"type": "categorical", "choices": []}, "non-empty"),
    ({"type": "normal"}, "unknown type 'normal'"),
    ({"type": "int", "low": "a", "high": 3}, "must be numbers"),
    ([], "empty list"),
])
def test_malformed_entry_names_file_and_key(spec: object, words: str) -> None:
    with pytest.raises(SearchSpaceError) as info:
        parse_entry("candidates/model/c2.py", "alpha", spec)
    message = str(info.value)
    assert "candidates/model/c2.py" in message and "'alpha'" in message and words in message
    assert info.value.key == "alpha"


def test_non_literal_space_is_refused_without_running_it(tmp_path: Path) -> None:
    module = tmp_path / "c3.py"
    module.write_text("import math\nSEARCH_SPACE = {'alpha': math.pi}\n")
    with pytest.raises(SearchSpaceError, match=r"c3\.py: SEARCH_SPACE: must be a plain literal"):
        read_search_space(module)
    module.write_text("SEARCH_SPACE = [1, 2]\n")
    with pytest.raises(SearchSpaceError, match="must be a dict"):
        read_search_space(module)
    module.write_text("SEARCH_SPACE = {\n")
    with pytest.raises(SearchSpaceError, match="does not parse"):
        read_search_space(module)


def _template_module(tmp_path: Path):
    (tmp_path / "program.json").write_text(json.dumps({"metric": "accuracy", "choice": {}}))
    shutil.copy(TEMPLATE, tmp_path / "pipeline.py")
    spec = importlib.util.spec_from_file_location("pipeline_under_test", tmp_path / "pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_value_matches_the_pipeline_template(tmp_path: Path) -> None:
    pipeline = _template_module(tmp_path)
    specs = [
        {"type": "int", "low": 50, "high": 400},
        {"type": "int", "low": 1, "high": 1000, "log": True},
        {"type": "float", "low": 1e-3, "high": 0.3, "log": True},
        {"type": "float", "low": 0.0, "high": 1.0},
        {"type": "float", "low": 0.1, "high": 0.9, "default": 0.2},
        {"type": "categorical", "choices": ["b", "a"], "default": "a"},
        (1, 10), (2, 9), (0.1, 1.0), ["x", "y"], 1000, "gini", None,
    ]
    for spec in specs:
        param = parse_entry("c.py", "p", spec)
        ours, theirs = default_value(param), pipeline.default_value(spec)
        assert ours == theirs and type(ours) is type(theirs), spec
