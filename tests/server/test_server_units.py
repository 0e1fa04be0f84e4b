"""Pieces of the language server that need no client: settings, jobs, module paths."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from lsprotocol import types

from text2ml.server import engine
from text2ml.server.config import Settings, flatten, initialization_settings, parse_settings
from text2ml.server.jobs import Job, JobBusy, JobManager
from text2ml.server.messages import plain_words
from text2ml.server.workflows import generation_summary, optimization_summary, trial_message
from text2ml.synthesis.records import Cancelled, TaskError


def test_settings_from_nested_and_dotted_keys() -> None:
    raw = {**initialization_settings({"text2ml": {"llm": {"baseUrl": " http://x/v1 "}}}),
           **flatten({"optimize.trials": 12, "candidates": {"model": 3}, "repairs": 0})}
    settings, warnings = parse_settings(raw)
    assert warnings == []
    assert settings == Settings(llm_base_url="http://x/v1", optimize_trials=12,
                                candidates={"model": 3}, repairs=0)


@pytest.mark.parametrize("raw, fragment", [
    ({"optimize.trials": 0}, "optimize.trials"),
    ({"optimize.jobs": True}, "optimize.jobs"),
    ({"optimize.timeout": "soon"}, "optimize.timeout"),
    ({"candidates.data": 2}, "candidates.data"),
    ({"llm.apiKey": "secret-value"}, "unknown setting text2ml.llm.apiKey"),
])
def test_bad_settings_are_ignored_with_a_warning(raw: dict, fragment: str) -> None:
    settings, (warning,) = parse_settings(raw)
    assert fragment in warning
    assert settings == Settings()


def test_an_api_key_setting_is_never_kept_nor_echoed() -> None:
    settings, (warning,) = parse_settings({"llm.apiKey": "sk-secret"})
    assert "sk-secret" not in str(settings.public())
    assert "apiKey" in warning


def test_zero_timeout_means_no_limit() -> None:
    assert parse_settings({"optimize.timeout": 0})[0].optimize_timeout is None


def test_one_job_per_program_and_cancel() -> None:
    jobs = JobManager(max_workers=2)
    started, finished = threading.Event(), []
    jobs.on_finished(finished.append)

    def work(job: Job) -> str:
        started.set()
        job.cancel.wait(10)
        return "stopped"

    job = jobs.start("/p", "optimize", "optimization", work)
    started.wait(5)
    with pytest.raises(JobBusy, match="already running for /p"):
        jobs.start("/p", "generate", "generation", work)
    other = jobs.start("/q", "test", "tests", lambda j: "done")
    assert other.future.result(5) == "done"
    jobs.cancel(job)
    assert job.future.result(5) == "stopped"
    assert jobs.all() == [] and {j.id for j in finished} == {job.id, other.id}
    jobs.shutdown()
    with pytest.raises(RuntimeError):
        jobs.start("/p", "generate", "generation", work)
    assert jobs.all() == []


def test_module_of_recognises_generated_modules(tmp_path: Path) -> None:
    module = tmp_path / "prog" / "candidates" / "model" / "c2.py"
    module.parent.mkdir(parents=True)
    module.write_text("")
    assert engine.module_of(module) is None  # not a program yet
    (tmp_path / "prog" / "program.json").write_text("{}")
    assert engine.module_of(module) == engine.ModuleRef(tmp_path / "prog", "model", "c2")
    data = tmp_path / "prog" / "candidates" / "data" / "c1.py"
    data.parent.mkdir(parents=True)
    data.write_text("")
    assert engine.module_of(data) is None  # the data slot is rendered, not generated


def test_outcome_messages_speak_plainly(tmp_path: Path) -> None:
    ok = SimpleNamespace(ok=True, program_dir=tmp_path, failures=[],
                         score={"metric": "accuracy", "score": 0.9612})
    text, kind = generation_summary(ok)
    assert text == f"text2ml: tested program written to {tmp_path}; validation accuracy 0.961."
    assert kind == types.MessageType.Info
    failed = SimpleNamespace(ok=False, program_dir=tmp_path, failures=[1, 2],
                             score={"error": "pipeline.py exited with code 1"})
    text, kind = generation_summary(failed)
    assert "2 failing check(s)" in text and "pipeline.py exited" in text
    assert kind == types.MessageType.Warning
    trial = SimpleNamespace(trial=12, n_trials=50, best_value=0.9671, remaining=None)
    assert trial_message(trial) == "trial 12/50 · best 0.967"
    stopped = SimpleNamespace(best_value=0.97, n_trials=12, test_score=None,
                              report_path=tmp_path / "report.md")
    assert "stopped early, finished trials kept" in optimization_summary(stopped, True)


def test_exceptions_become_plain_words() -> None:
    text, kind = plain_words(TaskError("No data source named.", hint="Name a CSV file."),
                             "generating the program")
    assert text == ("text2ml: generating the program failed: No data source named.\n"
                    "Name a CSV file.")
    assert kind == types.MessageType.Error
    assert plain_words(Cancelled(), "optimizing")[1] == types.MessageType.Info
    text, _ = plain_words(KeyError("x"), "testing")
    assert "unexpectedly (KeyError" in text and "output channel" in text


def test_settings_are_logged_once_per_change() -> None:
    """Issue 16, item 6: initializationOptions and workspace/configuration carry the same
    values at start; the output shows them once, and again only when they change."""
    from text2ml.server.app import apply_settings
    from text2ml.server.base import Text2MLServer

    server = Text2MLServer()
    logged: list[str] = []
    warned: list[str] = []
    server.log = lambda text, *rest: logged.append(text)  # type: ignore[method-assign]
    server.show_message = lambda text, *rest: warned.append(text)  # type: ignore[method-assign]
    raw = {"llm.model": "m", "optimize.jobs": "two"}
    apply_settings(server, raw)
    apply_settings(server, dict(raw))
    assert [t for t in logged if t.startswith("text2ml settings")] == [logged[0]]
    assert len(warned) == 1 and "optimize.jobs" in warned[0]
    apply_settings(server, {**raw, "llm.model": "other"})
    assert len([t for t in logged if t.startswith("text2ml settings")]) == 2
    assert server.settings.llm_model == "other"


def test_progress_has_a_message_from_the_start_and_never_goes_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16, item 5: the notification says what runs before the first step reports, and
    its percentage only grows even when a later stage reports a smaller fraction."""
    from text2ml.server import progress

    sent: list = []

    class Client:
        work_done_progress = SimpleNamespace(tokens={})
        progress_cancels: dict = {}
        progress = window_work_done_progress_create_async = None

        def client_supports(self, feature: str) -> bool:
            return True

        def ask_client(self, make_request: object) -> None:
            return None

        def on_loop(self, fn: object, params: types.ProgressParams) -> None:
            sent.append(params.value)

    monkeypatch.setattr(progress, "MIN_REPORT_INTERVAL", 0.0)
    with progress.report_progress(Client(), "text2ml: generate ML program",  # type: ignore[arg-type]
                                  cancel=threading.Event(), message="reading the task") as p:
        p.report("data: candidate 1/1", 2)
        p.report("features: candidate 1/1", 0)
    begin, *reports, end = sent
    assert begin.message == "reading the task" and begin.percentage == 0
    assert [r.percentage for r in reports] == [2, 2]
    assert end.kind == "end"


def test_cli_progress_never_goes_back(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16, item 5 on the command line: 'understanding the task' at 2% is not followed
    by 0% when the first slot starts."""
    from text2ml.server.cli import printer
    from text2ml.synthesis.records import ProgressEvent

    show = printer(SimpleNamespace(json=False))
    for fraction in (0.02, 0.0, 0.25):
        show(ProgressEvent("x", "step", fraction))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("]")[0] for line in lines] == ["[  2%", "[  2%", "[ 25%"]
