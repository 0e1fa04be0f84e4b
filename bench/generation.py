"""Generation benchmark: every example task with the configured LLM (default: embedded).

Run by hand on an otherwise idle machine:  python bench/generation.py [TASK.py ...]
Writes bench/results/generation.md and .json: wall time from `text2ml generate` to a tested
program, LLM calls, prompt/completion tokens, repairs, slot pass rate, metric.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from text2ml.synthesis.children.protocol import last_json_line

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "tasks"
RESULTS = ROOT / "bench" / "results"


def run_task(task: Path, work: Path) -> dict:
    out = work / task.stem
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "text2ml.server.cli", "generate", str(task),
                           "--out", str(out), "--json"], capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    summary = last_json_line(proc.stdout) or {"ok": False, "error": proc.stderr[-500:]}
    tests_ok = False
    if summary.get("ok"):
        tested = subprocess.run([sys.executable, "-m", "text2ml.server.cli", "test", str(out)],
                                capture_output=True, text=True, cwd=ROOT)
        tests_ok = tested.returncode == 0
    return {"task": task.name, "seconds": round(seconds, 1), "ok": bool(summary.get("ok")),
            "tests_passed": tests_ok, "score": (summary.get("score") or {}).get("score"),
            "metric": (summary.get("score") or {}).get("metric"),
            "stats": summary.get("stats", {}), "error": summary.get("error")}


def table(rows: list[dict]) -> str:
    lines = ["| task | ok | tests | seconds | LLM calls | prompt tok | completion tok | "
             "LLM s | repairs | autofixes | slots passed by LLM | metric |", "|---" * 12 + "|"]
    for r in rows:
        s = r["stats"]
        score = f"{r['metric']} {r['score']:.3f}" if r["score"] is not None else r["error"]
        lines.append(f"| {r['task']} | {r['ok']} | {r['tests_passed']} | {r['seconds']} | "
                     f"{s.get('llm_calls')} | {s.get('prompt_tokens')} | "
                     f"{s.get('completion_tokens')} | {s.get('llm_seconds')} | "
                     f"{s.get('repairs')} | {s.get('autofixes')} | "
                     f"{s.get('slots_with_llm_pass')}/{s.get('slots')} | {score} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/text2ml-bench")
    parser.add_argument("tasks", nargs="*")
    args = parser.parse_args()
    tasks = [EXAMPLES / t for t in args.tasks] or sorted(EXAMPLES.glob("*.py"))
    rows = [run_task(task, Path(args.work)) for task in tasks]
    passed = sum(r["stats"].get("slots_with_llm_pass", 0) for r in rows)
    slots = sum(r["stats"].get("slots", 0) for r in rows)
    median = statistics.median(r["seconds"] for r in rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "generation.json").write_text(json.dumps(rows, indent=2))
    (RESULTS / "generation.md").write_text(
        f"# Generation benchmark\n\nMachine: 2 cores, no GPU. Run: {time.strftime('%Y-%m-%d')}."
        f"\n\n{table(rows)}\n\nMedian wall time: {median:.1f} s. Slots passed by an LLM "
        f"candidate within the repair budget: {passed}/{slots} "
        f"({100 * passed / max(slots, 1):.0f}%).\n")
    print((RESULTS / "generation.md").read_text())


if __name__ == "__main__":
    main()
