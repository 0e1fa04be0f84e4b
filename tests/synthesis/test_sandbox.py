"""The sandbox: limits hold, secrets stay out, the whole process group goes on stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from hostile import gone

from text2ml.synthesis.sandbox.environment import child_env
from text2ml.synthesis.sandbox.limits import Limits, run_python


def test_a_normal_run(tmp_path: Path) -> None:
    result = run_python(["-c", "import os; print(os.getcwd())"], cwd=tmp_path)
    assert result.ok and result.stdout.strip() == str(tmp_path) and result.killed is None
    assert result.peak_rss_mb > 1 and result.reason == "finished"


def test_a_loop_forever_is_stopped_in_time(tmp_path: Path) -> None:
    result = run_python(["-c", "while True: pass"], cwd=tmp_path, limits=Limits(wall_seconds=1))
    assert result.killed == "timeout" and not result.ok
    assert result.seconds < 10
    assert "did not finish within 1 s" in result.reason


def test_unbounded_allocation_is_stopped(tmp_path: Path) -> None:
    code = "chunks = []\nwhile True: chunks.append(bytearray(50_000_000))"
    result = run_python(["-c", code], cwd=tmp_path, limits=Limits(memory_mb=400))
    assert result.killed == "memory"
    assert "ran out of memory (limit 400 MB)" in result.reason


def test_cancel_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = f"text2ml-grandchild-{tmp_path.name}"
    code = ("import subprocess, sys, pathlib\n"
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
            f"{marker!r}])\n"
            "pathlib.Path('started').write_text('yes')\n"
            "p.wait()\n")
    cancel = threading.Event()
    threading.Thread(target=_set_when, args=(tmp_path / "started", cancel), daemon=True).start()
    result = run_python(["-c", code], cwd=tmp_path, cancel=cancel)
    assert result.killed == "cancelled" and result.reason == "was cancelled"
    assert gone(marker), "the grandchild outlived the cancel"


def _set_when(path: Path, event: threading.Event) -> None:
    while not path.exists():
        time.sleep(0.05)
    event.set()


def test_secrets_are_not_passed_and_threads_are_pinned(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw-secret@db/x")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = child_env(tmp_path, threads=1)
    assert not {"OPENAI_API_KEY", "GITHUB_TOKEN", "DATABASE_URL"} & set(env)
    assert env["LANG"] == "C.UTF-8" and env["HOME"].startswith(str(tmp_path))
    result = run_python(["-c", "import os, json; print(json.dumps(dict(os.environ)))"],
                        cwd=tmp_path)
    assert "sk-secret" not in result.stdout and "ghp-secret" not in result.stdout
    assert "pw-secret" not in result.stdout
    assert '"OMP_NUM_THREADS": "1"' in result.stdout


def test_crashes_and_errors_are_reported_with_their_cause(tmp_path: Path) -> None:
    failed = run_python(["-c", "raise SystemExit('bad input shape')"], cwd=tmp_path)
    assert failed.returncode == 1 and failed.reason.endswith("bad input shape")
    crashed = run_python(["-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
                         cwd=tmp_path)
    assert crashed.reason == "crashed (signal SIGSEGV)"


def test_stdin_and_large_output(tmp_path: Path) -> None:
    code = "import sys; data = sys.stdin.read(); print('x' * 3_000_000); print(data)"
    result = run_python(["-c", code], cwd=tmp_path, stdin='{"slot": "model"}')
    assert result.ok and result.stdout.rstrip().endswith('{"slot": "model"}')
    assert len(result.stdout) <= 1_000_000


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    (tmp_path / "job.py").write_text(
        "import os, sys, time\n"
        "kind = sys.stdin.read().strip()\n"
        "if kind == 'loop':\n    while True: pass\n"
        "if kind == 'hog':\n    hog = []\n"
        "    while True: hog.append(bytearray(50_000_000))\n"
        "if kind == 'fail':\n    raise SystemExit('no data')\n"
        "print(os.getcwd(), os.environ.get('OPENAI_API_KEY'), sys.argv[1:])\n")
    return tmp_path


def test_warm_runs_behave_like_cold_ones(module_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from text2ml.synthesis.sandbox.warm import run_module

    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    ok = run_module("job", ["--x"], cwd=module_dir, stdin="hello")
    assert ok.ok and ok.stdout.strip() == f"{module_dir} None ['--x']"
    loop = run_module("job", [], cwd=module_dir, stdin="loop", limits=Limits(wall_seconds=1))
    assert loop.killed == "timeout" and loop.seconds < 10
    hog = run_module("job", [], cwd=module_dir, stdin="hog", limits=Limits(memory_mb=1200))
    assert hog.killed == "memory"
    failed = run_module("job", [], cwd=module_dir, stdin="fail")
    assert failed.returncode == 1 and failed.reason.endswith("no data")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    stopped = run_module("job", [], cwd=module_dir, stdin="loop", cancel=cancel)
    assert stopped.killed == "cancelled"


def test_warm_runs_in_parallel(module_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from text2ml.synthesis.sandbox.warm import run_module

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: run_module("job", [str(i)], cwd=module_dir), range(8)))
    assert [r.stdout.split()[-1] for r in results] == [f"['{i}']" for i in range(8)]
