"""What the zero-cost proxy (NASWOT) saves and what it costs: torch MLP studies, on and off.

    python bench/proxies.py [--trials 30] [--seeds 0 1 2]

Two programs with one torch MLP candidate whose width and depth are searched: the wine
fixture (small data: 5-fold CV) and a digits variant (1,797 rows, 10 classes, holdout).
Each study runs with the proxy on and off, same seed, same trial count, one worker.
Writes bench/results/proxies.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

ROOT = Path(__file__).resolve().parents[1]

import optuna  # noqa: E402

from text2ml.optimization.storage import default_storage_url  # noqa: E402
from text2ml.optimization.study import OptimizeOptions, optimize_program  # noqa: E402
from text2ml.synthesis.layout import DATA, PIPELINE, candidate_path  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "programs" / "torchnet"
TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"


def make_program(kind: str, folder: Path) -> Path:
    program = folder / kind
    shutil.copytree(FIXTURE, program)
    shutil.copy(TEMPLATE, program / PIPELINE)
    if kind == "digits":
        data = (program / DATA).read_text().replace("load_wine", "load_digits")
        (program / DATA).write_text(data)
        model = candidate_path(program, "model", "c1")
        text = model.read_text().replace('"n_features": 13', '"n_features": 64')
        text = text.replace("torch.nn.Linear(size, 3)", "torch.nn.Linear(size, 10)")
        text = text.replace('"width": (1, 64)', '"width": (1, 128)').replace(
            '"epochs": 30', '"epochs": 60')
        model.write_text(text)
    return program


def run(kind: str, proxies: bool, seed: int, trials: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        program = make_program(kind, Path(folder))
        started = time.monotonic()
        result = optimize_program(program, OptimizeOptions(trials=trials, seed=seed,
                                                           proxies=proxies))
        seconds = time.monotonic() - started
        storage = default_storage_url(program)
        study = optuna.load_study(study_name=None, storage=storage) \
            if len(optuna.get_all_study_names(storage)) == 1 else None
        skipped = sum("zero-cost proxy" in t.user_attrs.get("reason", "")
                      for t in study.trials) if study else 0
    return {"seconds": seconds, "best": result.best_value, "test": result.test_score or 0.0,
            "complete": result.n_complete, "skipped": skipped}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rows = ["| program | proxy | seconds (mean) | trials trained | skipped by proxy | "
            "best valid accuracy | test accuracy |", "|---|---|---:|---:|---:|---:|---:|"]
    for kind in ("wine", "digits"):
        for proxies in (False, True):
            runs = [run(kind, proxies, seed, args.trials) for seed in args.seeds]
            mean = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
            rows.append(f"| {kind} | {'on' if proxies else 'off'} | {mean['seconds']:.1f} | "
                        f"{mean['complete']:.1f} | {mean['skipped']:.1f} | {mean['best']:.4f} | "
                        f"{mean['test']:.4f} |")
            print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    text = (f"# Zero-cost proxy (NASWOT): on vs off\n\n{args.trials} trials per study, seeds "
            f"{args.seeds} (means shown), one worker, 2-core machine (load average {load:.2f} "
            "at the end; another benchmark may have shared the machine). The proxy scores each "
            "sampled network at initialization and skips those in the lowest quarter of the "
            "scores seen so far (after 5).\n\n" + "\n".join(rows) + "\n")
    out = ROOT / "bench" / "results" / "proxies.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
