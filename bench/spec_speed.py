"""Seconds per `text2ml spec` call, as a user runs it (a fresh process each time), on the
example tasks and a vague one. Run on an idle machine; writes bench/results/spec_speed.md.

    .venv/bin/python bench/spec_speed.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3


def time_spec(task: Path) -> tuple[float, int]:
    seconds = []
    code = 0
    for _ in range(RUNS):
        started = time.monotonic()
        code = subprocess.run([sys.executable, "-m", "text2ml.server.cli", "spec", str(task)],
                              capture_output=True, text=True).returncode
        seconds.append(time.monotonic() - started)
    return statistics.median(seconds), code


def main() -> int:
    tasks = sorted((ROOT / "examples" / "tasks").glob("*.py"))
    with tempfile.TemporaryDirectory() as folder:
        vague = Path(folder) / "vague.py"
        vague.write_text("# TASK: make it good\n")
        rows = [(task.name, *time_spec(task)) for task in [*tasks, vague]]
    lines = ["# `text2ml spec` speed", "",
             f"Median of {RUNS} runs, a fresh `text2ml spec FILE` process each (imports, "
             "cached catalog, sandboxed probe of the data; no LLM call was needed).", "",
             "| task | seconds | exit code |", "|---|---|---|"]
    lines += [f"| {name} | {seconds:.2f} | {code} |" for name, seconds, code in rows]
    out = ROOT / "bench" / "results" / "spec_speed.md"
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
