"""Command arguments → what to work on: a task block in a file, a program folder, a module.

Commands accept `[uri, {"line": L, "character": C}]` (a task block), `[program_dir]` (a
folder path or file URI) or a generated module's URI. Anything else is a JSON-RPC
invalid-params error that says what the command expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path, to_fs_path

from text2ml.server import engine
from text2ml.server.base import Text2MLServer
from text2ml.synthesis import layout

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # two letters at least: not "C:\\"
FROM_EDITOR = ("run it from the code lens or the lightbulb on a TASK: block, or pass "
               "[uri, {\"line\": L, \"character\": C}]")


def invalid(command: str, text: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=f"{command}: {text}")


@dataclass
class BlockTarget:
    uri: str
    path: Path
    block: TaskBlock

    @property
    def line(self) -> int:
        return self.block.start_line


def path_of(command: str, value: Any) -> Path:
    """A file URI or a filesystem path that exists → a resolved Path."""
    if not isinstance(value, str) or not value:
        raise invalid(command, f"expected a file URI or a path, got {value!r}")
    if "\0" in value or "%00" in value:  # no file name holds one; the OS would raise ValueError
        raise invalid(command, f"{value!r} is not a valid path: it contains a NUL character")
    if URI_SCHEME.match(value):
        if not value.startswith("file:"):
            raise invalid(command, f"{value} is not a file on disk; save it to a file first")
        fs_path = to_fs_path(value)
        if fs_path is None:
            raise invalid(command, f"cannot read the URI {value!r}")
        value = fs_path
    path = Path(value).expanduser().resolve()
    if not path.exists():
        raise invalid(command, f"{path} does not exist")
    return path


def line_of(command: str, value: Any) -> int:
    """{"line": L, "character": C} (0-based, as LSP positions) → L."""
    line = value.get("line") if isinstance(value, dict) else None
    if isinstance(line, bool) or not isinstance(line, int) or line < 0:
        raise invalid(command, f"expected a position {{\"line\": L, \"character\": C}} with "
                               f"L ≥ 0, got {value!r}")
    return line


def document_source(server: Text2MLServer, uri: str, path: Path) -> str:
    """The editor's buffer when the document is open, else the file on disk."""
    document = server.workspace.text_documents.get(uri)
    return document.source if document is not None else path.read_text(encoding="utf-8")


def block_target(server: Text2MLServer, command: str, args: tuple[Any, ...]) -> BlockTarget:
    if not args:
        sole = sole_open_block(server)
        if sole is None:
            raise invalid(command, f"which task? {FROM_EDITOR}")
        return sole
    if len(args) > 2:
        raise invalid(command, f"expected [uri, position], got {len(args)} arguments")
    uri = args[0]
    path = path_of(command, uri)
    if not path.is_file():
        raise invalid(command, f"{path} is a folder; expected the file holding the TASK: block")
    uri = uri if uri.startswith("file:") else from_fs_path(str(path))
    source = document_source(server, uri, path)
    if len(args) == 2:
        line = line_of(command, args[1])
        block = engine.block_at(source, line)
        where = f"{path}:{line + 1}"
    else:
        blocks = engine.find_blocks(source)
        block = blocks[0] if len(blocks) == 1 else None
        where = str(path) if not blocks else f"{path} ({len(blocks)} task blocks: pass a position)"
    if block is None:
        raise invalid(command, f"no TASK: block at {where}; start a comment or docstring with "
                               "'TASK:' and describe the task")
    return BlockTarget(uri, path, block)


def require_saved(server: Text2MLServer, command: str, target: BlockTarget) -> None:
    """The libraries read the task from disk: an edited, unsaved buffer would mislead them."""
    document = server.workspace.text_documents.get(target.uri)
    if document is not None and document.source != target.path.read_text(encoding="utf-8"):
        raise invalid(command, f"{target.path.name} has unsaved changes; save it first "
                               "(text2ml reads the task from the file on disk)")


def sole_open_block(server: Text2MLServer) -> BlockTarget | None:
    """The one task block among the open documents, if there is exactly one."""
    found: list[BlockTarget] = []
    for uri, document in list(server.workspace.text_documents.items()):
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        if fs_path is None:
            continue
        found += [BlockTarget(uri, Path(fs_path), b) for b in engine.find_blocks(document.source)]
        if len(found) > 1:
            return None
    return found[0] if found else None


def program_target(server: Text2MLServer, command: str, args: tuple[Any, ...]) -> Path:
    """A program folder from [program_dir], [uri-of-a-file-inside-it] or [uri, position]."""
    if len(args) == 1:
        path = path_of(command, args[0])
        folder = path if path.is_dir() else program_around(path)
        if folder is not None and engine.is_program(folder):
            return folder
        if path.is_file() and path.suffix == ".py":
            return program_of_block(server, command, (args[0],))
        raise invalid(command, f"{path} is not a text2ml program folder (no "
                               f"{layout.MANIFEST.as_posix()}); generate the program first")
    return program_of_block(server, command, args)


def program_around(path: Path) -> Path | None:
    """The program folder holding a file, if any (the file may be deep inside it)."""
    return next((p for p in path.parents if engine.is_program(p)), None)


def program_of_block(server: Text2MLServer, command: str, args: tuple[Any, ...]) -> Path:
    target = block_target(server, command, args)
    folder = engine.find_program(target.path, target.block)
    if folder is None:
        raise invalid(command, f"the task at {target.path}:{target.line + 1} has no program yet; "
                               "run text2ml.generate first")
    return folder


def module_target(server: Text2MLServer, command: str, args: tuple[Any, ...]) -> engine.ModuleRef:
    """A generated module from [module-uri] or [module-uri, position]."""
    if not args or len(args) > 2:
        raise invalid(command, "expected [uri] of a generated module "
                               "(<program>/candidates/<slot>/<candidate>.py)")
    if len(args) == 2:
        line_of(command, args[1])
    path = path_of(command, args[0])
    module = engine.module_of(path)
    if module is None:
        raise invalid(command, f"{path} is not a generated module; expected "
                               "<program>/candidates/<slot>/<candidate>.py")
    return module
