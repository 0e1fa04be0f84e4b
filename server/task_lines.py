"""Quick fixes that settle a task: the choices a DataError or TargetError offers, and the
`text2ml.insertTaskLine` command that writes one as a `Data: …` / `Target: …` line into the
task block through `workspace/applyEdit` (the user's own file: never written behind the
editor's back)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from text2ml.server import engine, targets
from text2ml.server.base import Text2MLServer

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

INSERT_TASK_LINE = "text2ml.insertTaskLine"
MAX_CHOICES = 3
KEY = re.compile(r"^\s*([A-Za-z]+)\s*:")  # "Data: …" → "Data"


# The choices of an error, for the diagnostic's `data` (built on a job thread: may probe).

def task_choices(error: Exception, task_dir: Path) -> list[dict[str, str]]:
    """Up to three lines that would settle the task, each with the quick fix's title."""
    entries = list(getattr(error, "choices", None) or [])[:MAX_CHOICES]
    if entries:
        with tempfile.TemporaryDirectory(prefix="text2ml-choices-") as work:
            described = [engine.describe_entry(e, task_dir, Path(work)) for e in entries]
        return [{"title": f"Use {e.summary()}", "line": f"Data: {e.data_line()}",
                 "data_line": e.data_line()} for e in described]
    columns = [c for c in getattr(error, "columns", None) or [] if isinstance(c, str)]
    return [{"title": f"Predict `{c}`", "line": f"Target: `{c}`", "target": c}
            for c in likely_targets(columns)]


def likely_targets(columns: list[str]) -> list[str]:
    """Columns worth offering as the target: not an index, the last ones first (data sets
    tend to put the response last)."""
    from text2ml.synthesis.catalog.words import squash
    from text2ml.synthesis.target import NEVER_TARGETS, TIME_COLUMNS

    usable = [c for c in columns if squash(c) not in NEVER_TARGETS and not TIME_COLUMNS.match(c)]
    return list(reversed(usable or columns))[:MAX_CHOICES]


# The edit.

def task_line_edit(source: str, block: TaskBlock, line: str) -> types.TextEdit:
    """Put `line` ("Data: data/sales.csv") into the block: replace the block's own line with
    the same key, else add it as the block's last line (a comment line after a `#` block, a
    line before the closing quotes of a docstring)."""
    lines = source.split("\n")
    key = KEY.match(line)
    if key is not None:
        same = re.compile(rf"^(\s*#*\s*){re.escape(key.group(1))}\s*:", re.IGNORECASE)
        for number in range(block.start_line + 1, min(block.end_line, len(lines) - 1) + 1):
            text = lines[number]
            if block.kind == "docstring" and number == block.end_line:
                text = text[:_closing_quote(lines, block)]
            found = same.match(text)
            if found is not None:
                start = types.Position(number, len(found.group(1)))
                end = types.Position(number, len(text))
                return types.TextEdit(types.Range(start, end), line)
    if block.kind == "comment":
        last = block.end_line
        indent = " " * block.start_character
        at = types.Position(last, len(lines[last]))
        return types.TextEdit(types.Range(at, at), f"\n{indent}# {line}")
    return _docstring_insert(lines, block, line)


def _closing_quote(lines: list[str], block: TaskBlock) -> int:
    """Character where the docstring's closing quotes start on its last line."""
    text = lines[block.end_line][:block.end_character]
    for quote in ('"""', "'''", '"', "'"):
        if text.endswith(quote):
            return block.end_character - len(quote)
    return block.end_character  # unterminated: the text runs to the end


def _docstring_insert(lines: list[str], block: TaskBlock, line: str) -> types.TextEdit:
    closing = _closing_quote(lines, block)
    before = lines[block.end_line][:closing]
    if block.end_line > block.start_line and not before.strip():
        # The closing quotes are alone on their line: a new line above them.
        at = types.Position(block.end_line, 0)
        return types.TextEdit(types.Range(at, at), f"{before}{line}\n")
    indent = _body_indent(lines, block)
    at = types.Position(block.end_line, closing)
    return types.TextEdit(types.Range(at, at), f"\n{indent}{line}\n{indent}")


def _body_indent(lines: list[str], block: TaskBlock) -> str:
    """The indentation of the docstring's last text line (of its first, if it has one)."""
    text = lines[block.end_line] if block.end_line > block.start_line else lines[block.start_line]
    return text[:len(text) - len(text.lstrip())]


def apply_text_edit(source: str, edit: types.TextEdit) -> str:
    """`source` with one edit applied (what the client does; used by the tests too)."""
    lines = source.split("\n")

    def offset(position: types.Position) -> int:
        return sum(len(t) + 1 for t in lines[:position.line]) + position.character

    return source[:offset(edit.range.start)] + edit.new_text + source[offset(edit.range.end):]


# The command.

def line_argument(value: Any) -> str:
    if not isinstance(value, str) or not KEY.match(value) or "\n" in value:
        raise targets.invalid(INSERT_TASK_LINE, f"expected a line such as \"Data: "
                              f"data/sales.csv\" or \"Target: `price`\", got {value!r}")
    return value.strip()


async def insert_task_line(ls: Text2MLServer, *args: Any) -> dict[str, Any]:
    """[uri, {"line": L, "character": C}, "Data: …"]: put the line into that task block."""
    if len(args) != 3:
        raise targets.invalid(INSERT_TASK_LINE, "expected [uri, {\"line\": L, \"character\": C}, "
                                                "\"Data: …\"]")
    line = line_argument(args[2])
    target = targets.block_target(ls, INSERT_TASK_LINE, args[:2])
    source = targets.document_source(ls, target.uri, target.path)
    edit = task_line_edit(source, target.block, line)
    if not ls.client_supports("workspace.apply_edit"):
        ls.show_message(f"text2ml: add the line `{line}` to the task at "
                        f"{target.path.name}:{target.line + 1}.")
        return {"applied": False, "line": line}
    document = ls.workspace.text_documents.get(target.uri)
    if document is not None and document.version is not None:
        identifier = types.OptionalVersionedTextDocumentIdentifier(target.uri, document.version)
        edit_set = types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(identifier, [edit])])
    else:
        edit_set = types.WorkspaceEdit(changes={target.uri: [edit]})
    reply = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
        edit=edit_set, label=f"text2ml: {line}"))
    applied = bool(getattr(reply, "applied", False))
    if not applied:
        reason = getattr(reply, "failure_reason", None)
        ls.show_message(f"text2ml: the editor did not insert `{line}`"
                        + (f" ({reason})" if reason else "") + "; add it to the task by hand.",
                        types.MessageType.Warning)
    return {"applied": applied, "line": line}


def register(server: Text2MLServer) -> None:
    server.command(INSERT_TASK_LINE)(insert_task_line)
