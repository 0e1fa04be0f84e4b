"""Sandboxed runs forked from a warm parent (`text2ml.synthesis.children.zygote`) instead of a
cold interpreter.

A contract test spends about 2.5 s importing pandas and scikit-learn before it does
anything; forked from a process that already imported them it starts in milliseconds.
The limits, the allow-listed environment and the result are those of `sandbox.run_python`,
which remains the fallback whenever the warm parent is unavailable.

The warm parent lives inside a box (`sandbox.box`) whose only writable folders are one run
folder and the box's private temp folder, so there is one warm parent per folder that runs
write (the few most recent are kept). Its pids are those of the box's PID namespace, so the
parent never signals them itself: it asks the warm parent to kill a run.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import line as protocol_line
from text2ml.synthesis.children.protocol import read_message
from text2ml.synthesis.sandbox import box
from text2ml.synthesis.sandbox.deadline import Deadline, watch
from text2ml.synthesis.sandbox.environment import child_env
from text2ml.synthesis.sandbox.limits import Limits, SandboxResult, limit_hit, run_python, tail

START_SECONDS = 60.0
DEFAULT_LIMITS = Limits()
KEPT_PARENTS = 3  # warm parents kept alive, one per folder (each holds ~150 MB of imports)


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
    """One warm parent for runs that write in `folder` (threads = 1); thread-safe."""

    def __init__(self, folder: Path) -> None:
        self._runs: dict[str, _Run] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.folder = folder
        self.identity = _identity(folder)
        self.leases = 0  # callers between `_shared` and the end of their run; guarded by the
        # module's _zygote_lock, so a warm parent about to be used is never closed
        self.private = Path(tempfile.mkdtemp(prefix="text2ml-box-"))
        boxed = box.available()
        command = [sys.executable, "-m", "text2ml.synthesis.children.zygote",
                   *(["--sweep-orphans"] if boxed else [])]
        self.log = self.private / "zygote.log"  # why it died, for the error message
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                box.wrap(command, cwd=folder, writable=[self.private, folder],
                         die_with_parent=False),  # ends when its stdin closes
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env=child_env(self.private, 1), cwd=folder, start_new_session=True)
        threading.Thread(target=self._read, daemon=True, name="text2ml-zygote").start()
        if not self._ready.wait(START_SECONDS) or self.proc.poll() is not None:
            why = self.log_tail()
            self.close()
            raise ZygoteError(f"the warm test process did not start: {why}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace").strip()[-500:]
        except OSError:
            return ""

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def usable(self) -> bool:
        """Alive, and its folder is still the one its box binds: a folder deleted and made
        again (a staging folder, a test's) would be read-only in the old box."""
        return self.alive and _identity(self.folder) == self.identity

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


    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(protocol_line(message).encode())
        self.proc.stdin.flush()

    def start(self, request: dict[str, Any]) -> tuple[str, _Run]:
        run_id = str(next(self._ids))
        run = _Run()
        with self._lock:
            self._runs[run_id] = run
            self._send({**request, "id": run_id})
        if not run.started.wait(START_SECONDS) or not run.pid:
            raise ZygoteError(f"the warm test process did not start the run (exit "
                              f"{self.proc.poll()}): {self.log_tail()}")
        return run_id, run

    def kill(self, run_id: str) -> None:
        """Ask the warm parent to kill the run and everything it started."""
        with self._lock:
            if run_id in self._runs and not self._runs[run_id].ended.is_set():
                try:
                    self._send({"kill": run_id})
                except OSError:  # the warm parent is gone, and its box with it
                    pass

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def close(self) -> None:
        """Ended at once: a parent still importing its libraries is killed (an exit must not
        wait for it); a ready one ends its runs and exits when its stdin closes."""
        try:
            if not self._ready.is_set():
                self.proc.kill()
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.private, ignore_errors=True)


_zygotes: OrderedDict[Path, Zygote] = OrderedDict()
_zygote_lock = threading.Lock()


def _shared(folder: Path) -> Zygote:
    """The warm parent whose box may write `folder`, started on first use; the least
    recently used idle ones beyond KEPT_PARENTS are closed."""
    with _zygote_lock:
        zygote = _zygotes.get(folder)
        if zygote is None or not zygote.usable:
            if zygote is not None and not zygote.leases:
                zygote.close()
            zygote = _zygotes[folder] = Zygote(folder)
            atexit.register(zygote.close)
        _zygotes.move_to_end(folder)
        zygote.leases += 1
        idle = [f for f, z in _zygotes.items() if not z.leases]
        for old in idle[:max(0, len(_zygotes) - KEPT_PARENTS)]:
            _zygotes.pop(old).close()
        return zygote


def _identity(folder: Path) -> tuple[int, int]:
    try:
        info = folder.stat()
    except OSError:
        return (0, 0)
    return (info.st_dev, info.st_ino)


def _release(zygote: Zygote) -> None:
    with _zygote_lock:
        zygote.leases -= 1
        replaced = _zygotes.get(zygote.folder) is not zygote
    if replaced and not zygote.leases:
        zygote.close()


def run_module(module: str, argv: list[str], *, cwd: Path | str, limits: Limits = DEFAULT_LIMITS,
               stdin: str | None = None, cancel: threading.Event | None = None
               ) -> SandboxResult:
    """`python -m module *argv` under `limits`, forked warm when it can be."""
    if limits.threads != 1 or os.environ.get("TEXT2ML_COLD_SANDBOX"):
        return run_python(["-m", module, *argv], cwd=cwd, limits=limits, stdin=stdin,
                          cancel=cancel)
    folder = Path(cwd).resolve()
    try:
        zygote = _shared(folder)
    except (OSError, ZygoteError):
        return run_python(["-m", module, *argv], cwd=cwd, limits=limits, stdin=stdin,
                          cancel=cancel)
    try:
        return _run_warm(zygote, module, argv, folder, limits, stdin, cancel)
    finally:
        _release(zygote)


def _run_warm(zygote: Zygote, module: str, argv: list[str], folder: Path, limits: Limits,
              stdin: str | None, cancel: threading.Event | None) -> SandboxResult:
    with tempfile.TemporaryDirectory(prefix="run-", dir=zygote.private) as run_dir:
        paths = {name: os.path.join(run_dir, name) for name in ("stdin", "stdout", "stderr")}
        Path(paths["stdin"]).write_text(stdin or "")
        Path(paths["stdout"]).touch()
        Path(paths["stderr"]).touch()
        request = {"module": module, "argv": argv, "cwd": str(folder), **paths,
                   "tmp": run_dir, "memory": (limits.memory_mb or 0) * 1024 * 1024,
                   "cpu": limits.cpu_seconds}
        deadline = Deadline(limits.wall_seconds, cancel)
        run_id, run = zygote.start(request)
        killed = watch(lambda: zygote.kill(run_id), run.ended.wait, deadline)
        zygote.forget(run_id)
        seconds = time.monotonic() - deadline.started
        with open(paths["stdout"], "rb") as out, open(paths["stderr"], "rb") as err:
            stdout, stderr = tail(out), tail(err)
    returncode = os.waitstatus_to_exitcode(run.status)
    killed = killed or limit_hit(returncode, stderr, limits)
    return SandboxResult(returncode, stdout, stderr, seconds, killed, run.maxrss_kb / 1024,
                         limits)
