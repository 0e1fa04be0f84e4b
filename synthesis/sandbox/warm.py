"""Sandboxed runs forked from a warm parent (`text2ml.synthesis.children.zygote`) instead of a
cold interpreter.

A contract test spends about 2.5 s importing pandas and scikit-learn before it does
anything; forked from a process that already imported them it starts in milliseconds.
The limits, the process group, the secret-free environment and the result are those of
`sandbox.run_python`, which remains the fallback whenever the warm parent is unavailable.
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import line as protocol_line
from text2ml.synthesis.children.protocol import read_message
from text2ml.synthesis.sandbox.deadline import Deadline, watch
from text2ml.synthesis.sandbox.environment import scrubbed_env
from text2ml.synthesis.sandbox.limits import Limits, SandboxResult, limit_hit, run_python, tail

START_SECONDS = 60.0
DEFAULT_LIMITS = Limits()


class ZygoteError(RuntimeError):
    pass


@dataclass
class _Run:
    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    pid: int = 0
    status: int = 0
    maxrss_kb: int = 0


class Zygote:
    """One warm parent per process (threads = 1); thread-safe."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "text2ml.synthesis.children.zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=scrubbed_env(1),
            start_new_session=True)
        threading.Thread(target=self._read, daemon=True, name="text2ml-zygote").start()
        if not self._ready.wait(START_SECONDS) or self.proc.poll() is not None:
            self.close()
            raise ZygoteError("the warm test process did not start")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            message = read_message(line)
            if message.get("ready"):
                self._ready.set()
                continue
            with self._lock:
                run = self._runs.get(message["id"])
            if run is None:
                continue
            if "pid" in message:
                run.pid = message["pid"]
                run.started.set()
            else:
                run.status, run.maxrss_kb = message["status"], message["maxrss_kb"]
                run.ended.set()
        with self._lock:  # the zygote died: nobody will report these
            for run in self._runs.values():
                run.started.set()
                run.ended.set()
                run.status = run.status or (signal.SIGKILL & 0x7F)

    def start(self, request: dict[str, Any]) -> _Run:
        run_id = str(next(self._ids))
        run = _Run()
        with self._lock:
            self._runs[run_id] = run
            assert self.proc.stdin is not None
            self.proc.stdin.write(protocol_line({**request, "id": run_id}).encode())
            self.proc.stdin.flush()
        if not run.started.wait(START_SECONDS) or not run.pid:
            raise ZygoteError("the warm test process did not start the run")
        return run

    def forget(self, run: _Run) -> None:
        with self._lock:
            self._runs = {k: v for k, v in self._runs.items() if v is not run}

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def _shared() -> Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or not _zygote.alive:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


def run_module(module: str, argv: list[str], *, cwd: Path | str, limits: Limits = DEFAULT_LIMITS,
               stdin: str | None = None, cancel: threading.Event | None = None
               ) -> SandboxResult:
    """`python -m module *argv` under `limits`, forked warm when it can be."""
    if limits.threads != 1 or os.environ.get("TEXT2ML_COLD_SANDBOX"):
        return run_python(["-m", module, *argv], cwd=cwd, limits=limits, stdin=stdin,
                          cancel=cancel)
    try:
        zygote = _shared()
    except (OSError, ZygoteError):
        return run_python(["-m", module, *argv], cwd=cwd, limits=limits, stdin=stdin,
                          cancel=cancel)
    with tempfile.TemporaryDirectory(prefix="text2ml-run-") as folder:
        paths = {name: os.path.join(folder, name) for name in ("stdin", "stdout", "stderr")}
        Path(paths["stdin"]).write_text(stdin or "")
        Path(paths["stdout"]).touch()
        Path(paths["stderr"]).touch()
        request = {"module": module, "argv": argv, "cwd": str(cwd), **paths,
                   "memory": (limits.memory_mb or 0) * 1024 * 1024, "cpu": limits.cpu_seconds}
        deadline = Deadline(limits.wall_seconds, cancel)
        run = zygote.start(request)
        killed = watch(run.pid, run.ended.wait, deadline)
        zygote.forget(run)
        seconds = time.monotonic() - deadline.started
        with open(paths["stdout"], "rb") as out, open(paths["stderr"], "rb") as err:
            stdout, stderr = tail(out), tail(err)
    returncode = os.waitstatus_to_exitcode(run.status)
    killed = killed or limit_hit(returncode, stderr, limits)
    return SandboxResult(returncode, stdout, stderr, seconds, killed, run.maxrss_kb / 1024,
                         limits)

