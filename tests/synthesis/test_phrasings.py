"""The phrasing suite's fast part: its cases through the rules alone (no LLM). Nothing may be
invented: no bad case accepted, no good case run on other data than the one it names; every
bad case refused with a message naming what is missing.

Held-out cases are measured by bench/phrasings/run.py and reported in
bench/results/phrasings.md, never asserted here: a failing held-out case would have to be
read to be fixed, and then it would no longer be held out."""

from __future__ import annotations

from pathlib import Path

import pytest

from phrasings.run import judge, load_cases, run_case, summarize

ALL_CASES = load_cases()
CASES = [c for c in ALL_CASES if not c.held_out]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    work = Path(tmp_path_factory.mktemp("phrasings"))
    return {case.id: run_case(case, None, work) for case in CASES}


def test_the_suite_is_as_large_and_varied_as_promised() -> None:
    good = [c for c in ALL_CASES if not c.bad]
    bad = [c for c in ALL_CASES if c.bad]
    assert len(good) >= 40 and len(bad) >= 10
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)
    assert sum(c.held_out for c in ALL_CASES) >= len(ALL_CASES) // 5
    assert len({c.expected["data"] for c in good}) >= 12
    sources = {c.expected["data"].split(":")[1].split(".")[0] if c.expected["data"].startswith(
        "loader:") else c.expected["data"].split(":")[0] for c in good}
    assert len(sources) >= 6, sources  # five packages and the workspace's files


def test_nothing_is_invented(results: dict[str, dict]) -> None:
    summary = summarize(CASES, results)
    assert summary["invented"] == 0, [k for k, r in results.items()
                                      if r["outcome"] in ("accepted", "wrong-data")]


def test_every_bad_task_is_refused_naming_what_is_missing(results: dict[str, dict]) -> None:
    unclear = [(c.id, results[c.id].get("message")) for c in CASES
               if c.bad and results[c.id]["outcome"] != "refused"]
    assert not unclear


def test_most_good_tasks_are_understood_without_any_llm(results: dict[str, dict]) -> None:
    tuned = [c for c in CASES if not c.bad]
    understood = [c for c in tuned if results[c.id]["outcome"] == "understood"]
    assert len(understood) >= 0.9 * len(tuned), [
        (c.id, results[c.id]["outcome"]) for c in tuned if c not in understood]


def test_the_judge_counts_a_wrong_data_set_as_invented() -> None:
    good = next(c for c in CASES if not c.bad)
    wrong = {"data": "loader:sklearn.datasets.load_wine", "target": "x",
             "problem_type": "regression", "metric": "mae"}
    assert judge(good, wrong).startswith("wrong")
