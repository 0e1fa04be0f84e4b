"""One bad message costs only itself (issue 15, item 12): a wrong Content-Length does not
swallow the next request, a request without "jsonrpc" is answered, a NUL in a path is a
plain argument error. Against the real server over stdio, bytes as a broken client sends."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from queue import Empty, Queue
from typing import Any

import pytest

from text2ml.server.framing import FrameReader

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
REPLY_SECONDS = 600.0  # generous: only a server that never answers fails (it starts first)


def frame(message: dict[str, Any], length: int | None = None) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


def frames_of(data: bytes) -> list[tuple[bool, bytes]]:
    reader, found = FrameReader(io.BufferedReader(io.BytesIO(data))), []
    while (next_frame := reader.next()) is not None:
        found.append(next_frame)
    return found


def test_the_reader_resynchronises_on_the_next_header() -> None:
    good = frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"})
    too_long = frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, length=5000)
    too_short = frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, length=10)
    assert frames_of(good + good) == [(True, good.split(b"\r\n\r\n")[1])] * 2
    [(ok_a, _), (ok_b, body)] = frames_of(too_long + good)
    assert (ok_a, ok_b) == (False, True) and json.loads(body)["id"] == 3
    [(ok_a, _), (ok_b, body)] = frames_of(too_short + good)
    assert ok_a and ok_b and json.loads(body)["id"] == 3  # the stub is answered as a parse error
    with_type = b"Content-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
    assert frames_of(with_type) == [(True, b"{}")]


class Server:
    """The real language server on pipes; replies collected by a reader thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "text2ml.server"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.replies: Queue[dict[str, Any]] = Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for body in iter(FrameReader(self.proc.stdout).next, None):
            self.replies.put(json.loads(body[1]))

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def reply_to(self, message_id: Any) -> dict[str, Any]:
        while True:
            try:
                reply = self.replies.get(timeout=REPLY_SECONDS)
            except Empty:
                raise AssertionError(f"no reply to {message_id!r}") from None
            if "id" in reply and reply.get("id") == message_id:
                return reply


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    running.send(frame(INITIALIZE))
    assert "capabilities" in running.reply_to(1)["result"]
    yield running
    running.proc.kill()
    running.proc.wait()


def test_a_wrong_content_length_does_not_swallow_the_next_request(server: Server) -> None:
    request = {"jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand",
               "params": {"command": "text2ml.cancel", "arguments": []}}
    server.send(frame(request, length=5000) + frame({**request, "id": 3}))
    assert server.reply_to(None)["error"]["code"] == -32700  # the broken one: Parse error
    assert server.reply_to(3)["result"] == {"cancelled": []}
    server.send(frame(request, length=10) + frame({**request, "id": 4}))
    assert server.reply_to(None)["error"]["code"] == -32700
    assert server.reply_to(4)["result"] == {"cancelled": []}


def test_a_request_without_jsonrpc_is_answered(server: Server) -> None:
    server.send(frame({"id": 5, "method": "workspace/executeCommand",
                       "params": {"command": "text2ml.cancel", "arguments": []}}))
    assert server.reply_to(5)["error"]["code"] == -32600


def test_a_nul_byte_in_a_path_is_an_argument_error(server: Server) -> None:
    server.send(frame({"jsonrpc": "2.0", "id": 6, "method": "workspace/executeCommand",
                       "params": {"command": "text2ml.optimize",
                                  "arguments": ["/tmp/x\u0000y"]}}))
    error = server.reply_to(6)["error"]
    assert "NUL character" in error["message"] and "ValueError" not in error["message"]
