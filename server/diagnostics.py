"""Test failures of generated modules, and task blocks that cannot be understood, as diagnostics.

A saved module (`didSave` of <program>/candidates/<slot>/<c>.py) re-runs its slot's contextual
tests as a background job; failures land at the failing line, passing modules are cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from text2ml.server import blocks, engine, tracebacks
from text2ml.server.base import Text2MLServer
from text2ml.server.jobs import Job, JobBusy
from text2ml.server.messages import report_failure
from text2ml.server.progress import report_progress
from text2ml.server.task_lines import task_choices
from text2ml.synthesis import layout
from text2ml.synthesis.baseline import baseline_warning
from text2ml.synthesis.records import Failure, TaskError

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

SOURCE = "text2ml"
DEBOUNCE_SECONDS = 0.4


def publish(server: Text2MLServer, uri: str, origin: str,
            diagnostics: list[types.Diagnostic]) -> None:
    """Replace this origin's diagnostics on `uri` and send the union of all origins."""
    def send() -> None:
        origins = server.published.setdefault(uri, {})
        origins[origin] = diagnostics
        union = [d for ds in origins.values() for d in ds]
        if not union:
            server.published.pop(uri, None)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=union))

    server.on_loop(send)


def client_uri(server: Text2MLServer, path: Path) -> str:
    """The URI the client opened this file under, if open (symlinks, case), else the path's."""
    resolved = path.resolve()
    for uri in list(server.workspace.text_documents):
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        if fs_path and Path(fs_path).resolve() == resolved:
            return uri
    return from_fs_path(str(path))


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def line_range(text: str, line: int | None) -> types.Range:
    """The whole failing line (1-based `line`, None → the first line), clamped to the text."""
    lines = text.splitlines() or [""]
    index = min(max((line or 1) - 1, 0), len(lines) - 1)
    return types.Range(types.Position(index, 0), types.Position(index, len(lines[index])))


def failure_diagnostic(server: Text2MLServer, failure: Failure, path: Path,
                       text: str | None = None) -> types.Diagnostic:
    """`text`: the module as the editor holds it; by default the file on disk. The traceback
    becomes related information, the user's frames first at their own lines, text2ml's
    harness frames left out."""
    where = line_range(read_text(path) if text is None else text, failure.line)
    message = f"{failure.check}: {failure.message}"
    related = None
    found = layout.candidate_of(path)
    program_dir = found[0] if found else path.parent
    if failure.traceback and server.client_supports(
            "text_document.publish_diagnostics.related_information"):
        frames = tracebacks.ordered_frames(failure.traceback, program_dir)
        related = [types.DiagnosticRelatedInformation(
            types.Location(client_uri(server, frame.file), types.Range(
                types.Position(frame.line - 1, 0),
                types.Position(frame.line - 1, len(frame.code)))),
            frame.describe()) for frame in frames]
        if not frames:  # no frame names a file (a check's own words): the trace as it is
            trace = tracebacks.without_text2ml_frames(failure.traceback).strip()
            related = [types.DiagnosticRelatedInformation(
                types.Location(client_uri(server, path), where),
                "\n".join(trace.splitlines()[-40:]))]
    elif failure.traceback:
        trace = tracebacks.without_text2ml_frames(failure.traceback).strip().splitlines()
        message += "\n" + "\n".join(trace[-3:])
    return types.Diagnostic(where, message, severity=types.DiagnosticSeverity.Error,
                            code=failure.check, source=SOURCE, related_information=related,
                            data={"slot": failure.slot, "candidate": failure.candidate,
                                  "check": failure.check})


def publish_failures(server: Text2MLServer, program_dir: Path, failures: list[Failure],
                     tested: list[engine.ModuleRef]) -> None:
    """Publish failures per file; modules tested without failure, and modules of the tested
    slots that are gone since (a regenerated program), are cleared."""
    by_file: dict[Path, list[types.Diagnostic]] = {m.path.resolve(): [] for m in tested}
    for failure in failures:
        path = engine.failure_file(program_dir, failure).resolve()
        by_file.setdefault(path, []).append(failure_diagnostic(server, failure, path))
    slot_dirs = {m.path.parent.resolve() for m in tested}
    for uri in list(server.published):
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        if fs_path and Path(fs_path).resolve().parent in slot_dirs:
            by_file.setdefault(Path(fs_path).resolve(), [])
    for path, diagnostics in by_file.items():
        publish(server, client_uri(server, path), "tests", diagnostics)


def task_error_diagnostic(block: TaskBlock, error: TaskError,
                          choices: list[dict[str, str]] | None = None) -> types.Diagnostic:
    """`choices` (title, line to insert) become the diagnostic's quick fixes."""
    return types.Diagnostic(blocks.block_range(block), str(error),
                            severity=types.DiagnosticSeverity.Error, code="task", source=SOURCE,
                            data={"choices": choices} if choices else None)


def baseline_diagnostic(block: TaskBlock, score: dict | None) -> types.Diagnostic | None:
    """A warning on the task block when its program does not beat the trivial baseline."""
    warning = baseline_warning(score)
    if not warning:
        return None
    return types.Diagnostic(blocks.block_range(block), warning,
                            severity=types.DiagnosticSeverity.Warning, code="baseline",
                            source=SOURCE)


def publish_baseline_warning(server: Text2MLServer, uri: str, block: TaskBlock,
                             score: dict | None) -> None:
    """Mark (or clear) the task block by how its program compares with the trivial baseline;
    an origin of its own, so clearing a task error leaves it be."""
    found = baseline_diagnostic(block, score)
    publish(server, uri, "baseline", [found] if found else [])


def publish_task_error(server: Text2MLServer, uri: str, block: TaskBlock,
                       error: TaskError | None) -> None:
    """Mark (or, with None, clear) a task block that cannot be understood. The error's data
    or target choices become quick fixes; describing them may probe the data, so call this
    from a job thread."""
    choices: list[dict[str, str]] = []
    fs_path = to_fs_path(uri) if error is not None and uri.startswith("file:") else None
    if fs_path:
        try:
            choices = task_choices(error, Path(fs_path).parent)
        except Exception as exc:  # the diagnostic matters more than its quick fixes
            server.log(f"text2ml: could not list the choices for the task: {exc!r}")
    publish(server, uri, "task", [task_error_diagnostic(block, error, choices)] if error else [])


# Re-testing saved modules.

def test_job(server: Text2MLServer, program_dir: Path, slots: list[str] | None,
             announce: bool = False) -> Callable[[Job], None]:
    what = ", ".join(slots) if slots else "all modules"

    def work(job: Job) -> None:
        title = f"text2ml: testing {what}"
        try:
            with report_progress(server, title, cancel=job.cancel) as progress:
                report = engine.run_tests(program_dir, slots, job.cancel)
                publish_failures(server, program_dir, report.failures,
                                 engine.slot_modules(program_dir, slots))
                progress.end_message = f"{report.passed}/{report.total} modules passed"
            if announce:
                server.show_message(f"text2ml: tests: {report.passed}/{report.total} modules "
                                    "passed" + ("; failures are in the Problems panel."
                                                if report.failures else "."))
        except Exception as exc:  # a job thread reports its failure; it must not die silently
            report_failure(server, exc, f"testing {what}")
        server.refresh_code_lenses()

    return work


def retest(server: Text2MLServer, program_dir: Path, slots: set[str]) -> None:
    """Run these slots' tests now, or once the job working on this program has finished."""
    key = str(program_dir)
    try:
        server.jobs.start(key, "test", f"testing {', '.join(sorted(slots))}",
                          test_job(server, program_dir, sorted(slots)))
    except JobBusy:
        server.pending_tests.setdefault(key, set()).update(slots)


def run_pending_tests(server: Text2MLServer, finished: Job) -> None:
    slots = server.pending_tests.pop(finished.key, set())
    if slots:
        retest(server, Path(finished.key), slots)


def module_of_uri(uri: str) -> engine.ModuleRef | None:
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    return engine.module_of(Path(fs_path).resolve()) if fs_path else None


def did_save(ls: Text2MLServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    module = module_of_uri(uri)
    if module is not None and ls.trusted:  # untrusted: the tests would run generated code
        publish(ls, uri, "edit", [])  # the tests re-check what the buffer checks found
        retest(ls, module.program_dir, {module.slot})


# Unsaved buffers of generated modules: the cheap static checks only, debounced.

def did_change(ls: Text2MLServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.published.get(uri, {}).get("task"):  # the user is rewording the task: it may be fixed
        publish(ls, uri, "task", [])
    from text2ml.server import hover  # hover registers after this module; it imports it

    hover.forget(uri)
    module = module_of_uri(uri)
    if module is None or ls.loop is None:
        return
    waiting = ls.debounced.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.debounced[uri] = ls.loop.call_later(DEBOUNCE_SECONDS, check_buffer, ls, uri, module)


def check_buffer(ls: Text2MLServer, uri: str, module: engine.ModuleRef) -> None:
    ls.debounced.pop(uri, None)
    document = ls.workspace.text_documents.get(uri)
    if document is None:
        return
    text = document.source

    def check() -> None:
        try:
            failures = engine.static_check(module, text)
        except Exception as exc:  # a broken check must not take the editor down with it
            ls.log(f"static checks of {module.path} failed: {exc!r}")
            return
        publish(ls, uri, "edit", [failure_diagnostic(ls, f, module.path, text)
                                  for f in failures])

    ls.jobs.submit(check)


def register(server: Text2MLServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_SAVE,
                   types.SaveOptions(include_text=False))(did_save)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.jobs.on_finished(lambda job: run_pending_tests(server, job))
