"""The parent's side of a warm worker: start it under limits, send trials, kill it when stuck."""

from __future__ import annotations

import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import line as protocol_line
from text2ml.synthesis.children.protocol import read_message
from text2ml.synthesis.sandbox import box
from text2ml.synthesis.sandbox.deadline import Deadline, kill_group
from text2ml.synthesis.sandbox.environment import child_env

START_TIMEOUT = 120.0  # loading the data and importing the libraries


class WorkerLost(Exception):
    """The worker died or was killed; the message is the reason a trial failed."""


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
        # (when it arrived, the line): a batch's trial starts when the one before it replied
        self.lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self.stderr = tempfile.TemporaryFile(mode="w+b")
        self.private = Path(tempfile.mkdtemp(prefix="text2ml-box-"))
        self.rows = {}

    def start(self) -> None:
        self.stderr.seek(0)
        self.stderr.truncate()
        self.lines = queue.Queue()
        folder = self.program_dir.resolve()
        # In the box: killing the group kills bwrap, and the box's PID namespace with it.
        command = box.wrap([sys.executable, "-m", "text2ml.optimization.worker", str(folder)],
                           cwd=folder, writable=[self.private, folder],
                           die_with_parent=False)  # started from a trial thread
        self.proc = subprocess.Popen(
            command, cwd=folder, env=child_env(self.private, threads=1), text=True, bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            start_new_session=True, preexec_fn=_limit_memory(self.memory_mb))
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        ready = self._next(Deadline(START_TIMEOUT), "starting the worker")
        if ready.get("type") != "ready":
            self.kill()
            raise WorkerLost(ready.get("reason", f"the worker did not start: {ready}"))
        self.rows: dict[str, int] = ready.get("rows", {})

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[tuple[float, str | None]]
              ) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.monotonic(), line))
        lines.put((time.monotonic(), None))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the whole process group: a candidate may have started children of its own."""
        if self.proc is None:
            return
        kill_group(self.proc.pid)
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
        shutil.rmtree(self.private, ignore_errors=True)

    def _stderr_tail(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-3:])

    def _next(self, deadline: Deadline, doing: str) -> dict[str, Any]:
        return self.receive(deadline, doing)[1]

    def receive(self, deadline: Deadline, doing: str) -> tuple[float, dict[str, Any]]:
        """The worker's next message and when it arrived; past the deadline or on cancel the
        worker is killed and WorkerLost says why."""
        while True:
            why = deadline.why_stop()
            if why is not None:
                self.kill()
                raise WorkerLost("cancelled" if why == "cancelled"
                                 else f"timed out after {doing}; the worker was killed")
            remaining = deadline.remaining()
            try:
                arrived, line = self.lines.get(
                    timeout=0.2 if remaining is None else min(0.2, remaining))
            except queue.Empty:
                continue
            if line is None:
                code = box.returncode(self.proc.wait()) if self.proc else None
                self.proc = None
                raise WorkerLost(_death_reason(code, self.memory_mb, self._stderr_tail()))
            return arrived, read_message(line)

    def send(self, message: dict[str, Any]) -> float:
        """Write one request or answer without waiting for the reply; when it was sent."""
        if not self.alive():
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(protocol_line(message))
            self.proc.stdin.flush()
        except BrokenPipeError:  # it just died: `receive` reads the end and says why
            pass
        return time.monotonic()

    def run(self, request: dict[str, Any], timeout: float,
            on_report: Callable[[int, float], bool] | None = None,
            cancel: threading.Event | None = None) -> dict[str, Any]:
        """Send one request; `on_report(step, value)` answers whether to prune."""
        deadline = Deadline(timeout, cancel, self.send(request))
        while True:
            reply = self._next(deadline, f"{timeout:g}s (the per-trial limit)")
            if reply.get("type") != "report":
                if reply.get("fatal"):
                    self.kill()
                return reply
            prune = on_report(reply["step"], reply["value"]) if on_report else False
            self.send({"prune": bool(prune)})


def _death_reason(code: int | None, memory_mb: int, stderr_tail: str) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = f" (likely out of memory: the limit is {memory_mb} MB)" \
            if name in ("SIGKILL", "SIGSEGV", "SIGABRT") else ""
        return f"the worker died with {name}{hint}: {stderr_tail}"
    return f"the worker exited with code {code}: {stderr_tail}"
