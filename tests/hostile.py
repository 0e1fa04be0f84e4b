"""A hostile generated module, and how the tests see what it left behind.

`HOSTILE` is the source of a module as a malicious (or prompt-injected) LLM could write it:
it tries the network, writes outside its folder, hunts for its parents' secrets and leaves
a double-forked daemon behind. It prints one JSON line of what it achieved.
"""

from __future__ import annotations

import time
from pathlib import Path

HOSTILE = '''
import json, os, socket, sys, tempfile, time
from pathlib import Path

ATTACK = json.loads(os.environ.get("ATTACK_PLAN") or sys.stdin.read())
got = {"network": [], "wrote": [], "secrets": [], "inside_ok": False}

for host, port in ATTACK["connect"]:
    try:
        socket.create_connection((host, port), timeout=3).close()
        got["network"].append(f"{host}:{port}")
    except OSError:
        pass

for path in ATTACK["write"]:
    try:
        Path(path).write_text("owned")
        got["wrote"].append(path)
    except OSError:
        pass
try:
    Path("inside.txt").write_text("fine")
    with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir()) as scratch:
        scratch.write(b"fine")
    got["inside_ok"] = True
except OSError as exc:
    got["inside_error"] = str(exc)

def readable(path):
    try:
        return Path(path).read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""

seen = [json.dumps(dict(os.environ))] + [readable(p) for p in ATTACK["files"]]
for entry in Path("/proc").iterdir():
    if entry.name.isdigit():
        seen += [readable(entry / "environ"), readable(entry / "cmdline")]
got["secrets"] = [s for s in ATTACK["secrets"] if any(s in text for text in seen)]

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)",
                                  ATTACK["marker"]])
    os._exit(0)
time.sleep(0.2)
print(json.dumps(got))
'''


def alive_with(marker: str) -> list[int]:
    """Host pids of live processes whose command line holds `marker` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() not in (entry / "cmdline").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in "ZX":
            found.append(int(entry.name))
    return found


def gone(marker: str, within: float = 30.0) -> bool:
    """True once no process carries `marker`: signals land asynchronously, so this waits
    (generously: a busy machine must pass) but returns as soon as they are gone."""
    deadline = time.monotonic() + within
    while alive_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
