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
# Bounds only a broken server reaches: a worker that starts and runs two trials takes a few
# seconds here, many times that on a busy machine; every wait ends once its condition holds.
SLOW = 1200.0
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
    (token,) = await wait_until(lambda: trial_tokens(vscode_client, 2), timeout=SLOW,
                                what="two finished trials")
    begin = vscode_client.progress_reports[token][0]
    assert begin.title == "text2ml: optimize" and begin.cancellable
    vscode_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
    await wait_until(lambda: token in ended_tokens(vscode_client), timeout=SLOW,
                     what="the optimization to stop")
    assert vscode_client.progress_reports[token][-1].message.startswith("stopped · best ")
    outcome = await wait_until(
        lambda: [m.message for m in vscode_client.messages if "finished trials kept" in m.message],
        what="the outcome message")
    assert "best validation accuracy" in outcome[0]
    assert 2 <= complete_trials(program) < 200
    assert vscode_client.code_lens_refreshes >= 1
    assert "cancelled" in (program / ".text2ml" / "report.md").read_text()
    # the outcome message comes before the job's thread lets go of the job: waited for
    state = await wait_until(lambda: no_job_left(vscode_client), what="the job to be let go")
    assert "torch" not in state["loaded"]


async def no_job_left(client: LanguageClient) -> dict | None:
    state = await command(client, "text2ml.test.state")
    return state if state["jobs"] == [] else None


async def test_cancel_command_stops_an_optimization(minimal_client: LanguageClient,
                                                    program: Path) -> None:
    # the minimal client shows no progress: the outcome arrives as a message
    started = await command(minimal_client, "text2ml.optimize", str(program))
    await wait_until(lambda: complete_trials_or_zero(program) >= 1, timeout=SLOW,
                     what="a finished trial")
    assert await command(minimal_client, "text2ml.cancel", str(program)) == {
        "cancelled": [started["job"]]}
    await wait_until(lambda: any("finished trials kept" in m.message
                                 for m in minimal_client.messages), timeout=SLOW,
                     what="the outcome message")
    assert minimal_client.progress_reports == {}


def complete_trials_or_zero(program: Path) -> int:
    if not (program / ".text2ml" / "study.db").is_file():
        return 0
    try:
        return complete_trials(program)
    except Exception:  # the optimizer may be creating the database right now: ask again
        return 0
