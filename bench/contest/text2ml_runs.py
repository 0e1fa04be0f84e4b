"""Contenders 1 and 2: `text2ml generate` (then the program's own final score), and
`text2ml optimize` on the same program with what is left of the wall-clock budget; and
"recipes only": the same two steps with `--recipes-only` (no LLM writes a module)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.layout import PIPELINE, read_program_json
from text2ml.synthesis.sandbox.limits import Limits, run_python

from contest.suite import BenchTask

ROOT = Path(__file__).resolve().parent.parent.parent
FINAL_LIMITS = Limits(wall_seconds=900, memory_mb=6144, threads=2)


def cli(args: list[str], timeout: float) -> tuple[dict[str, Any] | None, str, float]:
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "text2ml.server.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"stopped after {timeout:.0f} s", time.monotonic() - started
    return last_json_line(proc.stdout), proc.stderr[-800:], time.monotonic() - started


def final_score(program: Path) -> tuple[float | None, str]:
    """`python pipeline.py --final`, as a user would run it; None with the reason if it fails."""
    result = run_python([PIPELINE, "--final"], cwd=program, limits=FINAL_LIMITS)
    reply = last_json_line(result.stdout)
    if not result.ok or reply is None:
        return None, f"pipeline.py --final {result.reason}"
    return reply["score"], ""


def misread(program: Path, task: BenchTask) -> str:
    """What text2ml understood differently from the suite (so its score is not comparable)."""
    meta = read_program_json(program) or {}
    wrong = [f"{key} {meta.get(key)!r} instead of {want!r}" for key, want in
             (("target", task.target), ("metric", task.metric),
              ("problem_type", task.problem_type)) if meta.get(key) != want]
    return "; ".join(wrong)


def run_generate(task: BenchTask, work: Path, llm_flags: list[str],
                 budget: float, folder: str = "text2ml") -> dict[str, Any]:
    """`folder`: "recipes_only" (with llm_flags ["--recipes-only"]) keeps that contender's
    program apart from the LLM's."""
    program = work / folder
    summary, stderr, seconds = cli(["generate", str(task.file), "--out", str(program),
                                    "--json", *llm_flags], timeout=budget * 4)
    stats = (summary or {}).get("stats", {})
    row: dict[str, Any] = {
        "runnable": False, "score": None, "seconds": round(seconds, 1),
        "llm_calls": stats.get("llm_calls"), "prompt_tokens": stats.get("prompt_tokens"),
        "completion_tokens": stats.get("completion_tokens"), "program": str(program)}
    if not summary or not summary.get("ok"):
        failures = (summary or {}).get("failures") or []
        ran = (summary or {}).get("score") or {}
        row["note"] = ran.get("error") or (failures[0].get("message", "") if failures
                                           else stderr.strip()[-300:])
        return row
    row["note"] = misread(program, task)
    if row["note"]:
        return row
    row["score"], note = final_score(program)
    row["runnable"], row["note"] = row["score"] is not None, note
    return row


def run_optimize(task: BenchTask, generated: dict[str, Any], budget: float) -> dict[str, Any]:
    """Optimize the generated program within what generation left of the budget."""
    seconds_left = max(budget - generated["seconds"], 30.0)
    row: dict[str, Any] = {"runnable": False, "score": None, "llm_calls":
                           generated.get("llm_calls"), "prompt_tokens":
                           generated.get("prompt_tokens"), "completion_tokens":
                           generated.get("completion_tokens")}
    if not generated.get("runnable"):
        row.update(seconds=generated["seconds"], note="no program to optimize")
        return row
    summary, stderr, seconds = cli(["optimize", generated["program"], "--timeout",
                                    str(int(seconds_left)), "--trials", "100000", "--trial-timeout",
                                    str(int(max(seconds_left, 60))), "--json"],
                                   timeout=seconds_left * 3 + 300)
    row["seconds"] = round(generated["seconds"] + seconds, 1)
    if not summary or summary.get("test_score") is None:
        row["note"] = stderr.strip().splitlines()[-1] if stderr.strip() else "no test score"
        return row
    row.update(runnable=True, score=summary["test_score"], trials=summary.get("n_trials"),
               note=f"{summary.get('n_complete')} trials complete")
    return row
