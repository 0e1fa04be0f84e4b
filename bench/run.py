"""The benchmark suite: twelve offline tasks, text2ml against the alternatives a user has.

Run by hand on an otherwise idle machine (`pip install -e '.[bench]'` first):

    python bench/run.py                               # every task, every contender
    python bench/run.py --tasks digits,wine_cultivar --contenders text2ml,flaml
    python bench/run.py --base-url URL --model NAME --name gpt   # another LLM

Resumable: a finished (task, contender) pair is kept in bench/results/<name>.json and
skipped on the next run (--fresh starts over). Writes bench/results/<name>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.llm.backend import open_llm
from text2ml.synthesis.llm.settings import resolve_llm_settings
from text2ml.synthesis.sandbox.limits import Limits, run_python

from contest.single_shot import run_single_shot
from contest.suite import BenchTask, Reference, load_suite
from contest.tables import CONTENDERS, TITLES, markdown, usage_table
from contest.text2ml_runs import ROOT, run_generate, run_optimize

RESULTS = ROOT / "bench" / "results"
DEFAULT_ATTEMPTS = 8  # single shot, when text2ml's own call count is not known


def run_flaml(ref: Reference, budget: float) -> dict[str, Any]:
    child = Path(__file__).resolve().parent / "contest" / "flaml_child.py"
    started = time.monotonic()
    result = run_python([str(child), str(ref.folder), str(budget)], cwd=ref.folder,
                        limits=Limits(wall_seconds=budget * 2 + 300, memory_mb=8192,
                                      threads=2))
    reply = last_json_line(result.stdout)
    row = {"runnable": bool(result.ok and reply), "score": (reply or {}).get("score"),
           "seconds": round(time.monotonic() - started, 1), "llm_calls": 0,
           "note": (reply or {}).get("best_model") or f"FLAML {result.reason}"}
    return row


def run_one(task: BenchTask, contender: str, done: dict[str, Any], args: argparse.Namespace,
            work: Path) -> dict[str, Any]:
    if contender == "text2ml":
        return run_generate(task, work, args.llm_flags, args.budget)
    if contender == "text2ml_opt":
        generated = done.get("text2ml") or run_generate(task, work, args.llm_flags,
                                                        args.budget)
        return run_optimize(task, generated, args.budget)
    if contender == "recipes_only":  # the LLM's own contribution: the same without it
        generated = run_generate(task, work, [*args.llm_flags, "--recipes-only"], args.budget,
                                 "recipes_only")
        return run_optimize(task, generated, args.budget)
    ref = Reference(task, work / "reference")
    if contender == "flaml":
        return run_flaml(ref, args.budget)
    llm, _ = open_llm(args.llm_settings, None)
    calls = (done.get("text2ml") or {}).get("llm_calls") or DEFAULT_ATTEMPTS
    grounded = contender == "single_shot_grounded"
    return run_single_shot(task, ref, llm, work / contender, grounded=grounded,
                           attempts=calls, budget=args.budget)


def save(path: Path, results: dict[str, Any], tasks: list[BenchTask], meta: dict) -> None:
    write_atomic(path.with_suffix(".json"), json.dumps({**meta, "tasks": results}, indent=2,
                                                       default=str) + "\n")
    head = (f"# Benchmark suite: {meta['name']}\n\nLLM: {meta['llm']}; wall-clock budget "
            f"{meta['budget']:.0f} s per task and contender; machine: {meta['machine']}.\n"
            "Made by `python bench/run.py` (bench/run.py, bench/contest/, bench/tasks/).\n\n")
    write_atomic(path.with_suffix(".md"), head + markdown(tasks, results)
                 + "\n## LLM use and notes\n\n" + usage_table(tasks, results))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help="comma-separated task names (default: all)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated, of {', '.join(CONTENDERS)}")
    parser.add_argument("--budget", type=float, default=150.0,
                        help="wall-clock seconds per task and contender")
    parser.add_argument("--name", default="embedded-0.5b", help="results file name")
    parser.add_argument("--work", default="/tmp/text2ml-suite", help="scratch folder")
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    args = parser.parse_args(argv)
    args.llm_flags = [f for k in ("base_url", "model") if getattr(args, k)
                      for f in (f"--{k.replace('_', '-')}", getattr(args, k))]
    args.llm_settings = resolve_llm_settings({"base_url": args.base_url, "model": args.model})
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    suite = load_suite()
    chosen = set(args.tasks.split(",")) if args.tasks else {t.name for t in suite}
    tasks = [t for t in suite if t.name in chosen]
    contenders = [c for c in CONTENDERS if c in args.contenders.split(",")]
    path = RESULTS / f"{args.name}.json"
    results: dict[str, Any] = {} if args.fresh or not path.exists() else \
        json.loads(path.read_text())["tasks"]
    if args.fresh:
        shutil.rmtree(args.work, ignore_errors=True)
    meta = {"name": args.name, "budget": args.budget, "machine": f"{os.cpu_count()} cores",
            "llm": args.llm_settings.model or "embedded qwen2.5-coder-0.5b"}
    pairs = [(t, c) for t in tasks for c in contenders if c not in results.get(t.name, {})]
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns) as bar:
        job = bar.add_task("suite", total=len(pairs))
        for task, contender in pairs:
            bar.update(job, description=f"{task.name} · {TITLES[contender]}")
            done = results.setdefault(task.name, {})
            done[contender] = run_one(task, contender, done, args, Path(args.work) / task.name)
            save(path, results, [t for t in suite if t.name in results], meta)
            bar.advance(job)
    save(path, results, [t for t in suite if t.name in results], meta)
    print(f"results: {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
