"""The embedded LLM: one llama.cpp server per user, started on demand, shared, self-stopping.

The server runs `text2ml.synthesis.children.llm_server` as a detached child on 127.0.0.1 and a free
port. A small JSON state file in the user cache folder, guarded by a file lock, lets every
text2ml process find and reuse the running server; a stale file (dead process, port not
answering) is cleaned up. The server stops by itself after `idle_timeout` seconds without
requests, so nothing lingers after the editor closes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.llm.model_files import (
    DEFAULT_MODEL,
    cache_root,
    ensure_model_file,
    model_file_location,
)
from text2ml.synthesis.sandbox.environment import thread_env

START_TIMEOUT_S = 120.0
PROMPT_CACHE_BYTES = 1 << 30
_PORT_RETRIES = 3
_LOG_TAIL_LINES = 25
_LAUNCHER = "text2ml.synthesis.children.llm_server"
# text2ml.synthesis.children.llm_server's exit codes, without importing llama_cpp here
_EXIT_MODEL_FAILED = 3
_EXIT_PORT_TAKEN = 4
_children: dict[int, subprocess.Popen[bytes]] = {}  # reaped here so no zombie lingers


class EmbeddedServerError(UserError, RuntimeError):
    """The embedded server could not start or answer; the message says why and what to do."""


@dataclass
class EmbeddedServer:
    base_url: str  # ends in /v1, ready for openai.OpenAI(base_url=...)
    model_alias: str
    pid: int
    port: int
    model_path: str
    n_ctx: int = 8192
    log_path: str = ""


def state_dir(cache_dir: Path | None = None) -> Path:
    return cache_root(cache_dir) / "embedded"


def _state_file(cache_dir: Path | None) -> Path:
    return state_dir(cache_dir) / "server.json"


def _lock(cache_dir: Path | None) -> FileLock:
    folder = state_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # held while a server starts, so the wait covers a full start
    return FileLock(str(folder / "server.lock"), timeout=START_TIMEOUT_S * _PORT_RETRIES + 30)


def ensure_server(model: str = DEFAULT_MODEL, *, n_ctx: int = 8192, idle_timeout: float = 900,
                  cache_dir: Path | None = None, port: int | None = None,
                  prompt_cache_bytes: int = PROMPT_CACHE_BYTES) -> EmbeddedServer:
    """The running server for `model` (a known name or a .gguf path), started if needed.

    `prompt_cache_bytes` sizes llama.cpp's RAM prompt cache, which keeps the KV state of
    recent prompts so alternating shared prefixes are reused; 0 keeps only the last one."""
    model_path = str(ensure_model_file(model, cache_dir))
    with _lock(cache_dir):
        running = _live_server(cache_dir)
        if running and running.model_path == model_path and running.n_ctx >= n_ctx:
            return running
        if running:  # one server per user: a different model replaces it
            _terminate(running.pid)
        _state_file(cache_dir).unlink(missing_ok=True)
        server = _start(model, model_path, n_ctx, idle_timeout, cache_dir, port,
                        prompt_cache_bytes=prompt_cache_bytes)
        _write_state(cache_dir, {"server": asdict(server), "started_at": time.time()})
        return server


def stop_server(cache_dir: Path | None = None) -> bool:
    """Stop the user's embedded server, if one runs; True when one was stopped."""
    with _lock(cache_dir):
        state = _read_state(cache_dir)
        _state_file(cache_dir).unlink(missing_ok=True)
        server = _server_from(state)
        if server is None or not _pid_alive(server.pid) or not _is_launcher(server.pid):
            return False
        _terminate(server.pid)
        return True


def server_status(model: str = DEFAULT_MODEL, cache_dir: Path | None = None) -> dict[str, Any]:
    """What `text2ml llm status` shows about the embedded backend."""
    state = _read_state(cache_dir)
    server = _server_from(state)
    stats = _get(server, "/text2ml/stats") if server and _pid_alive(server.pid) else None
    running = stats is not None
    measured = _speed(stats) if stats else None
    if measured:
        _remember_speed(cache_dir, measured)
    speed = measured or state.get("speed")
    model_path = server.model_path if server else str(model_file_location(model, cache_dir))
    return {"backend": "embedded", "model": server.model_alias if server else model,
            "model_path": model_path, "model_file_exists": Path(model_path).is_file(),
            "running": running, "pid": server.pid if running and server else None,
            "url": server.base_url if running and server else None,
            "tokens_per_s": speed, "log": str(state_dir(cache_dir) / "server.log")}


def _remember_speed(cache_dir: Path | None, speed: dict[str, float]) -> None:
    """Keep the last measured speed in the state file, to show once the server has stopped."""
    try:
        with _lock(cache_dir).acquire(timeout=2):  # a server starting holds it: skip then
            state = _read_state(cache_dir)
            if state:
                _write_state(cache_dir, {**state, "speed": speed})
    except Timeout:
        return


def launcher_command(model_path: str, alias: str, port: int, *, n_ctx: int = 8192,
                     idle_timeout: float = 0.0, host: str = "127.0.0.1",
                     prompt_cache_bytes: int = PROMPT_CACHE_BYTES) -> list[str]:
    threads = os.cpu_count() or 1
    return [sys.executable, "-m", _LAUNCHER, "--model", model_path, "--alias", alias,
            "--host", host, "--port", str(port), "--n-ctx", str(n_ctx),
            "--n-threads", str(threads), "--idle-timeout", str(idle_timeout),
            "--cache-bytes", str(prompt_cache_bytes)]


def launcher_env() -> dict[str, str]:
    """llama.cpp sizes its own thread pool from --n-threads; BLAS pools stay at one thread so
    they do not compete with it on a small machine."""
    env = {**os.environ, **thread_env(1), "OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    env.pop("CONFIG_FILE", None)  # llama_cpp.server would take its settings from that file
    return env


def _start(model: str, model_path: str, n_ctx: int, idle_timeout: float,
           cache_dir: Path | None, port: int | None,
           foreground: bool = False,
           prompt_cache_bytes: int = PROMPT_CACHE_BYTES) -> EmbeddedServer:
    """Launch and wait until healthy. In the foreground the server shares this terminal
    (its output, and Ctrl-C); in the background it has its own session and a log file."""
    alias = model if not model.lower().endswith(".gguf") else Path(model_path).stem
    log_path = state_dir(cache_dir) / "server.log"
    for attempt in range(1 if port else _PORT_RETRIES):
        chosen = port or _free_port()
        command = launcher_command(model_path, alias, chosen, n_ctx=n_ctx,
                                   idle_timeout=idle_timeout,
                                   prompt_cache_bytes=prompt_cache_bytes)
        if foreground:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, env=launcher_env())
        else:
            with log_path.open("wb") as log:
                child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=launcher_env(),
                                         start_new_session=True)  # a client's Ctrl-C spares it
        _children[child.pid] = child
        server = EmbeddedServer(f"http://127.0.0.1:{chosen}/v1", alias, child.pid, chosen,
                                model_path, n_ctx, "" if foreground else str(log_path))
        code = _wait_healthy(child, server, log_path)
        if code is None:
            return server
        if code != _EXIT_PORT_TAKEN or port or attempt == _PORT_RETRIES - 1:
            raise EmbeddedServerError(_start_failure(code, None if foreground else log_path))
    raise EmbeddedServerError(_start_failure(_EXIT_PORT_TAKEN, log_path))


def serve_foreground(model: str = DEFAULT_MODEL, *, port: int | None = None,
                     n_ctx: int = 8192, cache_dir: Path | None = None,
                     on_ready: Callable[[EmbeddedServer], None] | None = None) -> int:
    """Run the server attached to this terminal until Ctrl-C; registered in the state file
    meanwhile, so text2ml clients use it too. Returns the server's exit code."""
    model_path = str(ensure_model_file(model, cache_dir))
    with _lock(cache_dir):
        running = _live_server(cache_dir)
        if running:  # one server per user: the one asked for in the foreground wins
            _terminate(running.pid)
        server = _start(model, model_path, n_ctx, 0.0, cache_dir, port, foreground=True)
        _write_state(cache_dir, {"server": asdict(server), "started_at": time.time()})
    child = _children[server.pid]
    try:
        if on_ready:
            on_ready(server)
        return child.wait()
    except KeyboardInterrupt:  # the server got the same SIGINT: let it finish shutting down
        try:
            return child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return 0
    finally:
        _terminate(server.pid)
        with _lock(cache_dir):
            if (_server_from(_read_state(cache_dir)) or server).pid == server.pid:
                _state_file(cache_dir).unlink(missing_ok=True)


def _wait_healthy(child: subprocess.Popen[bytes], server: EmbeddedServer,
                  log_path: Path) -> int | None:
    """None once the server answers; the exit code if it died first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        code = child.poll()
        if code is not None:
            _children.pop(child.pid, None)
            return code
        if _answers(server):
            return None
        time.sleep(0.2)
    _terminate(child.pid)
    raise EmbeddedServerError(
        f"the embedded model server did not answer within {START_TIMEOUT_S:.0f} s "
        f"and was stopped. Last lines of {log_path}:\n{_log_tail(log_path)}")


def _start_failure(code: int, log_path: Path | None) -> str:
    if code == _EXIT_PORT_TAKEN:
        why = "its port was already in use"
    elif code == _EXIT_MODEL_FAILED:
        why = "the model failed to load (damaged file or not enough memory)"
    elif code in (-signal.SIGKILL, 137):
        why = "it was killed, most likely for lack of memory"
    else:
        why = f"it exited with code {code}"
    shown = f" Last lines of {log_path}:\n{_log_tail(log_path)}\n" if log_path else " "
    return (f"the embedded model server could not start: {why}.{shown}"
            "To use another endpoint instead, set TEXT2ML_BASE_URL.")


def _log_tail(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(empty log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(server: EmbeddedServer, path: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """One of the launcher's own endpoints, which answer even while a completion runs; None
    unless it names our model (a port reused by another program fails this)."""
    url = server.base_url.removesuffix("/v1") + path
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            answer = json.load(reply)
    except (OSError, ValueError):
        return None
    ours = isinstance(answer, dict) and answer.get("model") == server.model_alias
    return answer if ours else None


def _answers(server: EmbeddedServer) -> bool:
    return _get(server, "/text2ml/health") is not None


def _speed(stats: dict[str, Any]) -> dict[str, float] | None:
    if not stats.get("generated_tokens") or not stats.get("generation_ms"):
        return None
    return {"prompt": round(stats["prompt_tokens"] / max(stats["prompt_ms"], 1e-9) * 1e3, 1),
            "generation": round(stats["generated_tokens"] / stats["generation_ms"] * 1e3, 1)}


def _live_server(cache_dir: Path | None) -> EmbeddedServer | None:
    """The server in the state file if it is alive and answers; a stale one is cleaned up."""
    server = _server_from(_read_state(cache_dir))
    if server is None:
        return None
    if _pid_alive(server.pid) and _answers(server):
        return server
    if _pid_alive(server.pid) and _is_launcher(server.pid):
        _terminate(server.pid)  # ours but hung: it would hold memory and a port forever
    _state_file(cache_dir).unlink(missing_ok=True)
    return None


def _server_from(state: dict[str, Any]) -> EmbeddedServer | None:
    try:
        return EmbeddedServer(**state["server"])
    except (KeyError, TypeError):
        return None


def _read_state(cache_dir: Path | None) -> dict[str, Any]:
    try:
        state = json.loads(_state_file(cache_dir).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(cache_dir: Path | None, state: dict[str, Any]) -> None:
    path = _state_file(cache_dir)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(state, indent=2))
    os.replace(temporary, path)


def _pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_launcher(pid: int) -> bool:
    """Only signal a process that is really our launcher (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid in _children  # no /proc (macOS): only trust children of this process
    return _LAUNCHER.encode() in cmdline


def _terminate(pid: int, grace_s: float = 10.0) -> None:
    """Stop the server (with its process group when it leads one): SIGTERM, then SIGKILL."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and _pid_alive(pid):
            time.sleep(0.1)
        if not _pid_alive(pid):
            break
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=5)
