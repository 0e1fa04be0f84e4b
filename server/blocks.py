"""Task blocks of open documents and the programs made from them, cached for fast requests.

Code actions and code lenses are asked for on every cursor move and edit; blocks are found
once per document version, and a block's program folder is looked up once until a job ends.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from text2ml.server import engine
from text2ml.server.base import Text2MLServer

if TYPE_CHECKING:
    from text2ml.synthesis.task import TaskBlock

_blocks: dict[str, tuple[object, list[TaskBlock], str]] = {}  # uri → (stamp, blocks, source)
_programs: dict[tuple[Path, str, int], tuple[float, Path | None]] = {}
CACHED_DOCUMENTS = 64
PROGRAM_TTL = 2.0  # seconds: programs made outside the server (the CLI) show up soon


def file_path(uri: str) -> Path | None:
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(fs_path) if fs_path else None


def document_blocks(ls: Text2MLServer, uri: str) -> list[TaskBlock]:
    """The task blocks of a document: its open buffer, else the file on disk."""
    document = ls.workspace.text_documents.get(uri)
    path = file_path(uri)
    if document is not None:
        stamp: object = ("open", document.version, len(document.source))
    elif path is not None and path.is_file():
        stamp = ("disk", path.stat().st_mtime_ns)
    else:
        return []
    cached = _blocks.get(uri)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    if document is not None:
        source = document.source
    else:
        source = path.read_text(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    # A keystroke in code leaves the blocks as they were: skip the lexing (see update_blocks).
    blocks = engine.update_blocks(cached[2], source, cached[1]) if cached is not None else None
    if blocks is None:
        blocks = engine.find_blocks(source)
    if len(_blocks) >= CACHED_DOCUMENTS:
        _blocks.clear()
    _blocks[uri] = (stamp, blocks, source)
    return blocks


def block_range(block: TaskBlock) -> types.Range:
    """Where a task block is, as the editor marks it."""
    return types.Range(types.Position(block.start_line, block.start_character),
                       types.Position(block.end_line, block.end_character))


def block_for_line(blocks: list[TaskBlock], line: int) -> TaskBlock | None:
    """The block covering `line` (a block's end position is exclusive)."""
    for block in blocks:
        ends_after = line < block.end_line or (line == block.end_line and block.end_character > 0)
        if block.start_line <= line and ends_after:
            return block
    return None


def program_for(path: Path, block: TaskBlock) -> Path | None:
    key = (path, block.text, block.start_line)
    now = time.monotonic()
    cached = _programs.get(key)
    if cached is None or now - cached[0] > PROGRAM_TTL:
        if len(_programs) >= CACHED_DOCUMENTS:
            _programs.clear()
        cached = _programs[key] = (now, engine.find_program(path, block))
    return cached[1]


def forget_programs() -> None:
    """A job ended: programs may have appeared or changed."""
    _programs.clear()


def forget_document(uri: str) -> None:
    _blocks.pop(uri, None)
