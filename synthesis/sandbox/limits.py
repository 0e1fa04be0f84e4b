"""Run generated code in a child Python with limits: wall clock, CPU, memory, threads.

The child runs inside the box (`sandbox.box`: no network, writes only in its folder and a
private temp folder, its own PID namespace) with an allow-listed environment and the program
folder as its working directory. Output goes to temporary files rather than pipes, so a
chatty child can never block on a full pipe while we wait for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from text2ml.synthesis.sandbox import box
from text2ml.synthesis.sandbox.deadline import Deadline, kill_group, watch
from text2ml.synthesis.sandbox.environment import child_env

__all__ = ["Limits", "SandboxResult", "limit_hit", "run_python", "tail"]

OUTPUT_LIMIT = 1_000_000  # characters of stdout/stderr kept; the tail matters most

# Runs first in the box: fork the real command under the limits, wait for it, and write its
# wait status and peak memory to a file (bwrap itself reports a signal as exit 128+n and
# keeps no resource usage of what ran inside).
_SUPERVISOR = (
    "import os, resource, sys\n"
    "mem, cpu, status_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    if mem > 0: resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "    if cpu > 0: resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))\n"
    "    os.execv(sys.executable, [sys.executable, *sys.argv[4:]])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(status_file, 'w') as out: out.write(f'{status} {usage.ru_maxrss}')\n"
    "os._exit(0)\n"
)
_MEMORY_ERRORS = ("MemoryError", "Unable to allocate", "std::bad_alloc",
                  "DefaultCPUAllocator: can't allocate memory", "Cannot allocate memory")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0
    cpu_seconds: int | None = None
    memory_mb: int | None = 2048
    threads: int = 1


@dataclass
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    killed: str | None  # "timeout", "memory", "cpu", "cancelled" or None
    peak_rss_mb: float
    limits: Limits

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None

    @property
    def reason(self) -> str:
        """How the run ended, worded to follow 'the test run …' or 'pipeline.py …'."""
        if self.killed == "timeout":
            return f"did not finish within {self.limits.wall_seconds:g} s and was stopped"
        if self.killed == "memory":
            return f"ran out of memory (limit {self.limits.memory_mb} MB) and was stopped"
        if self.killed == "cpu":
            return f"used more than {self.limits.cpu_seconds} s of CPU and was stopped"
        if self.killed == "cancelled":
            return "was cancelled"
        if self.returncode < 0:
            return f"crashed (signal {signal.Signals(-self.returncode).name})"
        if self.returncode:
            last = next((ln for ln in reversed(self.stderr.splitlines()) if ln.strip()), "")
            return f"failed with exit code {self.returncode}" + (f": {last}" if last else "")
        return "finished"


def run_python(args: list[str], *, cwd: Path | str, limits: Limits = Limits(),
               env_extra: dict[str, str] | None = None, stdin: str | None = None,
               cancel: threading.Event | None = None) -> SandboxResult:
    """Run `python *args` in `cwd` under `limits`; never raises for what the child does."""
    cwd = Path(cwd).resolve()
    memory = (limits.memory_mb or 0) * 1024 * 1024
    private = Path(tempfile.mkdtemp(prefix="text2ml-box-"))
    status_file = private / "status"
    command = box.wrap([sys.executable, "-c", _SUPERVISOR, str(memory),
                        str(limits.cpu_seconds or 0), str(status_file), *args],
                       cwd=cwd, writable=[private, cwd])
    try:
        with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as out, \
                tempfile.TemporaryFile() as err:
            given.write((stdin or "").encode())
            given.seek(0)
            deadline = Deadline(limits.wall_seconds, cancel)
            child = subprocess.Popen(command, cwd=str(cwd), stdin=given, stdout=out,
                                     stderr=err, env=child_env(private, limits.threads, env_extra),
                                     start_new_session=True)
            status, peak_kb, killed = _wait(child, deadline)
            seconds = time.monotonic() - deadline.started
            stdout, stderr = tail(out), tail(err)
        status, peak_kb = _reported(status_file, status, peak_kb)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    returncode = os.waitstatus_to_exitcode(status)
    if killed is None:
        killed = limit_hit(returncode, stderr, limits)
    return SandboxResult(returncode, stdout, stderr, seconds, killed, peak_kb / 1024, limits)


def _reported(status_file: Path, status: int, peak_kb: int) -> tuple[int, int]:
    """The command's own wait status and peak memory, as the supervisor wrote them; the
    outer process's when the supervisor did not get to write (killed with the box)."""
    try:
        own_status, own_peak = status_file.read_text().split()
        return int(own_status), max(int(own_peak), peak_kb)
    except (OSError, ValueError):
        return status, peak_kb


def _wait(child: subprocess.Popen[bytes], deadline: Deadline) -> tuple[int, int, str | None]:
    """Wait for the child with wait4 (for its peak memory); kill its group when it must stop."""
    ended: list[tuple[int, int]] = []

    def wait_end(seconds: float) -> bool:
        done, status, usage = os.wait4(child.pid, os.WNOHANG)
        if done:
            child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
            ended.append((status, usage.ru_maxrss))
            return True
        deadline.pause(seconds)
        return False

    # The group is bwrap's (a host pid); killing bwrap ends the whole box with it.
    killed = watch(lambda: kill_group(child.pid), wait_end, deadline)
    status, peak_kb = ended[0]
    return status, peak_kb, killed


def limit_hit(returncode: int, stderr: str, limits: Limits) -> str | None:
    if returncode == 0:
        return None
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL and limits.cpu_seconds):
        return "cpu"
    if returncode == -signal.SIGKILL:
        return "memory"  # the kernel's OOM killer is the only other sender of SIGKILL here
    tail = stderr[-4000:]
    if limits.memory_mb and any(marker in tail for marker in _MEMORY_ERRORS):
        return "memory"
    return None


def tail(handle: IO[bytes]) -> str:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - OUTPUT_LIMIT))
    return handle.read().decode("utf-8", errors="replace")
