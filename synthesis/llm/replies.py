"""Reading what an LLM wrote: code from fenced or bare replies, JSON from chatty ones."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

# grounding.probe still reads a child's result from here; the protocol owns it.
from text2ml.synthesis.children.protocol import last_json_line  # noqa: F401

# What parsing LLM output can raise besides SyntaxError: NUL bytes (ValueError), nesting
# deeper than the parser's stack (RecursionError, MemoryError). Every parse catches them all.
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)

FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
CODE_START = re.compile(r"^(?:import |from \w|def |class |@|[A-Z_][A-Z0-9_]* ?=|#)", re.M)


def extract_code(reply: str) -> str:
    """The Python in a reply: the longest python fence, else the code-looking tail of the text.

    A reply cut off by max_tokens has an unclosed fence; its text is still taken, and the
    syntax check then reports where it stops.
    """
    fences = [(lang.lower(), body) for lang, body in FENCE.findall(reply)]
    python = [body for lang, body in fences if lang in ("python", "py", "python3", "")]
    if python:
        return max(python, key=len).strip("\n") + "\n"
    if fences:
        return max((body for _, body in fences), key=len).strip("\n") + "\n"
    start = CODE_START.search(reply)
    if start is None:
        return ""
    return reply[start.start():].strip("\n") + "\n"


def syntax_error(code: str) -> str | None:
    """None if `code` parses, else a message with the line: 'line 7: '(' was never closed'."""
    try:
        ast.parse(code)
    except PARSE_ERRORS as exc:
        return parse_problem(exc)
    return None


def parse_problem(exc: BaseException) -> str:
    """What a failed parse says, with the line when it knows one."""
    if isinstance(exc, SyntaxError):
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return f"{where}{exc.msg}"
    if isinstance(exc, RecursionError | MemoryError):
        return "the code is nested too deeply to parse"
    return str(exc)


def extract_json(reply: str) -> Any:
    """The first JSON object in a reply, fenced or not; ValueError if there is none (also
    for brackets nested too deeply for the decoder)."""
    text = reply.strip()
    fence = FENCE.search(text)
    candidates = [fence.group(2)] if fence else []
    candidates.append(text)
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for match in re.finditer(r"[{\[]", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            except RecursionError as exc:
                raise ValueError(f"the reply nests brackets too deeply: {reply[:60]!r}") from exc
            return value
    raise ValueError(f"no JSON object in the reply: {reply[:120]!r}")
