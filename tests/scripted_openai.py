"""A scripted OpenAI-compatible HTTP server on loopback: the test double for LLM plumbing.

Each POST to /v1/chat/completions takes the next step of the script; when the script is
used up, the `fallback` answers. A step is a reply text, or a dict:
  {"text": ..., "finish_reason": "length"}      a reply (optionally truncated)
  {"status": 429 | 500 | ..., "body": {...}}    an error response
  {"raw": "not json"}                           a malformed body with status 200
  {"hang": seconds}                             answer nothing for a while, then close
or a callable taking the request JSON and returning one of those.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Step = str | dict[str, Any] | Callable[[dict[str, Any]], Any]


class ScriptedOpenAI:
    def __init__(self, fallback: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.steps: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.fallback = fallback
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    url = base_url

    def script(self, steps: list[Step]) -> None:
        with self._lock:
            self.steps.extend(steps)

    def start(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_step(self, request: dict[str, Any]) -> Any:
        with self._lock:
            self.requests.append(request)
            step: Any = self.steps.pop(0) if self.steps else self.fallback
        if step is None:
            return {"status": 500, "body": {"error": {"message": "the script is used up"}}}
        return step(request) if callable(step) else step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models, for clients that list models
                self._send(200, {"object": "list", "data": [{"id": "scripted",
                                                              "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                step = scripted.next_step(request)
                if isinstance(step, str):
                    step = {"text": step}
                if "hang" in step:
                    time.sleep(step["hang"])
                    self.close_connection = True
                    return
                if "raw" in step:
                    self._send_bytes(200, step["raw"].encode())
                elif "status" in step:
                    self._send(step["status"], step.get("body", {"error": {"message": "scripted"}}),
                               step.get("headers", {}))
                else:
                    self._send(200, completion(request, step["text"],
                                               step.get("finish_reason", "stop")))

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(body).encode(), headers)

            def _send_bytes(self, status: int, data: bytes,
                            headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def completion(request: dict[str, Any], text: str, finish_reason: str = "stop") -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0,
            "model": request.get("model", "scripted"),
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": max(1, len(text) // 4),
                      "total_tokens": prompt + max(1, len(text) // 4)}}


def task_reading(request: dict[str, Any]) -> dict[str, Any] | None:
    """For the spec step's constrained choices: what a careful model picks from the enum —
    the data set or column whose words the task uses most."""
    import re

    response_format = request.get("response_format") or {}
    schema = response_format.get("json_schema", {}).get("schema") or \
        response_format.get("schema") or {}
    prompt = str(request["messages"][-1]["content"])
    task = prompt.split("Task:", 1)[-1].lower()
    for key in ("choice", "target"):
        options = schema.get("properties", {}).get(key, {}).get("enum")
        if options:
            def overlap(option: str) -> int:
                return sum(w in task for w in re.findall(r"[a-z0-9]{3,}", option.lower()))
            return {key: max(options, key=overlap)}
    return None


def competent(request: dict[str, Any]) -> str:
    """A well-behaved model: for the spec step's choices the fitting enum value; for a module,
    the prompt's own worked example."""
    import re

    reading = task_reading(request)
    if reading is not None:
        return json.dumps(reading)
    prompt = str(request["messages"][-1]["content"])
    example = re.search(r"module in the exact shape:\n```python\n(.*?)```", prompt, re.S)
    return f"```python\n{example.group(1) if example else ''}```"
