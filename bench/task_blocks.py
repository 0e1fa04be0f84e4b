"""Task-block search speed: what the language server pays on every keystroke.

Run by hand on an idle machine:  python bench/task_blocks.py
Builds a 5,000-line file from the standard library's own sources with task blocks spread
through it, and times `find_task_blocks` against a `tokenize` pass over the same text.
Writes bench/results/task_blocks.md.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from text2ml.synthesis.task import find_task_blocks  # noqa: E402

LINES = 5000
REPEATS = 50


def sample_source() -> str:
    lines: list[str] = []
    for path in sorted(Path(tokenize.__file__).parent.glob("*.py")):
        lines.extend(path.read_text(encoding="utf-8").splitlines(keepends=True))
        if len(lines) > LINES:
            break
    lines = lines[:LINES - 30]
    for at in range(0, len(lines), len(lines) // 10):  # ten comment blocks, at top level
        lines.insert(at, "# TASK: classify wine cultivars from sklearn.datasets.load_wine\n"
                         "# target `target`, accuracy.\n")
    return "".join(lines)


def timed(fn: object, source: str) -> list[float]:
    out = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn(source)  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def tokenize_all(source: str) -> None:
    try:
        for _ in tokenize.generate_tokens(io.StringIO(source).readline):
            pass
    except (tokenize.TokenError, SyntaxError):
        pass


def main() -> None:
    source = sample_source()
    n_lines = source.count("\n")
    found = len(find_task_blocks(source))
    ours, theirs = timed(find_task_blocks, source), timed(tokenize_all, source)
    no_task = source.replace("TASK:", "NOTE:")
    quick = timed(find_task_blocks, no_task)
    row = "| {} | {:.2f} | {:.2f} | {:.2f} |"
    text = "\n".join([
        "# Task-block search on a 5,000-line file",
        "",
        f"{n_lines} lines, {len(source):,} characters, {found} task blocks; "
        f"{REPEATS} runs each; Python {sys.version.split()[0]}. Goal: under 5 ms.",
        "",
        "| what | median ms | p95 ms | max ms |",
        "|---|---|---|---|",
        row.format("find_task_blocks (file with blocks)", statistics.median(ours),
                   sorted(ours)[int(0.95 * REPEATS)], max(ours)),
        row.format("find_task_blocks (no TASK: in file)", statistics.median(quick),
                   sorted(quick)[int(0.95 * REPEATS)], max(quick)),
        row.format("tokenize, for comparison", statistics.median(theirs),
                   sorted(theirs)[int(0.95 * REPEATS)], max(theirs)),
        "",
    ])
    out = ROOT / "bench" / "results" / "task_blocks.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
