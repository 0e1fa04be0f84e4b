"""The `text2ml/programs` request: programs → slots → candidates with their state, recipe and
score, and the study's leaderboard (issue 16, candidates and trials in the editor)."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
from pytest_lsp import LanguageClient

from text2ml.server import programs_view
from text2ml.synthesis import layout

pytest_plugins = ["lsp_fixtures"]


def write_program(folder: Path) -> Path:
    program = folder / "wine"
    for slot, name in (("model", "c1"), ("model", "c2")):
        path = layout.candidate_path(program, slot, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("SEARCH_SPACE = {}\n")
    rejected = layout.rejected_path(program, "model", "c3")
    rejected.parent.mkdir(parents=True, exist_ok=True)
    rejected.write_text("broken\n")
    manifest = {"task": "Classify wine", "spec": {"metric": "accuracy"}, "slots": {"model": {
        "accepted": "c1", "candidates": {
            "c1": {"status": "passed", "origin": "recipe", "recipe": "tabular/model_hgb",
                   "score": 0.97, "failures": []},
            "c2": {"status": "passed", "origin": "llm", "recipe": "tabular/model_rf",
                   "score": 0.95, "failures": []},
            "c3": {"status": "failed", "origin": "llm", "recipe": None, "score": None,
                   "failures": [{"check": "runtime", "message": "ValueError"}]}}}}}
    layout.write_manifest(program, manifest)
    (program / layout.BEST_PARAMS).write_text(json.dumps(
        {"choice": {"model": "c2"}, "best_value": 0.973}))
    return program


def test_programs_slots_candidates_and_leaderboard(tmp_path: Path) -> None:
    program = write_program(tmp_path)
    study = optuna.create_study(study_name="text2ml-x", direction="maximize",
                                storage=f"sqlite:///{program / layout.STUDY_DB}")
    for value, choice in ((0.9, "c1"), (0.973, "c2")):
        trial = study.ask()
        trial.set_user_attr("choice", {"model": choice})
        study.tell(trial, value)
    (found,) = programs_view.find_programs(tmp_path)
    described = programs_view.describe_program(found)
    assert described["metric"] == "accuracy" and described["best"] == 0.973
    model = next(s for s in described["slots"] if s["slot"] == "model")
    by_name = {c["name"]: c for c in model["candidates"]}
    assert by_name["c1"]["status"] == "passed" and by_name["c1"]["accepted"]
    assert by_name["c2"]["best"] and by_name["c2"]["recipe"] == "tabular/model_rf"
    assert by_name["c3"]["status"] == "failed" and by_name["c3"]["check"] == "runtime"
    assert by_name["c3"]["uri"].endswith("/.text2ml/rejected/model/c3.py")
    assert described["leaderboard"][0]["candidates"] == "model c2"
    assert described["leaderboard"][0]["best"] == 0.973


async def test_the_request_over_lsp(vscode_client: LanguageClient, lsp_workspace: Path) -> None:
    write_program(lsp_workspace)
    reply = await vscode_client.protocol.send_request_async(programs_view.PROGRAMS_REQUEST, {})
    (program,) = reply["programs"] if isinstance(reply, dict) else reply.programs
    name = program["name"] if isinstance(program, dict) else program.name
    assert name == "wine"


def test_a_candidate_module_gets_its_state_as_a_lens(tmp_path: Path) -> None:
    from text2ml.server.code_lens import module_lens

    program = write_program(tmp_path)
    best = module_lens(layout.candidate_path(program, "model", "c2"))
    assert best is not None and best.command is not None
    assert best.command.title == ("passed · used by the best trial · score 0.950 · "
                                  "recipe tabular/model_rf")
    accepted = module_lens(layout.candidate_path(program, "model", "c1"))
    assert accepted is not None and accepted.command is not None
    assert accepted.command.title.startswith("passed · accepted · score 0.970")
    assert module_lens(program / "pipeline.py") is None


def test_the_leaderboard_never_creates_the_study_file_it_reads(tmp_path: Path) -> None:
    """A study file the optimizer has only just opened is empty: a reader that created the
    tables there too would make the optimizer's own creation fail."""
    study_db = tmp_path / layout.STUDY_DB
    study_db.parent.mkdir(parents=True)
    study_db.touch()
    assert programs_view.leaderboard(tmp_path) == []
    assert study_db.stat().st_size == 0
