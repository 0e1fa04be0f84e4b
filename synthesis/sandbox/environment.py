"""The environment of every child that runs generated code: an allow-list, pinned threads.

A deny-list keyed on names (…KEY, …TOKEN) let `DATABASE_URL` and webhook URLs through, so
the child gets only what Python and the numeric libraries need; everything else the parent
holds stays with the parent. HOME and TMPDIR point into the box's private temp folder, so
caches the libraries write (matplotlib, joblib) land where the run may write.
"""

from __future__ import annotations

import os
import site
from pathlib import Path

# The thread pools of BLAS, OpenMP and numexpr: each sizes itself to every core unless told.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
# Passed on from the parent when set: how to find programs and libraries, and the locale.
ALLOWED = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ",
           "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES")
FIXED = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1",
         "MPLBACKEND": "Agg"}


def thread_env(threads: int = 1) -> dict[str, str]:
    """Every thread-pool variable set to `threads`."""
    return {name: str(threads) for name in THREAD_VARIABLES}


def child_env(tmp: Path, threads: int = 1, extra: dict[str, str] | None = None
              ) -> dict[str, str]:
    """The allow-listed environment of a boxed child whose private temp folder is `tmp`."""
    env = {name: os.environ[name] for name in ALLOWED if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(thread_env(threads))
    env.update(FIXED)
    # HOME moves into the box; packages installed with `pip --user` must stay importable
    env["PYTHONUSERBASE"] = site.getuserbase()
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(tmp), MPLCONFIGDIR=str(home / ".matplotlib"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(extra or {})
    return env
