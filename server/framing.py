"""Reading LSP messages from stdin so that one bad message costs only itself.

pygls's own loop trusts every `Content-Length`: one that is too long swallows the next
request, one that is too short leaves the rest of the body to be misread as headers, and a
message without `"jsonrpc"` is never answered. Here a raw CR LF `Content-Length:` line can
never be part of a JSON body (JSON strings escape control characters), so finding one inside
a declared body proves the length wrong: the bytes before it are answered with a Parse error
and reading resumes at that header. A request without `"jsonrpc"` gets Invalid Request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.server import JsonRPCServer

HEADER = re.compile(rb"Content-Length: *(\d+)\r\n", re.IGNORECASE)
CHUNK = 65536
logger = logging.getLogger(__name__)


class FrameReader:
    """Blocking reader of LSP frames from `stream`, resynchronising on the next header."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buffer = bytearray()

    def _fill(self) -> bool:
        read = getattr(self.stream, "read1", None)  # whatever is there, without waiting for more
        chunk = read(CHUNK) if read is not None else self.stream.read(1)
        self.buffer += chunk
        return bool(chunk)

    def next(self) -> tuple[bool, bytes] | None:
        """(True, body) for a well-framed message, (False, bytes) for bytes that were not
        one, None at the end of the stream."""
        while True:
            header = HEADER.search(self.buffer)
            end = self.buffer.find(b"\r\n\r\n", header.start()) if header else -1
            if header and end >= 0:
                break
            if not self._fill():
                return None
        length = int(header.group(1))
        del self.buffer[:end + 4]  # also whatever garbage came before the header
        while True:
            inner = HEADER.search(self.buffer, 0, length + len(header.group(0)))
            if inner is not None and inner.start() < length:
                bad = bytes(self.buffer[:inner.start()])  # the next message began inside
                del self.buffer[:inner.start()]
                return False, bad
            if len(self.buffer) >= length:
                body = bytes(self.buffer[:length])
                del self.buffer[:length]
                return True, body
            if not self._fill():
                return None


def reply_error(server: JsonRPCServer, message_id: Any, error: type[JsonRpcException],
                detail: str) -> None:
    server.protocol._send_data({"jsonrpc": "2.0", "id": message_id,
                                "error": {"code": error.CODE,
                                          "message": f"{error.MESSAGE}: {detail}"}})


def handle(server: JsonRPCServer, framed: bool, data: bytes) -> None:
    """One frame: parsed, checked and handed to the protocol, or answered with an error."""
    if not framed:
        reply_error(server, None, JsonRpcParseError,
                    f"the Content-Length header did not match the message ({len(data)} bytes "
                    "before the next header)")
        return
    try:
        message = json.loads(data, object_hook=server.protocol.structure_message)
    except JsonRpcException as exc:  # the envelope parsed, its content did not
        reply_error(server, None, type(exc), str(exc) or "the message could not be read")
        return
    except (ValueError, RecursionError) as exc:  # not JSON at all
        reply_error(server, None, JsonRpcParseError, str(exc)[:200])
        return
    if isinstance(message, dict):  # structure_message leaves messages without "jsonrpc"
        if "id" in message:
            reply_error(server, message["id"], JsonRpcInvalidRequest,
                        'the message has no "jsonrpc": "2.0"')
        return
    try:
        server.protocol.handle_message(message)
    except Exception as exc:  # report like pygls's loop does, and read on
        logger.exception("Unable to handle message")
        server.report_server_error(exc, JsonRpcException)


async def read_messages(server: JsonRPCServer, stdin: BinaryIO, stop: threading.Event) -> None:
    loop = asyncio.get_running_loop()
    frames: asyncio.Queue[tuple[bool, bytes] | None] = asyncio.Queue()

    def read() -> None:  # a daemon thread of its own: nothing waits for it at exit
        reader = FrameReader(stdin)
        while True:
            frame = reader.next()
            try:
                loop.call_soon_threadsafe(frames.put_nowait, frame)
            except RuntimeError:  # the server has stopped: nobody reads any more
                return
            if frame is None:
                return

    threading.Thread(target=read, daemon=True, name="text2ml-stdin").start()
    while not stop.is_set():
        frame = await frames.get()
        if frame is None:
            break
        handle(server, *frame)


def start_stdio(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve LSP on stdio (pygls's `start_io`, with the reading above)."""
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(read_messages(server, stdin, stop))
    except BrokenPipeError:
        logger.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
