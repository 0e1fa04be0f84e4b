"""`text2ml optimize`, `text2ml worker` and `text2ml storage-proxy`, added to the main CLI by
server/cli.py."""

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
                           proxies=not args.no_proxies, heartbeat=args.heartbeat,
                           ensemble=getattr(args, "ensemble", OptimizeOptions.ensemble))


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
        kept = " (the ensemble)" if (result.ensemble or {}).get("kept") else ""
        print(f"best valid {result.metric}: {result.best_value:.4f}  test{kept}: {test}  "
              f"({result.n_complete} complete, {result.n_pruned} pruned, "
              f"{result.n_failed} failed)\nreport: {result.report_path}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    cancel = _cancel_on_ctrl_c()
    options = _options(args)
    options.trials = OptimizeOptions.trials  # the study's total only if no optimize set one
    ran = run_worker(Path(args.dir), args.storage, options, cancel, own_trials=args.trials)
    print(json.dumps({"trials_run": ran}) if args.json else f"ran {ran} trials")
    return 0


def cmd_storage_proxy(args: argparse.Namespace) -> int:
    from text2ml.optimization.storage_proxy import serve_storage_proxy  # imports grpc

    try:
        serve_storage_proxy(args.storage, args.host, args.port, args.heartbeat)
    except KeyboardInterrupt:
        pass
    return 0


def _heartbeat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--heartbeat", type=int, default=OptimizeOptions.heartbeat,
                        help="seconds between a trial's heartbeats on a shared storage; a trial "
                        "silent for 3 of them (its worker was killed) is failed and run again")


def _common(parser: argparse.ArgumentParser, trials: int | None, trials_help: str) -> None:
    parser.add_argument("dir", help="the program folder (the one holding pipeline.py)")
    parser.add_argument("--trials", type=int, default=trials, help=trials_help)
    parser.add_argument("--timeout", type=float, default=None, help="wall-clock budget, seconds")
    _heartbeat(parser)
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
    _common(optimize, OptimizeOptions.trials,
            "the study's total number of trials (re-running resumes up to it)")
    optimize.add_argument("--storage", default=None,
                          help="Optuna storage URL (default: sqlite in <dir>/.text2ml/study.db; "
                          "journal:///path for a journal file; postgresql://... or "
                          "grpc://HOST:PORT (text2ml storage-proxy) to share)")
    optimize.add_argument("--ensemble", type=int, default=OptimizeOptions.ensemble,
                          help="after the study, the greedy ensemble chooses among this many "
                          "best distinct trials, kept where it wins on validation (0: none)")
    optimize.set_defaults(func=cmd_optimize)
    worker = subparsers.add_parser("worker", help="join a program's study on a shared storage")
    _common(worker, None, "stop after this many trials of this worker (default: when the "
            "study has the trials its optimize asked for)")
    worker.add_argument("--storage", required=True, help="the study's Optuna storage URL")
    worker.set_defaults(func=cmd_worker)
    proxy = subparsers.add_parser("storage-proxy",
                                  help="serve a study storage to many workers over gRPC")
    proxy.add_argument("--storage", required=True, help="the RDB storage URL (postgresql://...)")
    proxy.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (0.0.0.0: every interface)")
    proxy.add_argument("--port", type=int, default=13000, help="port to listen on")
    _heartbeat(proxy)
    proxy.set_defaults(func=cmd_storage_proxy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m text2ml.optimization.cli")
    add_optimize_commands(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return run_cli(args.func, args, prog="text2ml")


if __name__ == "__main__":
    sys.exit(main())
