"""The one message protocol of text2ml's child processes: JSON lines.

- A child writes **one JSON object per line** on its standard output, nothing else there:
  `take_stdout()` gives it that channel and points fd 1 and `sys.stdout` at stderr, so what
  the generated code it runs prints cannot corrupt the protocol.
- A **one-shot child** (`harness`, `probe`, `catalog`) reads its request from argv or stdin
  and prints its result as its **last line**; the parent reads it with `last_json_line` from
  the captured output (None when the child died before it could answer).
- A **long-lived child** (`zygote`, `text2ml.optimization.worker`) first says it is ready,
  then answers each request line on its stdin with one line, or with several where the
  request asks for it (a trial's intermediate `report` lines, each answered by the parent);
  the parent parses each line with `read_message`.

Messages are plain JSON: numpy scalars and arrays become numbers and lists, anything else
unknown its `str()`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return str(value)


def line(message: dict[str, Any]) -> str:
    """One message as the line that carries it (newline included)."""
    return json.dumps(message, default=_plain) + "\n"


def say(message: dict[str, Any], channel: TextIO | None = None) -> None:
    """Send one message on `channel` (default: stdout) and flush it."""
    stream = channel if channel is not None else sys.stdout
    stream.write(line(message))
    stream.flush()


def take_stdout() -> TextIO:
    """The child's channel to its parent: the real stdout. From now on fd 1 and `sys.stdout`
    write to stderr, so prints of the code the child runs stay out of the protocol."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def read_message(text: str | bytes) -> dict[str, Any]:
    """One line a child (or parent) sent, as the message it carries."""
    return json.loads(text)


def last_json_line(output: str) -> Any:
    """The result of a one-shot child: the last line of its output that is a JSON object,
    or None when there is none."""
    for text in reversed(output.splitlines()):
        if text.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                continue
    return None
