"""Trials per minute with one vs two `text2ml worker`s on one PostgreSQL study (issue 17).

    python bench/postgres_workers.py [--window SECONDS] [--repeat PAIRS] [--out FILE.md]

A throw-away PostgreSQL server on 127.0.0.1 (tests/optimization/postgres_server.py; Debian's
`postgresql` package, scripts/setup.sh installs it). The program is the wine test fixture
with a CPU-bound training candidate: after the fit it does a fixed amount of arithmetic
(matrix products, one BLAS thread), so a trial costs CPU, not waiting. For 1 and then 2
workers, in a fresh database: the workers run with `--timeout WINDOW`; throughput counts
the trials that finished while every worker was warm (from the last worker's first trial
start to the first worker's last trial end: start-up excluded), per minute of that span.
Goal: two workers >= 1.7x one. The machine's load average and each run's core share (how
much of a core the candidate's arithmetic got) are written with the numbers, as other jobs
on the machine take cores from the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "optimization"))  # the test suite's server helper

import optuna  # noqa: E402
from postgres_server import PostgresServer, unavailable  # noqa: E402

from text2ml.optimization.program_info import load_program  # noqa: E402
from text2ml.optimization.shared_study import record_target  # noqa: E402
from text2ml.optimization.storage import open_storage  # noqa: E402
from text2ml.optimization.study import OptimizeOptions, open_study  # noqa: E402

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}
TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"
CPU_BOUND_TRAINING = '''"""Fit, then a fixed amount of arithmetic: a CPU-bound trial. Each fit
appends its arithmetic's wall and CPU seconds to fits.log: how much of a core it got."""
import time

import numpy as np

SEARCH_SPACE = {}
ROUNDS = 400  # about 0.2 s per fold on one idle core of the bench machine


def train(model, X_train, y_train, X_valid, y_valid, params: dict, report=None):
    wall, cpu = time.perf_counter(), time.process_time()
    a = np.random.default_rng(0).standard_normal((200, 200))
    for _ in range(ROUNDS):
        a = np.tanh(a @ a / 200.0)
    with open("fits.log", "a") as log:
        log.write(f"{time.perf_counter() - wall} {time.process_time() - cpu}\\n")
    return model.fit(X_train, y_train)
'''


def make_program(folder: Path) -> Path:
    program = Path(shutil.copytree(ROOT / "tests" / "fixtures" / "programs" / "wine",
                                   folder / "wine"))
    shutil.copy(TEMPLATE, program / "pipeline.py")
    (program / "candidates" / "training" / "c1.py").write_text(CPU_BOUND_TRAINING)
    return program


def run_workers(program: Path, url: str, workers: int, window: float) -> dict:
    """Start `workers` workers on a fresh study for the window; their throughput while all
    were warm."""
    info = load_program(program)
    study = open_study(info, OptimizeOptions(storage=url))
    record_target(study, OptimizeOptions(trials=10**6))  # only their --timeout stops them
    text2ml = Path(sys.executable).with_name("text2ml")
    command = [str(text2ml), "worker", str(program), "--storage", url, "--json",
               "--timeout", str(window), "--memory-mb", "2048"]
    load_before = os.getloadavg()
    procs = [subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
             for _ in range(workers)]
    ran = [json.loads(p.communicate()[0].strip().splitlines()[-1])["trials_run"] for p in procs]
    load_after = os.getloadavg()
    trials = optuna.load_study(study_name=info.study_name,
                               storage=open_storage(program, url)).get_trials()
    return {"workers": workers, "ran": ran, "load": (load_before, load_after),
            "core_share": _core_share(program), **_warm_throughput(trials)}


def _core_share(program: Path) -> float:
    """CPU seconds / wall seconds of the candidate's arithmetic, over every fit: 1.0 when a
    worker had a core to itself; less when other jobs (or the other worker) took it."""
    fits = [tuple(map(float, line.split()))
            for line in (program / "fits.log").read_text().splitlines()]
    return sum(cpu for _, cpu in fits) / sum(wall for wall, _ in fits)


def _warm_throughput(trials: list[optuna.trial.FrozenTrial]) -> dict:
    done = [t for t in trials if t.datetime_complete is not None]
    by_worker: dict[str, list[optuna.trial.FrozenTrial]] = {}
    for t in done:
        by_worker.setdefault(t.user_attrs.get("worker", "?"), []).append(t)
    start = max(min(t.datetime_start for t in ts) for ts in by_worker.values())
    end = min(max(t.datetime_complete for t in ts) for ts in by_worker.values())
    inside = [t for t in done if t.datetime_start >= start and t.datetime_complete <= end]
    span = (end - start).total_seconds()
    seconds = [(t.datetime_complete - t.datetime_start).total_seconds() for t in inside]
    return {"span": span, "trials": len(inside), "per_minute": 60 * len(inside) / span,
            "trial_seconds": sorted(seconds)[len(seconds) // 2] if seconds else None}


def _mean_rate(runs: list[dict], workers: int) -> float:
    rates = [r["per_minute"] for r in runs if r["workers"] == workers]
    return sum(rates) / len(rates)


def write_results(out: Path, runs: list[dict], window: float, pg_version: str,
                  note: str) -> None:
    ratio = _mean_rate(runs, 2) / _mean_rate(runs, 1)
    rows = [f"| {r['workers']} | {r['trials']} | {r['span']:.0f} | {r['per_minute']:.1f} | "
            f"{r['trial_seconds']:.2f} | {r['core_share']:.2f} | "
            f"{', '.join(map(str, r['ran']))} | "
            f"{r['load'][0][0]:.2f} → {r['load'][1][0]:.2f} |" for r in runs]
    text = f"""# PostgreSQL workers: trials per minute, one vs two workers

`python bench/postgres_workers.py --window {window:g} --repeat {len(runs) // 2}` on \
{datetime.now(UTC):%Y-%m-%d %H:%M} UTC (runs in the order shown: 1, 2, 2, 1, ... workers, so a
load that drifts weighs on both alike);
{os.cpu_count()} cores; PostgreSQL {pg_version} on 127.0.0.1 (fsync off), one database per
run; the wine fixture with a CPU-bound training candidate (fixed arithmetic after each fit,
one BLAS thread), 5-fold CV per trial; heartbeats every 30 s. Throughput counts the trials
finished while every worker was warm.

| workers | trials in span | span (s) | trials/min | median trial (s) | core share \
| ran per worker | load avg (1 min) before → after |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

**Two workers / one: {ratio:.2f}×** (mean trials/min of the two-worker runs over the
one-worker runs; goal ≥ 1.7×).

Core share is CPU seconds / wall seconds of the candidate's fixed arithmetic over every fit
(1.0: the worker had a core to itself; less: other jobs, or the other worker, had it).

{note}
"""
    out.write_text(text)
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=90.0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="pairs of runs, in the order 1, 2, 2, 1, ... workers")
    parser.add_argument("--note", default="", help="a line about the machine, for the results")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" /
                        "postgres_workers.md")
    args = parser.parse_args()
    why = unavailable()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    server = PostgresServer().start()
    folder = Path(tempfile.mkdtemp(prefix="text2ml-bench-"))
    try:
        pg_version = server.bin.parent.name if server.bin else "?"
        runs = []
        order = [n for i in range(args.repeat) for n in ((1, 2) if i % 2 == 0 else (2, 1))]
        for i, workers in enumerate(order):
            program = make_program(folder / f"run{i}")
            runs.append(run_workers(program, server.database(f"run{i}"), workers,
                                    args.window))
            print(f"{workers} worker(s): {runs[-1]['per_minute']:.1f} trials/min", flush=True)
        write_results(args.out, runs, args.window, pg_version, args.note)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
