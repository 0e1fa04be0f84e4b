"""The environment of every child process text2ml starts: no secrets, pinned thread pools."""

from __future__ import annotations

import os
import re

SECRET = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
# The thread pools of BLAS, OpenMP and numexpr: each sizes itself to every core unless told.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def thread_env(threads: int = 1) -> dict[str, str]:
    """Every thread-pool variable set to `threads`."""
    return {name: str(threads) for name in THREAD_VARIABLES}


def scrubbed_env(threads: int = 1, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without secrets, with thread counts pinned."""
    env = {k: v for k, v in os.environ.items() if not SECRET.search(k)}
    env.update(thread_env(threads))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["MPLBACKEND"] = "Agg"
    env.update(extra or {})
    return env
