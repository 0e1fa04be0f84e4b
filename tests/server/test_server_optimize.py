"""Optimize a ready-made program through the server: progress per trial, cancel midway, the
finished trials kept. No LLM involved (the program is a test fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import optuna
import pytest
from lsprotocol import types
from optuna.trial import TrialState
from pytest_lsp import LanguageClient

from text2ml.optimization.storage import read_only_url

from lsp_fixtures import command, ended_tokens, wait_until
from paths import ROOT

pytest_plugins = ["lsp_fixtures"]

FIXTURE = ROOT / "tests" / "fixtures" / "programs" / "wine"
TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"


@pytest.fixture
def lsp_options() -> dict[str, Any]:
    return {"text2ml": {"optimize": {"trials": 200, "jobs": 1}}}


@pytest.fixture
def program(lsp_workspace: Path) -> Path:
    folder = Path(shutil.copytree(FIXTURE, lsp_workspace / "wine"))
    shutil.copy(TEMPLATE, folder / "pipeline.py")
    return folder


def trial_tokens(client: LanguageClient, at_least: int) -> list[types.ProgressToken]:
    """Progress tokens whose reports say `at_least` trials have finished."""
    return [token for token, values in client.progress_reports.items()
            if any(isinstance(v, types.WorkDoneProgressReport) and v.message
                   and v.message.startswith("trial ")
                   and int(v.message.split()[1].split("/")[0]) >= at_least for v in values)]


def complete_trials(program: Path) -> int:
    storage = read_only_url(program)  # never racing the optimizer to create the tables
    (summary,) = optuna.get_all_study_summaries(storage)
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    return sum(t.state == TrialState.COMPLETE for t in study.trials)


async def test_optimize_reports_trials_and_stops_on_progress_cancel(
        vscode_client: LanguageClient, program: Path) -> None:
    started = await command(vscode_client, "text2ml.optimize", str(program))
    assert started["started"]
    again = await command(vscode_client, "text2ml.optimize", str(program))
    assert not again["started"] and "already running" in again["message"]
    (token,) = await wait_until(lambda: trial_tokens(vscode_client, 2), timeout=300,
                                what="two finished trials")
    begin = vscode_client.progress_reports[token][0]
    assert begin.title == "text2ml: optimize" and begin.cancellable
    vscode_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
    await wait_until(lambda: token in ended_tokens(vscode_client), timeout=180,
                     what="the optimization to stop")
    assert vscode_client.progress_reports[token][-1].message.startswith("stopped · best ")
    outcome = await wait_until(
        lambda: [m.message for m in vscode_client.messages if "finished trials kept" in m.message],
        what="the outcome message")
    assert "best validation accuracy" in outcome[0]
    assert 2 <= complete_trials(program) < 200
    assert vscode_client.code_lens_refreshes >= 1
    assert "cancelled" in (program / ".text2ml" / "report.md").read_text()
    state = await command(vscode_client, "text2ml.test.state")
    assert state["jobs"] == [] and "torch" not in state["loaded"]


async def test_cancel_command_stops_an_optimization(minimal_client: LanguageClient,
                                                    program: Path) -> None:
    # the minimal client shows no progress: the outcome arrives as a message
    started = await command(minimal_client, "text2ml.optimize", str(program))
    await wait_until(lambda: complete_trials_or_zero(program) >= 1, timeout=300,
                     what="a finished trial")
    assert await command(minimal_client, "text2ml.cancel", str(program)) == {
        "cancelled": [started["job"]]}
    await wait_until(lambda: any("finished trials kept" in m.message
                                 for m in minimal_client.messages), timeout=180,
                     what="the outcome message")
    assert minimal_client.progress_reports == {}


def complete_trials_or_zero(program: Path) -> int:
    if not (program / ".text2ml" / "study.db").is_file():
        return 0
    try:
        return complete_trials(program)
    except Exception:  # the optimizer may be creating the database right now: ask again
        return 0
