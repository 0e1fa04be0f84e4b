"""`text2ml optimize` and `text2ml worker`, added to the main CLI by server/cli.py."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from text2ml.optimization.study import (
    OptimizeOptions,
    TrialProgress,
    optimize_program,
    run_worker,
)
from text2ml.synthesis.errors import run_cli


def _options(args: argparse.Namespace) -> OptimizeOptions:
    return OptimizeOptions(trials=args.trials, timeout=args.timeout, jobs=args.jobs,
                           storage=args.storage, seed=args.seed,
                           trial_timeout=args.trial_timeout, memory_mb=args.memory_mb,
                           proxies=not args.no_proxies)


def _cancel_on_ctrl_c() -> threading.Event:
    """Ctrl-C stops the study cleanly: running trials end, finished ones stay stored."""
    cancel = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        print("\nstopping: finishing cleanly (Ctrl-C again to abort)", file=sys.stderr)
        cancel.set()

    signal.signal(signal.SIGINT, stop)
    return cancel


def cmd_optimize(args: argparse.Namespace) -> int:
    """OptimizeError, ProgramError, SearchSpaceError: UserErrors that `run_cli` prints (exit 2)."""
    cancel = _cancel_on_ctrl_c()
    options = _options(args)
    if args.json:
        result = optimize_program(Path(args.dir), options, cancel=cancel)
    else:
        counts = "{task.completed}/{task.total} trials  best {task.fields[best]}"
        with Progress(TextColumn("[bold]optimize"), BarColumn(), TextColumn(counts),
                      TimeElapsedColumn(), TextColumn("{task.fields[last]}")) as bar:
            task = bar.add_task("trials", total=options.trials, best="—", last="")

            def show(p: TrialProgress) -> None:
                best = f"{p.best_value:.4g}" if p.best_value is not None else "—"
                bar.update(task, completed=p.trial, best=best, last=p.message[:70])

            result = optimize_program(Path(args.dir), options, on_progress=show, cancel=cancel)
    summary = {**result.__dict__, "report_path": str(result.report_path)}
    if args.json:
        print(json.dumps(summary))
    else:
        test = f"{result.test_score:.4f}" if result.test_score is not None else "not scored"
        print(f"best valid {result.metric}: {result.best_value:.4f}  test: {test}  "
              f"({result.n_complete} complete, {result.n_pruned} pruned, "
              f"{result.n_failed} failed)\nreport: {result.report_path}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    cancel = _cancel_on_ctrl_c()
    ran = run_worker(Path(args.dir), args.storage, _options(args), cancel)
    print(json.dumps({"trials_run": ran}) if args.json else f"ran {ran} trials")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="the program folder (the one holding pipeline.py)")
    parser.add_argument("--trials", type=int, default=40,
                        help="the study's total number of trials (re-running resumes up to it)")
    parser.add_argument("--timeout", type=float, default=None, help="wall-clock budget, seconds")
    parser.add_argument("--jobs", type=int, default=1, help="warm worker processes")
    parser.add_argument("--seed", type=int, default=0, help="sampler seed (TPE)")
    parser.add_argument("--trial-timeout", type=float, default=300.0,
                        help="seconds before a trial is killed and marked failed")
    parser.add_argument("--memory-mb", type=int, default=4096, help="memory limit per worker")
    parser.add_argument("--no-proxies", action="store_true",
                        help="train every torch network, even those the zero-cost proxy ranks low")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")


def add_optimize_commands(subparsers: Any) -> None:
    optimize = subparsers.add_parser("optimize", help="search candidates and hyperparameters")
    _common(optimize)
    optimize.add_argument("--storage", default=None,
                          help="Optuna storage URL (default: sqlite in <dir>/.text2ml/study.db; "
                          "journal:///path for a journal file; postgresql://... to share)")
    optimize.set_defaults(func=cmd_optimize)
    worker = subparsers.add_parser("worker", help="join a program's study on a shared storage")
    _common(worker)
    worker.add_argument("--storage", required=True, help="the study's Optuna storage URL")
    worker.set_defaults(func=cmd_worker)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m text2ml.optimization.cli")
    add_optimize_commands(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return run_cli(args.func, args, prog="text2ml")


if __name__ == "__main__":
    sys.exit(main())
