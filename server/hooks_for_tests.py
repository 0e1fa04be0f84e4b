"""Commands that exist only when TEXT2ML_TEST_COMMANDS=1: they let tests drive the job, cancel,
progress and diagnostics machinery inside the real server process without an LLM."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from text2ml.server import engine, targets
from text2ml.server.base import Text2MLServer
from text2ml.server.commands import start
from text2ml.server.diagnostics import publish_failures, publish_task_error
from text2ml.server.jobs import Job
from text2ml.server.progress import report_progress
from text2ml.synthesis.records import Failure, TaskError

SLEEP_JOB = "text2ml.test.sleepJob"
PUBLISH = "text2ml.test.publishFailures"
STATE = "text2ml.test.state"
TASK_ERROR = "text2ml.test.taskError"


def sleep_job(ls: Text2MLServer, key: str, steps: int, delay: float) -> dict[str, Any]:
    """A job on `key` that reports progress `steps` times, `delay` seconds apart."""
    def work(job: Job) -> None:
        done = 0
        with report_progress(ls, "text2ml: test job", cancel=job.cancel) as progress:
            while done < steps and not job.cancel.wait(delay):
                done += 1
                progress.report(f"step {done}/{steps}", 100 * done / steps)
            progress.end_message = f"{done}/{steps} steps"
        ls.show_message(f"test job {job.id}: {done}/{steps} steps"
                        + (" (cancelled)" if job.cancel.is_set() else ""))

    return start(ls, Path(key), "test-sleep", "the test job", work)


def publish(ls: Text2MLServer, program: str, failures: list[dict[str, Any]],
            tested: list[list[str]]) -> int:
    """Publish `Failure` records (as dicts) of a program whose modules `tested` ran."""
    program_dir = targets.path_of(PUBLISH, program)
    records = [Failure(**f) for f in failures]
    modules = [engine.ModuleRef(program_dir, slot, candidate) for slot, candidate in tested]
    publish_failures(ls, program_dir, records, modules)
    return len(records)


def task_error(ls: Text2MLServer, uri: str, position: dict[str, int], message: str) -> bool:
    """Mark the task block at `position` as not understood, as a failed generation does."""
    target = targets.block_target(ls, TASK_ERROR, (uri, position))
    publish_task_error(ls, target.uri, target.block, TaskError(message))
    return True


def state(ls: Text2MLServer) -> dict[str, Any]:
    heavy = ("torch", "sklearn", "optuna", "pandas", "numpy")
    return {"jobs": [j.describe() for j in ls.jobs.all()],
            "loaded": sorted(m for m in heavy if m in sys.modules),
            "progress_tokens": len(ls.progress_cancels),
            "settings": {**ls.settings.public(), "trusted": ls.trusted},
            "time": time.time()}


def register(server: Text2MLServer) -> None:
    server.command(SLEEP_JOB)(sleep_job)
    server.command(PUBLISH)(publish)
    server.command(STATE)(state)
    server.command(TASK_ERROR)(task_error)
