"""The box, with a hostile generated module as the attacker, started from a parent process
that holds secrets in its environment and its config file, as the text2ml CLI does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import HOSTILE, gone

from text2ml.synthesis.sandbox import box
from text2ml.synthesis.sandbox.limits import run_python

pytestmark = pytest.mark.skipif(not box.available(),
                                reason=f"no sandbox box here: {box.unavailable_reason()}")

# The parent: a fresh Python whose own environment holds the secrets, running the module
# cold (`run_python`) or forked from the warm parent (`run_module`).
DRIVER = '''
import json, sys
mode, folder, plan = sys.argv[1], sys.argv[2], sys.stdin.read()
if mode == "cold":
    from text2ml.synthesis.sandbox.limits import run_python
    result = run_python(["attack.py"], cwd=folder, stdin=plan)
else:
    from text2ml.synthesis.sandbox.warm import run_module
    result = run_module("attack", [], cwd=folder, stdin=plan)
print(json.dumps({"ok": result.ok, "stdout": result.stdout, "stderr": result.stderr}))
'''
SECRETS = {"TEXT2ML_API_KEY": "sk-env-secret-1", "DATABASE_URL": "postgresql://u:db-secret-2@h/x",
           "SLACK_WEBHOOK": "https://hooks.example/secret-hook-3"}
CONFIG_SECRET = "sk-config-secret-4"


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback service of the user's: the box must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_a_hostile_module_stays_in_its_box(mode: str, tmp_path: Path, listener: int) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "attack.py").write_text(HOSTILE)
    home = tmp_path / "home"
    config = home / ".config" / "text2ml" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[llm]\napi_key = "{CONFIG_SECRET}"\n')
    outside = [tmp_path / "outside.txt", Path("/tmp") / f"text2ml-escape-{uuid.uuid4().hex}",
               home / "planted.txt"]
    marker = f"text2ml-daemon-{mode}-{tmp_path.name}"
    plan = {"connect": [["127.0.0.1", listener]], "write": [str(p) for p in outside],
            "files": [str(config)], "secrets": [*SECRETS.values(), CONFIG_SECRET],
            "marker": marker}
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(SECRETS, HOME=str(home), TEXT2ML_CONFIG=str(config))
    done = subprocess.run([sys.executable, "-c", DRIVER, mode, str(program)],
                          input=json.dumps(plan), env=env, capture_output=True, text=True,
                          timeout=600)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"], result["stderr"]
    got = json.loads(result["stdout"].strip().splitlines()[-1])
    assert got["network"] == [], "the module reached a loopback service"
    assert got["wrote"] == [] and not any(p.exists() for p in outside)
    assert got["inside_ok"] and (program / "inside.txt").read_text() == "fine", got
    assert got["secrets"] == [], "the module read its parents' secrets"
    assert gone(marker), "the double-forked daemon outlived the run"


def test_a_daemon_started_by_a_timed_out_run_dies_too(tmp_path: Path) -> None:
    marker = f"text2ml-daemon-timeout-{tmp_path.name}"
    code = ("import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        os.execv(sys.executable, [sys.executable, '-c', 'import time; "
            f"time.sleep(120)', {marker!r}])\n"
            "    os._exit(0)\n"
            "while True: time.sleep(1)\n")
    from text2ml.synthesis.sandbox.limits import Limits

    result = run_python(["-c", code], cwd=tmp_path, limits=Limits(wall_seconds=2))
    assert result.killed == "timeout"
    assert gone(marker)


@pytest.fixture
def no_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(box, "bwrap", lambda: None)
    box.unavailable_reason.cache_clear()
    yield
    box.unavailable_reason.cache_clear()


@pytest.mark.usefixtures("no_bubblewrap")
def test_without_bubblewrap_the_run_goes_on_and_says_so_loudly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from text2ml.server.cli import warn_about_the_box
    from text2ml.server.workflows import warn_about_the_box as warn_in_editor

    assert not box.available()
    result = run_python(["-c", "print('unboxed')"], cwd=tmp_path)
    assert result.ok and result.stdout.strip() == "unboxed"
    [warning] = box.missing_layers()
    assert "WITHOUT its sandbox box" in warning and "bubblewrap" in warning
    warn_about_the_box()
    assert "WARNING: Generated code runs WITHOUT" in capsys.readouterr().err
    shown: list[tuple[str, object]] = []

    class Editor:
        def show_message(self, text: str, kind: object) -> None:
            shown.append((text, kind))

    warn_in_editor(Editor())  # type: ignore[arg-type]
    assert shown and "WITHOUT its sandbox box" in shown[0][0] and "Warning" in str(shown[0][1])


def test_a_folder_made_again_gets_a_new_warm_box(tmp_path: Path) -> None:
    """A staging folder is deleted and made again by every generate; the old box would
    show the new one read-only."""
    import shutil

    from text2ml.synthesis.sandbox.warm import run_module

    folder = tmp_path / "staging"
    for attempt in range(2):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "job.py").write_text("open('written.txt', 'w').write('yes')\n")
        result = run_module("job", [], cwd=folder)
        assert result.ok, (attempt, result.stderr[-500:])
        assert (folder / "written.txt").read_text() == "yes"
