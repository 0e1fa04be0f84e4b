"""The parent's side of a warm worker: start it under limits, send trials, kill it when stuck."""

from __future__ import annotations

import json
import os
import queue
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from text2ml.synthesis.sandbox.limits import scrubbed_env

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
START_TIMEOUT = 120.0  # loading the data and importing the libraries


class WorkerLost(Exception):
    """The worker died or was killed; the message is the reason a trial failed."""


def worker_env() -> dict[str, str]:
    """No secrets, one thread per BLAS/OpenMP pool, and the optimizer importable."""
    env = dict(scrubbed_env())
    env.update({name: "1" for name in THREAD_VARS})
    env["MPLBACKEND"] = "Agg"
    return env


def _limit_memory(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


class WorkerProcess:
    """One warm worker; `run` sends a request and waits for the reply within a deadline."""

    def __init__(self, program_dir: Path, memory_mb: int) -> None:
        self.program_dir, self.memory_mb = Path(program_dir), memory_mb
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = tempfile.TemporaryFile(mode="w+b")
        self.rows = {}

    def start(self) -> None:
        self.stderr.seek(0)
        self.stderr.truncate()
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "text2ml.optimization.worker", str(self.program_dir)],
            cwd=self.program_dir, env=worker_env(), text=True, bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            start_new_session=True, preexec_fn=_limit_memory(self.memory_mb))
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        ready = self._next(time.monotonic() + START_TIMEOUT, "starting the worker")
        if ready.get("type") != "ready":
            self.kill()
            raise WorkerLost(ready.get("reason", f"the worker did not start: {ready}"))
        self.rows: dict[str, int] = ready.get("rows", {})

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the whole process group: a candidate may have started children of its own."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def close(self) -> None:
        if self.alive():
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        self.stderr.close()

    def _stderr_tail(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-3:])

    def _next(self, deadline: float, doing: str,
              cancel: threading.Event | None = None) -> dict[str, Any]:
        while True:
            if cancel is not None and cancel.is_set():
                self.kill()
                raise WorkerLost("cancelled")
            wait = min(0.2, deadline - time.monotonic())
            if wait <= 0:
                self.kill()
                raise WorkerLost(f"timed out after {doing}; the worker was killed")
            try:
                line = self.lines.get(timeout=wait)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait() if self.proc else None
                self.proc = None
                raise WorkerLost(_death_reason(code, self.memory_mb, self._stderr_tail()))
            return json.loads(line)

    def run(self, request: dict[str, Any], timeout: float,
            on_report: Callable[[int, float], bool] | None = None,
            cancel: threading.Event | None = None) -> dict[str, Any]:
        """Send one request; `on_report(step, value)` answers whether to prune."""
        if not self.alive():
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        deadline = time.monotonic() + timeout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        while True:
            reply = self._next(deadline, f"{timeout:g}s (the per-trial limit)", cancel)
            if reply.get("type") != "report":
                if reply.get("fatal"):
                    self.kill()
                return reply
            prune = on_report(reply["step"], reply["value"]) if on_report else False
            self.proc.stdin.write(json.dumps({"prune": bool(prune)}) + "\n")
            self.proc.stdin.flush()


def _death_reason(code: int | None, memory_mb: int, stderr_tail: str) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = f" (likely out of memory: the limit is {memory_mb} MB)" \
            if name in ("SIGKILL", "SIGSEGV", "SIGABRT") else ""
        return f"the worker died with {name}{hint}: {stderr_tail}"
    return f"the worker exited with code {code}: {stderr_tail}"
