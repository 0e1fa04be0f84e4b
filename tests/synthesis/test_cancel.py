"""Cancel reaches the LLM request in flight: a stalled endpoint does not hold a cancelled
generation (issue: 243 s from Ctrl-C to exit, 119 s in the editor, then "failed")."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from text2ml.synthesis.llm.client import LLMClient
from text2ml.synthesis.records import Cancelled

from paths import EXAMPLES
from scripted_openai import ScriptedOpenAI

STALL = 600.0  # far longer than any bound below: only a real cancel ends the wait
# Generous bounds that only a cancel which waited out the stalled request would break; the
# measured times (docs/sandbox.md's sibling, the note) are far below them.
BOUND = 60.0


def stalling(_request: dict[str, Any]) -> dict[str, Any]:
    return {"hang": STALL}


@pytest.fixture
def stalled() -> Any:
    server = ScriptedOpenAI(fallback=stalling).start()
    yield server
    server.close()


def _wait_for_request(server: ScriptedOpenAI, process: subprocess.Popen[str] | None = None
                      ) -> None:
    while not server.requests:
        assert process is None or process.poll() is None, process.communicate()
        time.sleep(0.05)


def test_cancel_stops_a_request_in_flight(stalled: ScriptedOpenAI) -> None:
    cancel = threading.Event()
    client = LLMClient(stalled.base_url, None, "scripted", timeout=STALL, max_retries=3,
                       cancel=cancel)
    threading.Thread(target=lambda: (_wait_for_request(stalled), cancel.set()),
                     daemon=True).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        client.chat([{"role": "user", "content": "write the model"}])
    assert time.monotonic() - started < BOUND


def test_ctrl_c_stops_text2ml_generate_while_the_llm_stalls(stalled: ScriptedOpenAI,
                                                           tmp_path: Path) -> None:
    task = tmp_path / "wine.py"
    shutil.copy(EXAMPLES / "wine_cultivar.py", task)
    env = {**os.environ, "TEXT2ML_BASE_URL": stalled.base_url, "TEXT2ML_MODEL": "scripted",
           "TEXT2ML_TIMEOUT": str(STALL), "TEXT2ML_MAX_RETRIES": "3"}
    cli = Path(sys.executable).parent / "text2ml"
    process = subprocess.Popen([str(cli), "generate", str(task), "--out",
                                str(tmp_path / "program")], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_request(stalled, process)
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=BOUND)
    seconds = time.monotonic() - interrupted
    print(f"Ctrl-C to exit: {seconds:.2f} s")
    assert process.returncode == 2, err
    assert "cancelled" in err and "Traceback" not in err
    # the program from the recipes was published before the first LLM call: it stays whole
    program = tmp_path / "program"
    assert "cancelled; the tested program so far stays" in err
    assert not list(program.glob("candidates/*/c*.py"))  # nothing of the LLM's half-written
    ran = subprocess.run([sys.executable, "pipeline.py"], cwd=program, text=True,
                         capture_output=True, timeout=600)
    assert ran.returncode == 0 and '"score"' in ran.stdout, ran.stderr


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += conn.recv(65536)


def test_cancel_closes_the_connection_the_server_sees(tmp_path: Path) -> None:
    """Issue 17: the server stops generating only once it sees the connection close. Closing
    the sync client from the cancelling thread sent nothing while another thread was blocked
    reading the socket; the server saw the close only at the timeout (900 s)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    cancel = threading.Event()
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            _read_request(conn)
            cancel.set()
            conn.settimeout(BOUND)
            seen.append(conn.recv(1))  # b"" once the client has closed its end

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    client = LLMClient(f"http://127.0.0.1:{port}/v1", None, "m", timeout=STALL, max_retries=0,
                       cancel=cancel)
    with pytest.raises(Cancelled):
        client.chat([{"role": "user", "content": "write the model"}])
    server.join(BOUND)
    listener.close()
    assert seen == [b""]
