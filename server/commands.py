"""`workspace/executeCommand` handlers. They validate arguments, start a job and return at once
with its id; the job reports progress and its outcome. Bad arguments are an error response."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from text2ml.server import engine, targets
from text2ml.server.base import Text2MLServer
from text2ml.server.diagnostics import test_job
from text2ml.server.jobs import JobBusy
from text2ml.server.messages import plain_words, report_failure
from text2ml.server.workflows import Work, generate_job, optimize_job, regenerate_job, show_file

GENERATE = "text2ml.generate"
TEST = "text2ml.test"
OPTIMIZE = "text2ml.optimize"
CANCEL = "text2ml.cancel"
REGENERATE_MODULE = "text2ml.regenerateModule"
SHOW_REPORT = "text2ml.showReport"
LLM_STATUS = "text2ml.llmStatus"


def start(ls: Text2MLServer, program_dir: Path, kind: str, title: str,
          work: Work) -> dict[str, Any]:
    """Start a job on a program folder; if one runs there already, say so instead."""
    try:
        job = ls.jobs.start(str(program_dir), kind, title, work)
    except JobBusy as busy:
        text, level = plain_words(busy, title)
        ls.show_message(text, level)
        return {"started": False, "running": busy.running.id, "message": text,
                "program": str(program_dir)}
    return {"started": True, "job": job.id, "program": str(program_dir)}


def require_trust(ls: Text2MLServer, command: str) -> None:
    if not ls.trusted:
        raise targets.invalid(command, "this workspace is not trusted, so text2ml runs no "
                              "generated code in it (tests, trials). Trust the workspace "
                              "(Manage Workspace Trust) to generate, test or optimize.")


def generate(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    require_trust(ls, GENERATE)
    target = targets.block_target(ls, GENERATE, args)
    targets.require_saved(ls, GENERATE, target)
    program_dir = (engine.find_program(target.path, target.block)
                   or engine.default_program_dir(target.path, target.block))
    return start(ls, program_dir, "generate", "generating the ML program",
                 generate_job(ls, target, program_dir))


def test(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    require_trust(ls, TEST)
    program_dir = targets.program_target(ls, TEST, args)
    return start(ls, program_dir, "test", "testing the program",
                 test_job(ls, program_dir, None, announce=True))


def optimize(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    require_trust(ls, OPTIMIZE)
    program_dir = targets.program_target(ls, OPTIMIZE, args)
    return start(ls, program_dir, "optimize", "optimization", optimize_job(ls, program_dir))


def regenerate_module(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    require_trust(ls, REGENERATE_MODULE)
    module = targets.module_target(ls, REGENERATE_MODULE, args)
    return start(ls, module.program_dir, "regenerate",
                 f"regenerating {module.slot}/{module.candidate}", regenerate_job(ls, module))


def cancel(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    """Cancel by job id, by program (folder, file or [uri, position]), or the only job."""
    if not args:
        jobs = ls.jobs.all()
        if len(jobs) > 1:
            running = ", ".join(f"{j.id} ({j.key})" for j in jobs)
            raise targets.invalid(CANCEL, f"several jobs run: {running}; pass a job id")
    elif len(args) == 1 and isinstance(args[0], str) and ls.jobs.get(args[0]) is not None:
        jobs = [ls.jobs.get(args[0])]  # type: ignore[list-item]
    else:
        program_dir = targets.program_target(ls, CANCEL, args)
        jobs = ls.jobs.running_all(str(program_dir))
    for job in jobs:
        ls.jobs.cancel(job)
    if not jobs:
        ls.show_message("text2ml: nothing is running.")
    return {"cancelled": [j.id for j in jobs]}


def show_report(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    program_dir = targets.program_target(ls, SHOW_REPORT, args)
    report = engine.report_path(program_dir)
    if not report.is_file():
        ls.show_message(f"text2ml: {program_dir} has no optimization report yet; run "
                        "Optimize first.", types.MessageType.Warning)
        return {"report": None}
    show_file(ls, report)
    return {"report": str(report)}


async def llm_status(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    if args:
        raise targets.invalid(LLM_STATUS, "takes no arguments")
    try:
        status = await asyncio.wrap_future(ls.jobs.submit(engine.llm_status, ls.settings))
    except Exception as exc:  # the status itself failed: the user still gets plain words
        report_failure(ls, exc, "reading the LLM status")
        return {"error": plain_words(exc, "reading the LLM status")[0]}
    ls.show_message(status_line(status))
    return status


def status_line(status: dict[str, Any]) -> str:
    active, embedded = status["active"], status.get("embedded", {})
    if active["backend"] == "embedded":
        running = "running" if embedded.get("running") else "not running (starts on first use)"
        return f"text2ml LLM: embedded model {active['model']}, {running}."
    return (f"text2ml LLM: endpoint {active.get('url') or 'OpenAI'}, model "
            f"{active.get('model') or '(default)'}.")


COMMANDS = {GENERATE: generate, TEST: test, OPTIMIZE: optimize, CANCEL: cancel,
            REGENERATE_MODULE: regenerate_module, SHOW_REPORT: show_report,
            LLM_STATUS: llm_status}


def register(server: Text2MLServer) -> None:
    for name, handler in COMMANDS.items():
        server.command(name)(handler)
