"""A warm parent for sandboxed runs: imports the heavy libraries once, then forks per run.

Started by `text2ml.synthesis.sandbox.warm`; speaks JSON lines (`children.protocol`): first
    {"ready": true}
then, for each request on stdin
    {"id", "module", "argv", "cwd", "stdin", "stdout", "stderr", "memory", "cpu"}
(file paths for the three streams, limits in bytes and seconds). It answers
    {"id", "pid"}                      once the run has started (its own process group),
    {"id", "status", "maxrss_kb"}      when it has ended.
Single-threaded on purpose: forking a process that has other threads can deadlock the child.
"""

from __future__ import annotations

import os
import resource
import runpy
import select
import sys
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


def main() -> int:
    for name in PRELOAD:
        __import__(name)
    running: dict[int, str] = {}  # pid → request id
    _say({"ready": True})
    pending = b""
    open_input = True
    while open_input or running:
        readable, _, _ = select.select([0] if open_input else [], [], [], 0.02)
        if readable:
            chunk = os.read(0, 65536)
            if not chunk:
                open_input = False  # the parent is gone: nobody will stop a runaway run
                for pid in running:
                    kill_group(pid)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                request = read_message(line)
                pid = os.fork()
                if pid == 0:
                    _child(request)
                running[pid] = request["id"]
                _say({"id": request["id"], "pid": pid})
        while running:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            _say({"id": running.pop(pid), "status": status, "maxrss_kb": usage.ru_maxrss})
    return 0


if __name__ == "__main__":
    sys.exit(main())
