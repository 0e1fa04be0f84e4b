"""A warm parent for sandboxed runs: imports the heavy libraries once, then forks per run.

Started by `text2ml.synthesis.sandbox.warm` inside the box; speaks JSON lines
(`children.protocol`): first
    {"ready": true}
then, for each request on stdin
    {"id", "module", "argv", "cwd", "stdin", "stdout", "stderr", "tmp", "memory", "cpu"}
(file paths for the three streams, the run's temp folder, limits in bytes and seconds), or
    {"kill": id}                       kill that run and everything it started.
It answers
    {"id", "pid"}                      once the run has started (its own process group),
    {"id", "status", "maxrss_kb"}      when it has ended.
With `--sweep-orphans` (inside the box, where this process is alone in its PID namespace
with bwrap's init) every process that left its run and was adopted by init is killed
whenever a run ends: a double-forked daemon does not outlive the run that started it.
Single-threaded on purpose: forking a process that has other threads can deadlock the child.
"""

from __future__ import annotations

import os
import resource
import runpy
import select
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import read_message, say
from text2ml.synthesis.sandbox.deadline import kill_group

# What every contract test needs; importing it here saves each run about 2.5 s.
PRELOAD = ("numpy", "pandas", "sklearn.base", "sklearn.pipeline", "sklearn.compose",
           "sklearn.preprocessing", "sklearn.impute", "sklearn.ensemble", "sklearn.linear_model",
           "sklearn.metrics", "sklearn.model_selection", "sklearn.neighbors", "sklearn.svm",
           "sklearn.tree", "sklearn.decomposition", "text2ml.synthesis.profiles")


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the run. Never returns."""
    code = 1
    try:
        os.setsid()
        if request["memory"]:
            resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        if request["cpu"]:
            resource.setrlimit(resource.RLIMIT_CPU, (request["cpu"], request["cpu"] + 5))
        os.chdir(request["cwd"])
        os.environ["TMPDIR"] = tempfile.tempdir = request["tmp"]
        for fd, path, mode in ((0, request["stdin"], os.O_RDONLY),
                               (1, request["stdout"], os.O_WRONLY),
                               (2, request["stderr"], os.O_WRONLY)):
            target = os.open(path, mode)
            os.dup2(target, fd)
            os.close(target)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.argv = [request["module"], *request["argv"]]
        sys.path[0] = os.getcwd()
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - report like an interpreter would, then exit
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _say(message: dict[str, Any]) -> None:
    say(message, sys.__stdout__)


def _orphans() -> list[int]:
    """Processes of this PID namespace adopted by its init (pid 1), other than this one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (1, os.getpid()):
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
        if parent == 1:
            found.append(int(entry.name))
    return found


def sweep_orphans() -> None:
    """Kill the adopted processes until none is left (one may fork while we look)."""
    for _ in range(50):
        orphans = _orphans()
        if not orphans:
            return
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


class Runs:
    """The runs in progress, by pid and by request id."""

    def __init__(self, sweep: bool) -> None:
        self.ids: dict[int, str] = {}
        self.sweep = sweep

    def start(self, request: dict[str, Any]) -> None:
        if "kill" in request:
            for pid, run_id in self.ids.items():
                if run_id == request["kill"]:
                    kill_group(pid)
            return
        pid = os.fork()
        if pid == 0:
            _child(request)
        self.ids[pid] = request["id"]
        _say({"id": request["id"], "pid": pid})

    def reap(self) -> None:
        while self.ids:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                return
            if pid not in self.ids:
                continue  # not a run: an orphan this process adopted as pid 1's stand-in
            kill_group(pid)  # what the run left behind in its group
            if self.sweep:
                sweep_orphans()
            _say({"id": self.ids.pop(pid), "status": status, "maxrss_kb": usage.ru_maxrss})


def main(argv: list[str]) -> int:
    for name in PRELOAD:
        __import__(name)
    runs = Runs(sweep="--sweep-orphans" in argv)
    _say({"ready": True})
    pending = b""
    open_input = True
    while open_input or runs.ids:
        readable, _, _ = select.select([0] if open_input else [], [], [], 0.02)
        if readable:
            chunk = os.read(0, 65536)
            if not chunk:
                open_input = False  # the parent is gone: nobody will stop a runaway run
                for pid in runs.ids:
                    kill_group(pid)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                runs.start(read_message(line))
        runs.reap()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # no teardown of pandas and scikit-learn: the parent may be exiting
