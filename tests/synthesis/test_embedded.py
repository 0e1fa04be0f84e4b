"""The embedded server's life cycle: state file, reuse, stale entries, start failures, idle stop.

Fast tests use a stand-in HTTP server or none at all; `slow` ones run the real 0.5B model.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from text2ml.synthesis.children.llm_server import (
    EXIT_PORT_TAKEN,
    ClientGoneWatch,
    IdleWatchdog,
    StopForGoneClients,
)
from text2ml.synthesis.llm import embedded
from text2ml.synthesis.llm.embedded import (
    EmbeddedServer,
    EmbeddedServerError,
    ensure_server,
    server_status,
    stop_server,
)


def write_state(cache: Path, server: EmbeddedServer) -> Path:
    path = cache / "embedded" / "server.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"server": asdict(server)}))
    return path


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def fake_server(model_path: Path, pid: int, port: int, alias: str = "fake") -> EmbeddedServer:
    return EmbeddedServer(f"http://127.0.0.1:{port}/v1", alias, pid, port, str(model_path))


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF not really")
    return path


@pytest.fixture
def launcher_endpoint() -> Iterator[int]:
    """A loopback server answering the launcher's health and stats for the model 'fake'."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"model": "fake", "prompt_tokens": 100, "prompt_ms": 500,
                               "generated_tokens": 30, "generation_ms": 600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield int(httpd.server_address[1])
    httpd.shutdown()


def test_running_server_from_state_file_is_reused(tmp_path: Path, model_file: Path,
                                                  launcher_endpoint: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    running = fake_server(model_file, os.getpid(), launcher_endpoint)
    write_state(tmp_path, running)
    monkeypatch.setattr(embedded, "_start", lambda *a, **k: pytest.fail("must reuse, not start"))
    assert ensure_server(str(model_file), cache_dir=tmp_path) == running
    status = server_status(str(model_file), cache_dir=tmp_path)
    assert status["running"] and status["pid"] == os.getpid()
    assert status["url"] == running.base_url
    assert status["tokens_per_s"] == {"prompt": 200.0, "generation": 50.0}


def test_state_with_dead_pid_is_removed(tmp_path: Path, model_file: Path,
                                        launcher_endpoint: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    state = write_state(tmp_path, fake_server(model_file, dead_pid(), launcher_endpoint))
    assert server_status(str(model_file), cache_dir=tmp_path)["running"] is False
    started = fake_server(model_file, 12345, 1)
    monkeypatch.setattr(embedded, "_start", lambda *a, **k: started)
    assert ensure_server(str(model_file), cache_dir=tmp_path) == started
    assert json.loads(state.read_text())["server"]["pid"] == 12345


def test_state_with_silent_port_is_removed_and_foreign_pid_spared(
        tmp_path: Path, model_file: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        silent_port = sock.getsockname()[1]
    state = write_state(tmp_path, fake_server(model_file, os.getpid(), silent_port))
    assert stop_server(cache_dir=tmp_path) is False  # this test process is not a launcher
    assert not state.exists()
    write_state(tmp_path, fake_server(model_file, os.getpid(), silent_port))
    assert embedded._live_server(tmp_path) is None
    assert not state.exists()


def test_start_failure_shows_the_log_and_leaves_nothing(tmp_path: Path,
                                                        model_file: Path) -> None:
    with pytest.raises(EmbeddedServerError) as error:
        ensure_server(str(model_file), cache_dir=tmp_path)
    message = str(error.value)
    assert "the model failed to load" in message and "server.log" in message
    assert str(model_file) in message  # the log tail names the file that failed
    assert not (tmp_path / "embedded" / "server.json").exists()
    assert not embedded._children


def test_launcher_reports_a_taken_port_quickly(model_file: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(embedded.launcher_command(str(model_file), "a", port),
                                capture_output=True, text=True, timeout=60,
                                env=embedded.launcher_env())
    assert result.returncode == EXIT_PORT_TAKEN
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_idle_watchdog_waits_for_requests_in_flight() -> None:
    fired = threading.Event()
    watchdog = IdleWatchdog(0.3, fired.set)
    watchdog.begin()
    watchdog.start()
    assert not fired.wait(0.6)  # a long request keeps the server alive
    watchdog.end()
    assert fired.wait(60)  # at once (0.3 s) on any machine; only a broken watchdog waits on


def test_llm_status_command_reports_the_embedded_backend(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from text2ml.server.cli_llm import add_llm_commands

    for name in ("TEXT2ML_BASE_URL", "TEXT2ML_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEXT2ML_CACHE_DIR", str(tmp_path))
    parser = argparse.ArgumentParser(prog="text2ml")
    add_llm_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["llm", "status", "--json"])
    assert args.func(args) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["active"]["backend"] == "embedded"
    assert shown["embedded"]["running"] is False
    assert shown["embedded"]["model_path"].startswith(str(tmp_path / "models"))



class CountingModel:
    """Stands in for llama_cpp.Llama: a 'token' every 10 ms until max_tokens or a stop."""

    def __init__(self) -> None:
        self.tokens = 0
        self.finished = threading.Event()

    def create_completion(self, *, max_tokens: int, stopping_criteria: Any = None) -> dict:
        try:
            for _ in range(max_tokens):
                time.sleep(0.01)
                self.tokens += 1
                if stopping_criteria is not None and stopping_criteria(None, None):
                    return {"finish_reason": "stop"}
            return {"finish_reason": "length"}
        finally:
            self.finished.set()


@pytest.fixture
def watched_app() -> Iterator[tuple[str, CountingModel, StopForGoneClients]]:
    """A loopback uvicorn app with the launcher's disconnect watch, whose completion route runs
    the model in a worker thread as llama-cpp-python's does (`run_in_threadpool`)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    model = CountingModel()
    stopper = StopForGoneClients(model)

    async def complete(_request: Any) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(model.create_completion, max_tokens=60_000))

    app = Starlette(routes=[Route("/v1/chat/completions", complete, methods=["POST"])])
    app.add_middleware(ClientGoneWatch)
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", model, stopper
    server.should_exit = True
    thread.join(30)
    sock.close()


def test_a_completion_stops_when_its_client_cancels(
        watched_app: tuple[str, CountingModel, StopForGoneClients]) -> None:
    from text2ml.synthesis.llm.client import LLMClient
    from text2ml.synthesis.records import Cancelled

    base_url, model, stopper = watched_app
    cancel = threading.Event()
    client = LLMClient(base_url, None, "m", timeout=3600, max_retries=0, cancel=cancel)

    def cancel_once_generating() -> None:
        while model.tokens < 5:
            time.sleep(0.01)
        cancel.set()

    threading.Thread(target=cancel_once_generating, daemon=True).start()
    with pytest.raises(Cancelled):
        client.chat([{"role": "user", "content": "write the model"}])
    assert model.finished.wait(300)  # 600 s of 'tokens' if the stop never came
    assert model.tokens < 30_000 and stopper.stopped == 1

@pytest.fixture(scope="module")
def real_model() -> str:
    from text2ml.synthesis.llm.model_files import ensure_model_file

    return str(ensure_model_file("qwen2.5-coder-0.5b"))


@pytest.fixture
def real_server(tmp_path: Path, real_model: str) -> Iterator[EmbeddedServer]:
    server = ensure_server(real_model, cache_dir=tmp_path, n_ctx=4096)
    yield server
    stop_server(cache_dir=tmp_path)


def in_flight(server: EmbeddedServer) -> None:
    """Wait until a request is in flight: the launcher's stats (which do not count as
    activity themselves) show no idle time while one runs."""
    deadline = time.monotonic() + 300
    while (stats := embedded._get(server, "/text2ml/stats")) is None or stats["idle_s"] > 0:
        assert time.monotonic() < deadline, "the long request never reached the server"
        time.sleep(0.05)


@pytest.mark.slow
def test_real_server_answers_is_reused_and_stops(tmp_path: Path, real_model: str,
                                                 real_server: EmbeddedServer) -> None:
    import openai

    client = openai.OpenAI(base_url=real_server.base_url, api_key="unused", timeout=120)
    reply = client.chat.completions.create(
        model=real_server.model_alias, max_tokens=30,
        messages=[{"role": "user", "content": "Write a Python expression that adds 2 and 3."}])
    assert reply.choices[0].message.content and reply.usage.completion_tokens > 0
    assert ensure_server(real_model, cache_dir=tmp_path, n_ctx=4096).pid == real_server.pid
    long_reply = threading.Thread(target=client.chat.completions.create, kwargs={
        "model": real_server.model_alias, "max_tokens": 200,
        "messages": [{"role": "user", "content": "Explain gradient boosting in detail."}]})
    long_reply.start()
    in_flight(real_server)
    # a busy server is still found healthy, and at once: the health check answers while the
    # long reply is being written (a check that waited for the model would time out after
    # 2 s, and the server would be replaced: another pid), whatever this machine's speed
    assert ensure_server(real_model, cache_dir=tmp_path, n_ctx=4096).pid == real_server.pid
    assert long_reply.is_alive(), "the long reply ended before the server was found healthy"
    long_reply.join()
    speed = server_status(real_model, cache_dir=tmp_path)["tokens_per_s"]
    assert speed["generation"] > 1 and speed["prompt"] > 1
    assert stop_server(cache_dir=tmp_path) is True
    with pytest.raises(ProcessLookupError):
        os.kill(real_server.pid, 0)


@pytest.mark.slow
def test_real_server_follows_a_json_schema(real_server: EmbeddedServer) -> None:
    import openai

    schema = {"type": "object",
              "properties": {"problem": {"enum": ["classification", "regression"]},
                             "target": {"type": "string"},
                             "n_trials": {"type": "integer", "minimum": 1}},
              "required": ["problem", "target", "n_trials"], "additionalProperties": False}
    client = openai.OpenAI(base_url=real_server.base_url, api_key="unused", timeout=120)
    reply = client.chat.completions.create(
        model=real_server.model_alias, max_tokens=120, temperature=0,
        response_format={"type": "json_object", "schema": schema},  # type: ignore[typeddict-unknown-key]
        messages=[{"role": "user", "content": "Task: predict the wine cultivar (column "
                   "'cultivar') from its chemistry; try 20 configurations. Reply as JSON."}])
    jsonschema.validate(json.loads(reply.choices[0].message.content or ""), schema)


@pytest.mark.slow
def test_real_server_stops_itself_when_idle(tmp_path: Path, real_model: str) -> None:
    # idle time counts from when the server can answer (not while the model loads), and the
    # wait is generous: a busy machine only makes it slower, never failing
    server = ensure_server(real_model, cache_dir=tmp_path, n_ctx=2048, idle_timeout=3)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and embedded._pid_alive(server.pid):
        time.sleep(0.2)
    assert not embedded._pid_alive(server.pid)
    assert "idle for 3 s, stopping" in Path(server.log_path).read_text()
    assert server_status(real_model, cache_dir=tmp_path)["running"] is False


@pytest.mark.slow
def test_crashed_server_is_replaced(tmp_path: Path, real_model: str,
                                    real_server: EmbeddedServer) -> None:
    os.kill(real_server.pid, signal.SIGKILL)  # as the kernel's OOM killer would
    replacement = ensure_server(real_model, cache_dir=tmp_path, n_ctx=4096)
    assert replacement.pid != real_server.pid
    assert server_status(real_model, cache_dir=tmp_path)["running"] is True


@pytest.mark.slow
def test_concurrent_callers_share_one_server(tmp_path: Path, real_model: str) -> None:
    call = ("from pathlib import Path; from text2ml.synthesis.llm.embedded import ensure_server; "
            f"print(ensure_server({real_model!r}, cache_dir=Path({str(tmp_path)!r})).pid)")
    callers = [subprocess.Popen([sys.executable, "-c", call], stdout=subprocess.PIPE, text=True)
               for _ in range(3)]
    try:
        # the wait for the one that starts the server is bounded by ensure_server itself
        pids = {caller.communicate(timeout=900)[0].strip() for caller in callers}
    finally:
        stopped = stop_server(cache_dir=tmp_path)
    assert len(pids) == 1 and pids.pop().isdigit()
    assert stopped


def test_idle_time_counts_from_when_the_server_can_answer() -> None:
    """Loading the model took longer than the idle timeout on a busy machine, and the server
    stopped before its first health check; the watchdog now starts counting at start()."""
    from text2ml.synthesis.children.llm_server import IdleWatchdog

    watchdog = IdleWatchdog(0.0, lambda: None)
    watchdog._last_activity -= 600  # as if the model had loaded for ten minutes
    watchdog.start()
    assert watchdog.idle_for() < 300


# Issue 17: a completion whose client had gone (cancel, timeout, killed) ran to its end,
# ~93 % CPU for nobody, and the next client's request waited behind it. A JSON list of at
# least 3000 numbers cannot end before max_tokens, so only a stop on disconnect ends it early.
LONG_TOKENS = 2000
LONG_LIST = {"type": "array", "items": {"type": "integer"}, "minItems": 3000}


def generated_tokens(server: EmbeddedServer) -> int:
    stats = embedded._get(server, "/text2ml/stats", timeout=30)
    assert stats is not None
    return int(stats["generated_tokens"])


def wait_for_tokens(server: EmbeddedServer, at_least: int, caller: threading.Thread) -> None:
    deadline = time.monotonic() + 900  # a loaded machine only makes it slower
    while generated_tokens(server) < at_least:
        assert caller.is_alive() and time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.slow
def test_a_cancelled_completion_stops_and_frees_the_server(real_server: EmbeddedServer) -> None:
    from text2ml.synthesis.llm.client import LLMClient
    from text2ml.synthesis.records import Cancelled

    before = generated_tokens(real_server)
    cancel = threading.Event()
    dropped = LLMClient(real_server.base_url, None, real_server.model_alias, timeout=3600,
                        max_retries=0, structured="llama", cancel=cancel)
    outcome: list[BaseException] = []

    def ask_long() -> None:
        try:
            dropped.chat([{"role": "user", "content": "List the numbers from 1 to 3000."}],
                         max_tokens=LONG_TOKENS, temperature=0, json_schema=LONG_LIST)
        except BaseException as exc:  # noqa: BLE001 - checked below
            outcome.append(exc)

    caller = threading.Thread(target=ask_long, daemon=True)
    caller.start()
    wait_for_tokens(real_server, before + 16, caller)
    cancel.set()
    caller.join(60)
    assert outcome and isinstance(outcome[0], Cancelled)
    dropped_at = time.monotonic()
    second = LLMClient(real_server.base_url, None, real_server.model_alias, timeout=3600,
                       max_retries=0).chat([{"role": "user", "content": "Say hi."}],
                                           max_tokens=8, temperature=0)
    free_after = time.monotonic() - dropped_at
    first = generated_tokens(real_server) - before - second.completion_tokens
    print(f"dropped completion: {first} tokens of {LONG_TOKENS}; "
          f"the next request answered {free_after:.1f} s after the cancel")
    # counts, not clocks: the old server generated all LONG_TOKENS for the gone client
    assert first < LONG_TOKENS // 4
