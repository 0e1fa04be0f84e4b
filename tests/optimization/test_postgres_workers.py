"""Real distributed workers: `text2ml optimize` and two `text2ml worker`s on a real PostgreSQL
server on 127.0.0.1 (its own data directory, stopped at the end), directly and through
Optuna's gRPC storage proxy (`text2ml storage-proxy`).

Every process's trials are held at a gate (a file the test creates) until the test has seen
what it waits for, so no check depends on how fast this machine is: each process holds a
RUNNING trial before any trial may finish, and the worker killed with SIGKILL is killed
while its trial is surely RUNNING."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState
from postgres_server import PostgresServer, unavailable

from text2ml.optimization.program_info import load_program
from text2ml.optimization.storage import open_storage

from paths import FIXTURES, ROOT

pytestmark = pytest.mark.slow

TEMPLATE = ROOT / "synthesis" / "templates" / "pipeline.py.tmpl"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}
HANG_GUARD = 600.0  # only so that a broken build fails instead of hanging CI; never reached
HEARTBEAT = "2"  # seconds: a killed worker's trial is failed after 6 s without one
GATED_TRAINING = '''"""Plain fit, held until the test opens the gate (the file `go`)."""
import time
from pathlib import Path

SEARCH_SPACE = {}


def train(model, X_train, y_train, X_valid, y_valid, params: dict, report=None):
    give_up = time.monotonic() + 600  # a test that died never leaves this process behind
    while not Path("go").exists() and time.monotonic() < give_up:
        time.sleep(0.05)
    return model.fit(X_train, y_train)
'''


@pytest.fixture(scope="module")
def postgres(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    why = unavailable()
    if why:
        # on the terminal, not only in -rs's summary: CI is meant to run these tests
        plugins = request.config.pluginmanager
        reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin(
            "capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nskipping the PostgreSQL worker tests: {why}")
        pytest.skip(why)
    server = PostgresServer()
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {exc.stderr}\n{server.log()}")
    try:
        yield server
    finally:
        server.stop()


class Processes:
    """The text2ml processes a test starts; all are killed at the end, even on failure."""

    def __init__(self, program: Path) -> None:
        self.program = program
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        text2ml = Path(sys.executable).with_name("text2ml")
        command = [str(text2ml)] if text2ml.exists() else [sys.executable, "-m",
                                                           "text2ml.server.cli"]
        proc = subprocess.Popen([*command, *args], cwd=ROOT, env=ENV, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def open_gate(self) -> None:
        (self.program / "go").touch()

    def close(self) -> None:
        self.open_gate()  # a warm worker orphaned by a kill finishes its fit and exits
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    program = Path(shutil.copytree(FIXTURES / "programs" / "wine", tmp_path / "wine"))
    shutil.copy(TEMPLATE, program / "pipeline.py")
    (program / "candidates" / "training" / "c1.py").write_text(GATED_TRAINING)
    running = Processes(program)
    try:
        yield running
    finally:
        running.close()


def _trials(program: Path, url: str) -> list[FrozenTrial]:
    try:
        study = optuna.load_study(study_name=load_program(program).study_name,
                                  storage=open_storage(program, url))
    except KeyError:  # not created yet
        return []
    return study.get_trials(deepcopy=False)


def _worker_id(proc: subprocess.Popen[str]) -> str:
    return f"{socket.gethostname()}:{proc.pid}"


def _wait(what: str, ready: Callable[[], bool], procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not ready():
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                raise AssertionError(f"{proc.args} exited with {proc.returncode} while "
                                     f"waiting for {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {HANG_GUARD:.0f}s")
        time.sleep(0.2)


def _running_by(program: Path, url: str, procs: list[subprocess.Popen[str]]) -> Callable:
    """Whether each process holds a RUNNING trial (held at the gate)."""
    def ready() -> bool:
        running = {t.user_attrs.get("worker") for t in _trials(program, url)
                   if t.state == TrialState.RUNNING}
        return all(_worker_id(p) in running for p in procs)
    return ready


def _finish(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 0, f"{proc.args}: exit {proc.returncode}: {err[-3000:]}"
    return json.loads(out.strip().splitlines()[-1])


def _start_all(run: Processes, watch_url: str, storage: str, trials: int
               ) -> list[subprocess.Popen[str]]:
    """optimize, then two workers once the study exists (its first trial, the default one,
    queued); no worker is given --trials: each stops when the study has what it needs."""
    common = ["--storage", storage, "--json", "--memory-mb", "2048", "--heartbeat", HEARTBEAT]
    optimize = run.start("optimize", str(run.program), "--trials", str(trials), *common)
    _wait("the study", lambda: bool(_trials(run.program, watch_url)), [optimize])
    return [optimize, *(run.start("worker", str(run.program), *common) for _ in range(2))]


def _check_shared(trials: list[FrozenTrial], ran: dict[str, int], target: int) -> None:
    """No RUNNING trial is left, numbers are unique, every trial was run by exactly one of
    the processes (the count each one reports matches the trials marked with its id)."""
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(numbers)))
    by_worker = {w: sum(t.user_attrs.get("worker") == w for t in trials) for w in ran}
    assert by_worker == ran and all(n > 0 for n in ran.values()), (by_worker, ran)
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", ())}
    counted = [t for t in trials if t.state.is_finished() and t.number not in retried]
    # the processes claim concurrently: each may start one trial past the target at most
    assert target <= len(counted) <= target + 2


def test_optimize_and_two_workers_share_one_postgres_study(postgres: PostgresServer,
                                                           processes: Processes) -> None:
    url = postgres.database("share")
    procs = _start_all(processes, url, url, trials=16)
    _wait("a trial RUNNING in each of the three processes",
          _running_by(processes.program, url, procs), procs)
    processes.open_gate()
    results = [_finish(p) for p in procs]
    optimized, workers = results[0], results[1:]
    trials = _trials(processes.program, url)
    ran = {_worker_id(p): r["trials_run"] for p, r in zip(procs[1:], workers, strict=True)}
    ran[_worker_id(procs[0])] = len(trials) - sum(ran.values())
    _check_shared(trials, ran, 16)
    assert optimized["n_trials"] == len(trials) and optimized["test_score"] is not None


def _kill_one_worker_mid_trial(run: Processes, watch_url: str, storage: str,
                               target: int) -> tuple[list[FrozenTrial], dict[str, int], int]:
    """Every process holds a RUNNING trial; kill -9 the first worker, then open the gate.
    Returns the trials, the counts of the survivors and the killed worker's trial number."""
    procs = _start_all(run, watch_url, storage, trials=target)
    optimize, victim, survivor = procs
    _wait("a trial RUNNING in each of the three processes",
          _running_by(run.program, watch_url, procs), procs)
    held = [t.number for t in _trials(run.program, watch_url)
            if t.state == TrialState.RUNNING and t.user_attrs.get("worker") == _worker_id(victim)]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    run.open_gate()
    optimized, survived = _finish(optimize), _finish(survivor)
    trials = _trials(run.program, watch_url)
    victims = sum(t.user_attrs.get("worker") == _worker_id(victim) for t in trials)
    ran = {_worker_id(survivor): survived["trials_run"], _worker_id(victim): victims}
    ran[_worker_id(optimize)] = len(trials) - sum(ran.values())
    assert optimized["n_trials"] == len(trials)
    return trials, ran, held[0]


def _check_resumed(trials: list[FrozenTrial], killed: int) -> None:
    """The killed worker's trial failed (its heartbeat stopped) and ran again to the end."""
    assert trials[killed].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert retries[0].params == trials[killed].params


def test_a_worker_killed_mid_trial_leaves_no_trial_running(postgres: PostgresServer,
                                                           processes: Processes) -> None:
    url = postgres.database("kill")
    trials, ran, killed = _kill_one_worker_mid_trial(processes, url, url, target=12)
    _check_shared(trials, ran, 12)
    _check_resumed(trials, killed)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_workers_through_the_grpc_storage_proxy(postgres: PostgresServer,
                                                processes: Processes) -> None:
    pytest.importorskip("grpc", reason="grpcio is not installed (pip install -e '.[postgres]')")
    url, port = postgres.database("grpc"), _free_port()
    proxy = processes.start("storage-proxy", "--storage", url, "--port", str(port),
                            "--heartbeat", HEARTBEAT)
    trials, ran, killed = _kill_one_worker_mid_trial(processes, url,
                                                     f"grpc://127.0.0.1:{port}", target=12)
    assert proxy.poll() is None, proxy.communicate()[1]
    _check_shared(trials, ran, 12)
    _check_resumed(trials, killed)
