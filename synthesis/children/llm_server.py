"""`python -m text2ml.synthesis.children.llm_server`: llama.cpp's OpenAI-compatible server
in-process, plus what text2ml needs around it: an idle watchdog that stops the server when
nobody has used it for a while, a clear exit code when the port is taken, and a speed endpoint.

A completion whose HTTP client has gone (cancelled, timed out, killed) stops at its next token:
llama.cpp's server only notices a disconnect between the chunks of a streamed reply, and runs a
plain one to its end, for nobody, while the next client waits behind it (`ClientGoneWatch`).

Run by `text2ml.synthesis.llm.embedded` as a detached child; `text2ml llm serve` runs it in the
foreground. Exit codes: 0 clean stop (signal or idle), 2 bad arguments, 3 model failed to
load, 4 port taken.
"""

from __future__ import annotations

import argparse
import contextvars
import errno
import os
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

EXIT_MODEL_FAILED = 3
EXIT_PORT_TAKEN = 4
# llama.cpp's /v1/models waits for the model lock, so it hangs while a long completion runs;
# these two answer at once. Health counts as activity (a client is about to send requests),
# stats does not (a status display polling it must not keep an idle server alive).
HEALTH_PATH = "/text2ml/health"
STATS_PATH = "/text2ml/stats"
# The RAM prompt cache counts only the KV state of an entry; each entry also holds a copy of
# the logits buffer (n_batch x vocabulary floats, ~300 MB for Qwen), so the budget below is
# checked against the full entry size by `_full_size_ram_cache`.
DEFAULT_CACHE_BYTES = 1 << 30
COMPLETION_PATHS = frozenset({"/v1/chat/completions", "/v1/completions"})
# Set while the client of this request has gone. A context variable, because it must follow the
# request from the ASGI layer into the worker thread that runs the completion (anyio copies the
# context into it), past llama.cpp's routes, which pass no such thing along.
CLIENT_GONE: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "text2ml_client_gone", default=None)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m text2ml.synthesis.children.llm_server")
    parser.add_argument("--model", required=True, help="path of the .gguf file")
    parser.add_argument("--alias", required=True, help="model name clients ask for")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--n-threads", type=int, default=os.cpu_count() or 1)
    # Each RAM-cache entry copies an n_batch x vocabulary logits buffer; 128 keeps that copy
    # at ~80 MB. Measured with bench/prefix_cache.py, 2 cores: a warm prefix-first request
    # takes 1.46 s at 128 against 1.97 s at 512, prompt speed ~250 tokens/s at both.
    parser.add_argument("--n-batch", type=int, default=128)
    parser.add_argument("--idle-timeout", type=float, default=0.0,
                        help="seconds without requests before stopping; 0 = never")
    parser.add_argument("--cache-bytes", type=int, default=DEFAULT_CACHE_BYTES,
                        help="RAM prompt cache size; 0 = none (the last prompt's prefix is "
                             "still reused)")
    return parser.parse_args(argv)


class IdleWatchdog:
    """Calls `on_idle` once no request has been in flight for `timeout` seconds."""

    def __init__(self, timeout: float, on_idle: Callable[[], None]) -> None:
        self.timeout = timeout
        self._on_idle = on_idle
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_activity = time.monotonic()

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._last_activity = time.monotonic()

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    def idle_for(self) -> float:
        with self._lock:
            return 0.0 if self._in_flight else time.monotonic() - self._last_activity

    def start(self) -> None:
        """Idle time counts from now, when the server can answer: loading the model before
        it may take longer than the timeout on a busy machine, and is not idleness."""
        with self._lock:
            self._last_activity = time.monotonic()
        if self.timeout > 0:
            threading.Thread(target=self._watch, name="idle-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            remaining = self.timeout - self.idle_for()
            if remaining <= 0:
                self._on_idle()
                return
            time.sleep(min(remaining, 5.0) + 0.05)


class ClientGoneWatch:
    """ASGI middleware: sets the request's `CLIENT_GONE` event when its client disconnects.

    The body is read first and replayed to the app, so that the one reader of the server's
    `receive` afterwards is the watcher, which waits for `http.disconnect` (uvicorn sends it
    when the connection closes, or once the response is complete)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in COMPLETION_PATHS:
            await self.app(scope, receive, send)
            return
        import anyio

        gone = threading.Event()
        body = await _read_body(receive, gone)
        left = anyio.Event()

        async def watch() -> None:
            while not gone.is_set():
                if (await receive())["type"] == "http.disconnect":
                    gone.set()
            left.set()

        async def replay() -> Message:
            if body:
                return body.pop(0)
            if not gone.is_set():  # answers at once when gone, even to a cancelled poll
                await left.wait()
            return {"type": "http.disconnect"}

        token = CLIENT_GONE.set(gone)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(watch)
                await self.app(scope, replay, send)
                tasks.cancel_scope.cancel()
        finally:
            CLIENT_GONE.reset(token)


async def _read_body(receive: Receive, gone: threading.Event) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return messages
        messages.append(message)
        if not message.get("more_body", False):
            return messages


class StopForGoneClients:
    """Wraps a model's `create_completion` (the one call every chat handler of llama-cpp-python
    ends in) with a stopping criterion that ends the completion once its client has gone.
    A stop ends it as "stop" with the text so far; nobody reads that reply."""

    def __init__(self, model: Any) -> None:
        self.stopped = 0
        self._lock = threading.Lock()
        self._create = model.create_completion
        model.create_completion = self.create_completion

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        gone = CLIENT_GONE.get()
        if gone is not None:
            import llama_cpp

            given = kwargs.get("stopping_criteria") or []
            kwargs["stopping_criteria"] = llama_cpp.StoppingCriteriaList(
                [*given, self._criterion(gone)])
        return self._create(*args, **kwargs)

    def _criterion(self, gone: threading.Event) -> Callable[[Any, Any], bool]:
        told = threading.Event()

        def client_gone(_input_ids: Any, _logits: Any) -> bool:
            if gone.is_set() and not told.is_set():
                told.set()
                with self._lock:
                    self.stopped += 1
                print("text2ml: the client of a completion has gone; stopped generating",
                      file=sys.stderr, flush=True)
            return gone.is_set()

        return client_gone


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before loading the model, so a taken port fails in a second, not after a load."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            print(f"text2ml: port {port} on {host} is already in use; choose another "
                  "with --port or stop the program using it.", file=sys.stderr)
            raise SystemExit(EXIT_PORT_TAKEN) from exc
        raise
    sock.listen(128)
    return sock


def model_settings(args: argparse.Namespace) -> Any:
    from llama_cpp.server.settings import ModelSettings

    return ModelSettings(
        model=args.model, model_alias=args.alias, n_ctx=args.n_ctx,
        n_threads=args.n_threads, n_threads_batch=args.n_threads,
        n_batch=args.n_batch, n_ubatch=args.n_batch,
        # logits for every token would cost n_ctx x vocabulary floats (~5 GB); only
        # logprobs need them and text2ml does not ask for logprobs
        logits_all=False,
        cache=args.cache_bytes > 0, cache_type="ram", cache_size=args.cache_bytes,
        verbose=False)


def build_app(args: argparse.Namespace, watchdog: IdleWatchdog) -> Any:
    import llama_cpp
    from llama_cpp.server import app as llama_app
    from llama_cpp.server.settings import ServerSettings

    server_settings = ServerSettings(host=args.host, port=args.port,
                                     # several text2ml clients may share one server
                                     interrupt_requests=False)
    app = create_llama_app(llama_app, server_settings, model_settings(args))
    model = llama_app._llama_proxy()  # the module keeps the proxy it built as a global
    if args.cache_bytes > 0:
        model.set_cache(_full_size_ram_cache(llama_cpp, args.cache_bytes))
    gone_clients = StopForGoneClients(model)

    @app.middleware("http")
    async def track_activity(request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if request.url.path == STATS_PATH:
            return await call_next(request)
        watchdog.begin()
        try:
            return await call_next(request)
        finally:
            watchdog.end()

    @app.get(HEALTH_PATH, include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"model": args.alias, "pid": os.getpid()}

    @app.get(STATS_PATH, include_in_schema=False)
    def stats() -> dict[str, Any]:
        perf = llama_cpp.llama_perf_context(model.ctx)
        return {"model": args.alias, "prompt_tokens": perf.n_p_eval, "prompt_ms": perf.t_p_eval_ms,
                "generated_tokens": perf.n_eval, "generation_ms": perf.t_eval_ms,
                "idle_s": watchdog.idle_for(), "idle_timeout_s": watchdog.timeout,
                "stopped_for_gone_clients": gone_clients.stopped}

    app.add_middleware(ClientGoneWatch)  # added last: the outermost, so it sees every message
    return app


def create_llama_app(llama_app: Any, server_settings: Any, settings: Any) -> Any:
    try:
        return llama_app.create_app(server_settings=server_settings, model_settings=[settings])
    except (ValueError, RuntimeError, MemoryError) as exc:
        print(f"text2ml: the model {settings.model} failed to load: {exc}. Check that "
              "the file is a complete GGUF model and that enough memory is free.",
              file=sys.stderr)
        raise SystemExit(EXIT_MODEL_FAILED) from exc


def _full_size_ram_cache(llama_cpp: Any, capacity_bytes: int) -> Any:
    class FullSizeRAMCache(llama_cpp.LlamaRAMCache):
        """Evicts by the real size of an entry (KV state plus its logits copy)."""

        @property
        def cache_size(self) -> int:
            return sum(state.llama_state_size + state.scores.nbytes
                       for state in self.cache_state.values())

    return FullSizeRAMCache(capacity_bytes=capacity_bytes)


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    args = parse_args(argv)
    sock = bind_socket(args.host, args.port)
    server: uvicorn.Server | None = None

    def stop_when_idle() -> None:
        print(f"text2ml: idle for {args.idle_timeout:.0f} s, stopping", file=sys.stderr)
        if server is not None:
            server.should_exit = True

    watchdog = IdleWatchdog(args.idle_timeout, stop_when_idle)
    app = build_app(args, watchdog)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    watchdog.start()
    print(f"text2ml: serving {args.alias} on http://{args.host}:{args.port}/v1 "
          f"(pid {os.getpid()})", file=sys.stderr, flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
