"""The bodies of long jobs: generate, optimize, regenerate a module. Each runs on a job thread,
reports work-done progress, publishes diagnostics and tells the user the outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from text2ml.server import engine
from text2ml.server.base import Text2MLServer
from text2ml.server.diagnostics import (
    publish_baseline_warning,
    publish_failures,
    publish_task_error,
)
from text2ml.server.jobs import Job
from text2ml.server.messages import report_failure
from text2ml.server.progress import ProgressHandle, report_progress
from text2ml.server.targets import BlockTarget
from text2ml.synthesis.records import ProgressEvent, TaskError
from text2ml.synthesis.sandbox.box import missing_layers

Work = Callable[[Job], None]


def warn_about_the_box(server: Text2MLServer) -> None:
    """Every job that runs generated code says so when this machine cannot box it."""
    for warning in missing_layers():
        server.show_message(f"text2ml: {warning}", types.MessageType.Warning)


def forward_events(progress: ProgressHandle) -> Callable[[ProgressEvent], None]:
    return lambda event: progress.report(event.message, event.fraction * 100)


# A generate that has published its recipe program lets these jobs use it meanwhile.
WHILE_THE_LLM_WRITES = frozenset({"optimize", "test"})


class EarlyProgram:
    """A generation's events about the program on disk while the LLM writes: the recipe
    program is out (open pipeline.py, let Test and Optimize in), a candidate joined (the
    lens counts it). Progress events go on to the progress bar."""

    def __init__(self, server: Text2MLServer, job: Job, progress: ProgressHandle) -> None:
        self.server, self.job, self.progress = server, job, progress
        self.opened = False

    def __call__(self, event: ProgressEvent) -> None:
        self.progress.report(event.message, event.fraction * 100,
                             milestone=event.stage == "program")
        where = event.details.get("program_dir")
        if event.stage not in ("program", "joined") or not where:
            return
        program_dir = Path(where)
        if event.stage == "program" and self.opened:  # the writing stopped before its end
            self.server.show_message(f"text2ml: {event.message}.")
        elif event.stage == "program" and not self.job.cancel.is_set():
            self.published(program_dir)
        publish_failures(self.server, program_dir, [], engine.slot_modules(program_dir))
        self.server.refresh_code_lenses()

    def published(self, program_dir: Path) -> None:
        self.opened = True
        self.job.lets_run = WHILE_THE_LLM_WRITES
        self.server.show_message(
            f"text2ml: a tested program from the recipe library is ready in {program_dir}: "
            "run pipeline.py or optimize it now; the LLM's candidates join it as they pass.")
        show_file(self.server, engine.entry_file(program_dir))


def show_file(server: Text2MLServer, path: Path) -> None:
    """Open a file in the editor, or name it when the client cannot open documents."""
    if server.client_supports("window.show_document.support"):
        params = types.ShowDocumentParams(uri=from_fs_path(str(path)), take_focus=True)
        server.on_loop(server.window_show_document, params)
    else:
        server.show_message(f"text2ml: open {path}")


def generation_summary(result: Any) -> tuple[str, types.MessageType]:
    score = result.score or {}
    if result.ok:
        text = f"text2ml: tested program written to {result.program_dir}"
        if "score" in score:
            text += f"; validation {score.get('metric', 'score')} {score['score']:.3f}"
        return text + ".", types.MessageType.Info
    text = (f"text2ml: the program in {result.program_dir} is incomplete: "
            f"{len(result.failures)} failing check(s), shown in the Problems panel. Fix a "
            "module and save it to re-test, or use the quick fix to regenerate it.")
    if score.get("error"):
        text += f" pipeline.py: {score['error']}."
    return text, types.MessageType.Warning


def announce_generation(server: Text2MLServer, result: Any, opened: bool = False) -> None:
    """`opened`: pipeline.py was shown when the recipe program came out; not again."""
    publish_failures(server, result.program_dir, result.failures,
                     engine.slot_modules(result.program_dir))
    for backup in result.backups:
        server.show_message(f"text2ml: kept your edited file as {backup}")
    server.show_message(*generation_summary(result))
    server.log(f"generation: {result.usage}; {result.seconds:.1f} s")
    if not opened:
        show_file(server, engine.entry_file(result.program_dir))


def generate_job(server: Text2MLServer, target: BlockTarget, program_dir: Path) -> Work:
    def work(job: Job) -> None:
        warn_about_the_box(server)
        try:
            with report_progress(server, "text2ml: generate ML program", cancel=job.cancel,
                                 message="reading the task") as progress:
                early = EarlyProgram(server, job, progress)
                result = engine.generate(target.path, target.line, program_dir,
                                         server.settings, early, job.cancel)
                progress.end_message = "program ready" if result.ok else "program incomplete"
        except TaskError as exc:
            publish_task_error(server, target.uri, target.block, exc)
            report_failure(server, exc, "generating the program")
            return
        except Exception as exc:  # a job thread reports its failure; it must not die silently
            report_failure(server, exc, "generating the program")
            return
        finally:
            server.refresh_code_lenses()
        publish_task_error(server, target.uri, target.block, None)
        publish_baseline_warning(server, target.uri, target.block, result.score)
        announce_generation(server, result, early.opened)

    return work


def regenerate_job(server: Text2MLServer, module: engine.ModuleRef) -> Work:
    def work(job: Job) -> None:
        warn_about_the_box(server)
        title = f"text2ml: regenerate {module.slot}/{module.candidate}"
        try:
            with report_progress(server, title, cancel=job.cancel,
                                 message="writing a new version") as progress:
                result = engine.regenerate(module, server.settings, forward_events(progress),
                                           job.cancel)
                progress.end_message = "module fixed" if result.ok else "still failing"
        except Exception as exc:  # a job thread reports its failure; it must not die silently
            report_failure(server, exc, f"regenerating {module.slot}/{module.candidate}")
            return
        finally:
            server.refresh_code_lenses()
        publish_failures(server, result.program_dir, result.failures,
                         engine.slot_modules(result.program_dir))
        for backup in result.backups:
            server.show_message(f"text2ml: kept your edited file as {backup}")
        server.show_message(*generation_summary(result))

    return work


def trial_message(trial: Any) -> str:
    best = "" if trial.best_value is None else f" · best {trial.best_value:.3f}"
    left = f" · ~{trial.remaining:.0f} s left" if getattr(trial, "remaining", None) else ""
    return f"trial {trial.trial}/{trial.n_trials}{best}{left}"


def optimization_summary(result: Any, stopped: bool) -> str:
    if result.best_value is None:
        return "text2ml: optimization finished no trial." + (" It was cancelled." if stopped
                                                              else "")
    metric = getattr(result, "metric", "") or "score"
    text = (f"text2ml: best validation {metric} {result.best_value:.3f} after "
            f"{result.n_trials} trials")
    if result.test_score is not None:
        text += f"; test score {result.test_score:.3f}"
    if stopped:
        text += "; stopped early, finished trials kept"
    return text + f". Report: {result.report_path}"


def optimize_job(server: Text2MLServer, program_dir: Path) -> Work:
    def work(job: Job) -> None:
        warn_about_the_box(server)
        try:
            with report_progress(server, "text2ml: optimize", cancel=job.cancel,
                                 message="opening the study; the first trial runs") as progress:
                def on_trial(trial: Any) -> None:
                    progress.report(trial_message(trial),
                                    100 * trial.trial / max(trial.n_trials, 1))

                result = engine.optimize(program_dir, server.settings, on_trial, job.cancel)
                progress.end_message = ("stopped" if job.cancel.is_set() else "done") + (
                    "" if result.best_value is None else f" · best {result.best_value:.3f}")
        except Exception as exc:  # a job thread reports its failure; it must not die silently
            report_failure(server, exc, "optimizing")
            return
        finally:
            server.refresh_code_lenses()
        server.show_message(optimization_summary(result, job.cancel.is_set()))

    return work
