"""A test failure's traceback as the user wants to read it: the frames of their own modules
first, each at its own file and line, library frames after, and text2ml's own frames (the
harness that ran the module) left out — they say nothing about what to fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import text2ml.optimization
import text2ml.server
import text2ml.synthesis

FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')
LIBRARY_FRAMES = 3  # innermost frames of other code kept after the user's


@dataclass(frozen=True)
class Frame:
    file: Path
    line: int  # 1-based
    function: str
    code: str  # the source line the traceback shows, stripped; "" when it shows none

    def describe(self) -> str:
        named = self.function and self.function != "<module>"
        where = f"in {self.function}" if named else "at import"
        return f"{where}: {self.code}" if self.code else where


def text2ml_dirs() -> list[Path]:
    """Where text2ml's own code is (the three packages may live in separate folders)."""
    return [Path(package.__file__).resolve().parent
            for package in (text2ml.synthesis, text2ml.server, text2ml.optimization)
            if package.__file__]


def parse_frames(traceback: str) -> list[Frame]:
    """Frames in the order Python prints them (outermost first)."""
    frames: list[Frame] = []
    lines = traceback.splitlines()
    for index, text in enumerate(lines):
        match = FRAME.match(text)
        if match is None:
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        code = "" if FRAME.match(following) or not following or following.startswith(
            ("Traceback", "^", "~")) else following
        frames.append(Frame(Path(match["file"]), int(match["line"]), match["function"] or "",
                            code))
    return frames


def inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def ordered_frames(traceback: str, program_dir: Path,
                   own_dirs: list[Path] | None = None) -> list[Frame]:
    """The user's frames (files in the program folder), innermost first, then up to
    LIBRARY_FRAMES innermost frames of other code; text2ml's frames are dropped."""
    own = text2ml_dirs() if own_dirs is None else own_dirs
    frames = list(reversed(parse_frames(traceback)))
    users = [f for f in frames if inside(f.file, program_dir)]
    others = [f for f in frames if f not in users and not any(inside(f.file, d) for d in own)]
    return users + others[:LIBRARY_FRAMES]


def without_text2ml_frames(traceback: str, own_dirs: list[Path] | None = None) -> str:
    """The traceback's text with text2ml's frames (and the source line under each) removed."""
    own = text2ml_dirs() if own_dirs is None else own_dirs
    kept: list[str] = []
    skipping = False
    for text in traceback.splitlines():
        match = FRAME.match(text)
        if match is not None:
            skipping = any(inside(Path(match["file"]), d) for d in own)
        elif not text.startswith(" "):
            skipping = False  # "Traceback (...)", the exception line
        if not skipping:
            kept.append(text)
    return "\n".join(kept)
