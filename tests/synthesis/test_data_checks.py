"""Data that cannot make a program is refused right after loading, with the numbers, before
any LLM call (issue 15, item 8: a 1-row CSV cost 17 calls; 5 rows of one class gave
"tested program written, accuracy 1.0")."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.data_checks import check_data
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.llm.settings import LLMSettings
from text2ml.synthesis.records import TaskError

from scripted_openai import ScriptedOpenAI

TASK = "# TASK: classify the kind of each row from its size.\n# Data: table.csv\n# Target: kind\n"


def rows(n: int, kind: str = "a{i}") -> str:
    return "size,kind\n" + "".join(f"{i},{kind.format(i=i % 2)}\n" for i in range(n))


@pytest.mark.parametrize("table, says", [
    (rows(1), "The data has 1 row;"),
    (rows(5, "same"), "The data has 5 rows;"),
    ("size,kind\n" + "".join(f"{i},\n" for i in range(40)), "has no values: all 40 rows"),
    (rows(40, "same"), "a single class (same) in all 40 rows"),
], ids=["one-row", "five-rows-one-class", "all-nan-target", "one-class"])
def test_unusable_data_is_refused_before_any_llm_call(
        scripted_llm: ScriptedOpenAI, tmp_path: Path, table: str, says: str) -> None:
    (tmp_path / "table.csv").write_text(table)
    (tmp_path / "task.py").write_text(TASK)
    settings = LLMSettings(base_url=scripted_llm.base_url, model="scripted", max_retries=0)
    with pytest.raises(TaskError, match=says.replace("(", r"\(").replace(")", r"\)")):
        generate_program(tmp_path / "task.py", None,
                         GenerateOptions({"model": 1}, 0, settings, tmp_path / "program"))
    assert scripted_llm.requests == []
    assert not (tmp_path / "program").exists()


def test_enough_data_passes() -> None:
    check_data(100, "kind", {"missing": 3, "unique": 2}, "classification")
    check_data(100, "kind", None, "classification")  # a target beyond the profiled columns
    with pytest.raises(TaskError, match="only 10 of 100 rows"):
        check_data(100, "price", {"missing": 90, "unique": 10}, "regression")
    with pytest.raises(TaskError, match="a single value"):
        check_data(100, "price", {"missing": 0, "unique": 1, "example": 3.5}, "regression")
