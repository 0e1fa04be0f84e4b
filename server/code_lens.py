"""`textDocument/codeLens`: above each task block, the state of its program and what to do next:
"Generate ML program", or "Tests: 5/5 passed · Optimize · best accuracy 0.973 (40 trials)"; while
the LLM writes beside the published recipe program, "Tests: 4/4 passed · LLM candidates 3/7…
(cancel) · Optimize"; above
a candidate module, its state: "passed · used by the best trial · score 0.973"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from text2ml.server import blocks, commands, engine, programs_view
from text2ml.server.base import Text2MLServer
from text2ml.server.jobs import Job

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

RUNNING = {"generate": "generating…", "optimize": "optimizing…", "test": "testing…",
           "regenerate": "regenerating…"}


def lens(line: int, title: str, command: str, arguments: list[Any]) -> types.CodeLens:
    where = types.Range(types.Position(line, 0), types.Position(line, 0))
    return types.CodeLens(where, types.Command(title=title, command=command, arguments=arguments))


def state_titles(program_dir: Path) -> list[tuple[str, str]]:
    """(title, command) pairs describing an existing program."""
    state = engine.program_state(program_dir)
    if state is None:
        return []
    titles = [(f"Tests: {state.tests_passed}/{state.tests_total} passed", commands.TEST),
              ("Optimize", commands.OPTIMIZE)]
    best = state.best or {}
    if best.get("score") is not None:
        metric = best.get("metric") or state.metric or "score"
        trials = f" ({best['trials']} trials)" if best.get("trials") else ""
        titles.append((f"best {metric} {best['score']:.3f}{trials}", commands.SHOW_REPORT))
    return titles


def writing_lenses(line: int, jobs: list[Job]) -> list[types.CodeLens]:
    """While the LLM writes beside a published recipe program: "Tests: 4/4 passed",
    "LLM candidates 3/7… (cancel)", and "Optimize" (or the optimization running)."""
    generate = next((j for j in jobs if j.kind == "generate" and j.lets_run), None)
    if generate is None:
        return []
    program_dir = Path(generate.key)  # the job's own folder: found before any lookup is
    state = engine.program_state(program_dir)
    if state is None or not state.writing:
        return []
    progress = state.generation
    found = [lens(line, f"Tests: {state.tests_passed}/{state.tests_total} passed",
                  commands.TEST, [str(program_dir)]),
             lens(line, f"{progress.get('writer', 'LLM')} candidates {progress.get('done', 0)}/"
                  f"{progress.get('total', 0)}… (cancel)", commands.CANCEL, [generate.id])]
    others = [j for j in jobs if j is not generate]
    found += [lens(line, f"text2ml: {RUNNING.get(j.kind, 'working…')} (cancel)",
                   commands.CANCEL, [j.id]) for j in others]
    if not any(j.kind == "optimize" for j in others):
        found.append(lens(line, "Optimize", commands.OPTIMIZE, [str(program_dir)]))
    return found


def block_lenses(ls: Text2MLServer, uri: str, path: Path, block: TaskBlock) -> list[types.CodeLens]:
    line = block.start_line
    where = {"line": line, "character": block.start_character}
    program_dir = blocks.program_for(path, block)
    jobs = ls.jobs.running_all(str(program_dir or engine.default_program_dir(path, block)))
    writing = writing_lenses(line, jobs)
    if writing:
        return writing
    if jobs:
        job = jobs[0]
        title = f"text2ml: {RUNNING.get(job.kind, 'working…')} (cancel)"
        return [lens(line, title, commands.CANCEL, [job.id])]
    titles = state_titles(program_dir) if program_dir is not None else []
    if not titles:
        return [lens(line, "Generate ML program", commands.GENERATE, [uri, where])]
    return [lens(line, title, command, [str(program_dir)]) for title, command in titles]


def module_lens(path: Path) -> types.CodeLens | None:
    """On a candidate module: "passed · used by the best trial · score 0.973"; opens the report."""
    try:
        found = programs_view.module_summary(path.resolve())
    except Exception:  # an unreadable manifest: the module simply gets no lens
        return None
    if found is None:
        return None
    program_dir, summary = found
    return lens(0, summary, commands.SHOW_REPORT, [str(program_dir)])


def code_lenses(ls: Text2MLServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
    uri = params.text_document.uri
    path = blocks.file_path(uri)
    if path is None:
        return None
    module = module_lens(path)
    if module is not None:
        return [module]
    return [lens_ for block in blocks.document_blocks(ls, uri)
            for lens_ in block_lenses(ls, uri, path, block)] or None


def register(server: Text2MLServer) -> None:
    server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions())(code_lenses)
