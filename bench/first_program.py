"""First tested program: seconds from "task understood" to a tested, runnable program on disk.

Run by hand:  python bench/first_program.py [--recipes-only] [--until first|done] [TASK.py ...]
With the configured LLM (default: the embedded model) or with recipes only. Records, per task,
the seconds from the generation's "task understood" event to its "program" event (the
recipe program published: pipeline.py whole on disk), checks that pipeline.py then runs, and
with `--until done` the seconds to the whole program and where the LLM's tokens went per slot
(prompt vs completion). `uptime` is recorded beside the numbers: the machine may be busy.
Writes bench/results/first_program.md (appends a section per run) and .json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.generate import GenerateOptions, generate_program
from text2ml.synthesis.llm.settings import resolve_llm_settings
from text2ml.synthesis.records import Cancelled, ProgressEvent

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_TASKS = [ROOT / "examples" / "tasks" / name for name in (
    "wine_cultivar.py", "penguin_species.py", "diabetes_progression.py")]
GOAL_SECONDS = 15.0


class Clock:
    """The generation's events, stamped: when it understood the task, published the recipe
    program, saw the first candidate join."""

    def __init__(self, cancel: threading.Event, until: str) -> None:
        self.cancel, self.until = cancel, until
        self.started = time.monotonic()
        self.stamps: dict[str, float] = {}

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic() - self.started
        self.stamps.setdefault(event.stage, now)
        if event.stage == "program" and self.until == "first":
            self.cancel.set()  # measured what this run is for; the LLM part is another bench


def runs(program: Path) -> dict[str, Any] | None:
    ran = subprocess.run([sys.executable, "pipeline.py"], cwd=program, text=True,
                         capture_output=True, timeout=900)
    return last_json_line(ran.stdout) if ran.returncode == 0 else None


def run_task(task: Path, work: Path, recipes_only: bool, until: str) -> dict[str, Any]:
    folder = work / task.stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for sibling in task.parent.iterdir():  # the task's data files travel with it
        if sibling.is_file():
            shutil.copy(sibling, folder / sibling.name)
    cancel = threading.Event()
    clock = Clock(cancel, until)
    options = GenerateOptions(llm=resolve_llm_settings({}), out=folder / "program",
                              recipes_only=recipes_only)
    row: dict[str, Any] = {"task": task.name}
    try:
        result = generate_program(folder / task.name, None, options, events=clock,
                                  cancel=cancel)
        row.update(ok=result.ok, llm_calls=result.stats.get("llm_calls"),
                   prompt_tokens=result.stats.get("prompt_tokens"),
                   completion_tokens=result.stats.get("completion_tokens"),
                   whole_seconds=round(time.monotonic() - clock.started, 1))
    except Cancelled:
        row.update(ok=None)
    except Exception as exc:  # the LLM failing (a busy shared server timing out) is a result
        row.update(ok=False, error=str(exc)[:300],
                   whole_seconds=round(time.monotonic() - clock.started, 1))
    stamps = clock.stamps
    if "understood" in stamps and "program" in stamps:
        row["first_program_seconds"] = round(stamps["program"] - stamps["understood"], 1)
        row["understood_at"] = round(stamps["understood"], 1)
    if "joined" in stamps and "understood" in stamps:
        row["first_join_seconds"] = round(stamps["joined"] - stamps["understood"], 1)
    line = runs(folder / "program")
    row["pipeline_runs"] = bool(line and "score" in line)
    manifest = json.loads((folder / "program" / ".text2ml" / "manifest.json").read_text())
    row["by_slot"] = manifest.get("usage", {}).get("by_slot", {})
    row["generation"] = manifest.get("generation", {})
    return row


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| task | understood after (s) | first tested program (s) | pipeline.py runs "
             "| first candidate joined (s) | end (s) | candidates written | how it ended |",
             "|---|---:|---:|---|---:|---:|---|---|"]
    for r in rows:
        writing = r.get("generation", {})
        written = (f"{writing.get('done', 0)}/{writing.get('total', 0)}, "
                   f"{writing.get('passed', 0)} passed") if writing else "–"
        ended = r.get("error") or ("whole program" if r.get("ok") else
                                   "cancelled at the first program" if r.get("ok") is None
                                   else "incomplete")
        lines.append(f"| {r['task']} | {r.get('understood_at', '–')} | "
                     f"{r.get('first_program_seconds', '–')} | "
                     f"{'yes' if r['pipeline_runs'] else 'NO'} | "
                     f"{r.get('first_join_seconds', '–')} | {r.get('whole_seconds', '–')} | "
                     f"{written} | {ended} |")
    return lines


def token_table(rows: list[dict[str, Any]]) -> list[str]:
    """Where the tokens go, per slot: prompt vs completion, summed over the tasks."""
    total: dict[str, dict[str, float]] = {}
    for r in rows:
        for kind, tally in r.get("by_slot", {}).items():
            into = total.setdefault(kind, {"calls": 0, "prompt_tokens": 0,
                                           "completion_tokens": 0, "seconds": 0.0})
            for key, value in tally.items():
                into[key] += value
    if not total:
        return []
    lines = ["", "Where the LLM's tokens went (answered calls, summed over the tasks):", "",
             "| slot | calls | prompt tokens | completion tokens | prompt share | seconds |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, t in sorted(total.items()):
        share = t["prompt_tokens"] / max(t["prompt_tokens"] + t["completion_tokens"], 1)
        lines.append(f"| {kind} | {t['calls']:.0f} | {t['prompt_tokens']:.0f} | "
                     f"{t['completion_tokens']:.0f} | {share:.0%} | {t['seconds']:.1f} |")
    return lines


def report(rows: list[dict[str, Any]], mode: str, load: str) -> str:
    firsts = [r["first_program_seconds"] for r in rows if "first_program_seconds" in r]
    median = statistics.median(firsts) if firsts else None
    verdict = ("–" if median is None else
               f"median {median:.1f} s (goal ≤ {GOAL_SECONDS:.0f} s on an idle machine)")
    return "\n".join([f"## {mode}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
                      f"`uptime` before the run: `{load}`", "",
                      f"From \"task understood\" to the first tested program on disk: {verdict}.",
                      "", *table(rows), *token_table(rows), ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tasks", nargs="*", type=Path)
    parser.add_argument("--recipes-only", action="store_true")
    parser.add_argument("--until", choices=("first", "done"), default="done",
                        help="first: cancel once the recipe program is out")
    args = parser.parse_args()
    mode = ("recipes only" if args.recipes_only else "embedded LLM (configured model)") + (
        ", cancelled once the first program is out" if args.until == "first" else "")
    load = uptime()
    rows = []
    with tempfile.TemporaryDirectory(prefix="text2ml-first-") as tmp:
        for task in args.tasks or DEFAULT_TASKS:
            rows.append(run_task(task.resolve(), Path(tmp), args.recipes_only, args.until))
            print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = report(rows, mode, load)
    out = RESULTS / "first_program.md"
    head = "" if out.exists() else (
        "# First tested program\n\nWritten by `bench/first_program.py`: seconds from the "
        "generation's \"task understood\" to the recipe program published on disk "
        "(tested, `pipeline.py` runnable), before any module is asked of the LLM.\n\n")
    with out.open("a", encoding="utf-8") as handle:
        handle.write(head + text + "\n")
    runs_json = RESULTS / "first_program.json"
    saved = json.loads(runs_json.read_text()) if runs_json.exists() else []
    saved.append({"mode": mode, "uptime": load, "rows": rows})
    runs_json.write_text(json.dumps(saved, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
