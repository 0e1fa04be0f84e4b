"""Plain records shared by the synthesis steps, the optimizer and the front doors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from text2ml.synthesis.errors import UserError


@dataclass
class Failure:
    """One failed check of one candidate module, precise enough to act on."""

    slot: str
    candidate: str
    check: str
    message: str
    file: str | None = None
    line: int | None = None  # 1-based, as tracebacks and editors show it
    traceback: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self) -> str:
        where = self.file or f"{self.slot}/{self.candidate}"
        return f"{where}:{self.line}" if self.line else where


@dataclass
class ProgressEvent:
    """A step of a long job: what happens now and how far along the job is (0..1)."""

    stage: str
    message: str
    fraction: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


class TaskError(UserError):
    """The task block cannot be turned into a program; the message says what is missing."""


class Cancelled(Exception):
    """The user cancelled the job; finished work is kept."""
