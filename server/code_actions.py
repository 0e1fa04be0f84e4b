"""`textDocument/codeAction`: generate / optimize / re-test / report on a task block, a quick
fix that regenerates a failing module, and quick fixes that add the missing `Data:` or
`Target:` line to a task that cannot be understood. Each action carries its command and
arguments, so any client can execute it as returned."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from text2ml.server import blocks, commands, engine, task_lines
from text2ml.server.base import Text2MLServer
from text2ml.server.diagnostics import SOURCE

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

# VS Code's lightbulb lists quickfix and refactor actions; `source` ones only appear under
# "Source Action...", so the task-block actions are refactorings.
BLOCK_KIND = types.CodeActionKind.Refactor
FIX_KIND = types.CodeActionKind.QuickFix
KINDS = [BLOCK_KIND, FIX_KIND]


def action(title: str, kind: types.CodeActionKind, command: str, arguments: list[object],
           diagnostics: list[types.Diagnostic] | None = None) -> types.CodeAction:
    run = types.Command(title=title, command=command, arguments=arguments)
    return types.CodeAction(title=title, kind=kind, diagnostics=diagnostics, command=run)


def block_actions(uri: str, path: Path, block: TaskBlock) -> list[types.CodeAction]:
    where = {"line": block.start_line, "character": block.start_character}
    actions = [action("Generate ML program", BLOCK_KIND, commands.GENERATE, [uri, where])]
    program_dir = blocks.program_for(path, block)
    if program_dir is None:
        return actions
    folder = [str(program_dir)]
    actions += [action("Optimize", BLOCK_KIND, commands.OPTIMIZE, folder),
                action("Re-run tests", BLOCK_KIND, commands.TEST, folder)]
    if engine.report_path(program_dir).is_file():
        actions.append(action("Open report", BLOCK_KIND, commands.SHOW_REPORT, folder))
    return actions


def quick_fixes(uri: str, path: Path,
                diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    ours = [d for d in diagnostics if d.source == SOURCE and isinstance(d.data, dict)
            and "slot" in d.data]
    if not ours or engine.module_of(path.resolve()) is None:
        return []
    fix = action("Regenerate this module with the test failure as feedback", FIX_KIND,
                 commands.REGENERATE_MODULE, [uri], ours)
    fix.is_preferred = True
    return [fix]


def task_fixes(uri: str, diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    """One quick fix per choice a task diagnostic carries (see diagnostics.publish_task_error)."""
    fixes = []
    for diagnostic in diagnostics:
        data = diagnostic.data
        if diagnostic.source != SOURCE or diagnostic.code != "task" or not isinstance(data, dict):
            continue
        start = diagnostic.range.start
        where = {"line": start.line, "character": start.character}
        for choice in data.get("choices") or []:
            if isinstance(choice, dict) and choice.get("title") and choice.get("line"):
                fixes.append(action(str(choice["title"]), FIX_KIND, task_lines.INSERT_TASK_LINE,
                                    [uri, where, str(choice["line"])], [diagnostic]))
    if len(fixes) == 1:
        fixes[0].is_preferred = True
    return fixes


def _kind_name(kind: object) -> str:
    return str(getattr(kind, "value", kind) or "")


def wanted(kind: object, only: list[types.CodeActionKind | str] | None) -> bool:
    """LSP `only` filtering: "refactor" also admits "refactor.rewrite"."""
    name = _kind_name(kind)
    return not only or any(name == _kind_name(o) or name.startswith(f"{_kind_name(o)}.")
                           for o in only)


def code_actions(ls: Text2MLServer,
                 params: types.CodeActionParams) -> list[types.CodeAction | types.Command] | None:
    uri = params.text_document.uri
    path = blocks.file_path(uri)
    if path is None:
        return None
    found = quick_fixes(uri, path, list(params.context.diagnostics))
    found += task_fixes(uri, list(params.context.diagnostics))
    block = blocks.block_for_line(blocks.document_blocks(ls, uri), params.range.start.line)
    if block is not None:
        found += block_actions(uri, path, block)
    found = [a for a in found if wanted(a.kind, params.context.only)]
    if not ls.client_supports("text_document.code_action.code_action_literal_support"):
        return [a.command for a in found if a.command is not None] or None
    return list(found) or None


def register(server: Text2MLServer) -> None:
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                   types.CodeActionOptions(code_action_kinds=KINDS))(code_actions)
