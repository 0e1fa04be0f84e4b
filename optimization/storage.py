"""Where a study lives: the program's SQLite file by default, or any Optuna storage URL."""

from __future__ import annotations

import multiprocessing
import os
import queue
from contextlib import suppress
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import BaseStorage, GrpcStorageProxy, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial
from sqlalchemy.engine import make_url

from text2ml.optimization.heartbeat import quiet, stale_trial_settings
from text2ml.optimization.types import FINISHED, OptimizeError
from text2ml.synthesis.layout import STUDY_DB, state_dir

PROXY_WAIT = 30.0  # seconds to wait for a storage proxy that is still starting

JOURNAL_PREFIX = "journal:///"
GRPC_PREFIX = "grpc://"
# the `postgres` extra: psycopg (postgresql://) and grpcio (grpc://)
EXTRA = "`pip install -e '.[postgres]'` in text2ml's checkout"


def default_storage_url(program_dir: Path) -> str:
    return f"sqlite:///{(Path(program_dir) / STUDY_DB).resolve()}"


def read_only_url(program_dir: Path) -> str:
    """The program's study file opened read-only: a reader (the editor's leaderboard, a
    test) meeting a file the optimizer is still creating gets an error instead of creating
    the tables too, which would make the optimizer's own creation fail."""
    return f"sqlite:///file:{(Path(program_dir) / STUDY_DB).resolve()}?mode=ro&uri=true"


def shown_url(url: str) -> str:
    """The URL as messages and reports show it: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (journal:///, grpc://): nothing secret in it
        return url


def open_storage(program_dir: Path, url: str | None,
                 heartbeat: int | None = None) -> BaseStorage:
    """`journal:///path` is Optuna's journal file (several processes, no server);
    `grpc://host:port` is Optuna's gRPC storage proxy (`text2ml storage-proxy`); an
    `sqlite://`, `postgresql://` or `mysql://` URL is an RDB storage, with heartbeats every
    `heartbeat` seconds when given (docs/distributed-workers.md)."""
    if url and url.startswith(JOURNAL_PREFIX):
        path = Path("/" + url[len(JOURNAL_PREFIX):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    if url and url.startswith(GRPC_PREFIX):
        return open_grpc(url)
    if url is None:
        state_dir(program_dir).mkdir(parents=True, exist_ok=True)
        url = default_storage_url(program_dir)
    return open_rdb(url, heartbeat)


def open_rdb(url: str, heartbeat: int | None, storage_class: type[RDBStorage] = RDBStorage
             ) -> RDBStorage:
    # several threads and processes write one SQLite file: wait for its lock, don't fail
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    beats = stale_trial_settings(heartbeat) if heartbeat else {}
    try:
        with quiet():
            return storage_class(url, engine_kwargs=kwargs, **beats)
    except ImportError as exc:
        raise OptimizeError(_driver_advice(url, exc)) from exc
    except sqlalchemy.exc.OperationalError as exc:
        raise OptimizeError(f"cannot reach the storage {shown_url(url)}: "
                            f"{str(exc.orig).strip()}") from exc


def _driver_advice(url: str, exc: ImportError) -> str:
    """Name the driver SQLAlchemy picked for the URL's scheme, which is what is missing
    (for postgresql:// it is psycopg, version 3, not psycopg2)."""
    missing = exc.__cause__ or exc
    try:
        dialect = make_url(url).get_dialect()
        driver = f"{dialect.name}+{dialect.driver}"
    except Exception:
        driver = url.split(":", 1)[0]
    advice = (f"install it: {EXTRA}, or `pip install 'psycopg[binary]'`"
              if driver == "postgresql+psycopg" else f"install the module for {driver}")
    return (f"cannot open the storage {shown_url(url)}: SQLAlchemy's driver for it, {driver}, "
            f"is not installed ({missing}); {advice}, or name an installed driver in the URL "
            "(e.g. postgresql+psycopg2://...)")


def open_grpc(url: str) -> BaseStorage:
    host, _, port = url[len(GRPC_PREFIX):].rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        raise OptimizeError(f"the storage {url} is not grpc://HOST:PORT")
    try:
        with quiet():
            proxy = GrpcStorageProxy(host=host, port=int(port))
        proxy.wait_server_ready(timeout=PROXY_WAIT)
    except ImportError as exc:
        raise OptimizeError(f"the gRPC storage proxy needs grpcio ({exc}): {EXTRA}, or "
                            "`pip install grpcio`") from exc
    except (ConnectionError, TimeoutError) as exc:
        raise OptimizeError(f"no storage proxy answers at {host}:{port} ({exc}); start one "
                            "with `text2ml storage-proxy --storage URL --port PORT`") from exc
    return proxy


class WriteBehind:
    """The default storage belongs to this program alone, so the study runs in memory (an
    SQLite round trip per suggest/report/tell costs more than a small model's fit) and a
    writer process copies each finished trial into the SQLite file as it finishes (in this
    process its SQLAlchemy work would hold the GIL the trial loop needs). A killed run loses
    at most the trials not yet copied; no RUNNING trial is ever left in the file."""

    def __init__(self, durable: optuna.Study, url: str) -> None:
        self.durable = durable
        self.study = optuna.create_study(
            study_name=durable.study_name, direction=durable.direction,
            sampler=durable.sampler, pruner=durable.pruner)
        self.study.add_trials(durable.get_trials(states=FINISHED))
        for key, value in durable.user_attrs.items():
            self.study.set_user_attr(key, value)
        context = multiprocessing.get_context("spawn")
        self.queue: Any = context.Queue()
        self.writer = context.Process(target=write_trials, daemon=True,
                                      args=(url, durable.study_name, self.queue, os.getpid()))
        self.writer.start()

    def put(self, trial: FrozenTrial) -> None:
        self.queue.put(trial)

    def close(self) -> None:
        self.queue.put(None)
        self.writer.join()
        for key, value in self.study.user_attrs.items():
            self.durable.set_user_attr(key, value)
        if self.writer.exitcode:
            raise OptimizeError(f"writing trials to {self.durable.study_name}'s storage failed "
                                f"(exit code {self.writer.exitcode}); the study in memory is "
                                "complete but the file misses some trials")


WRITER_NICE = 5  # an SQLite insert costs more CPU than a small fit: trials come first


def write_trials(url: str, study_name: str, trials: Any, parent: int) -> None:
    """The writer process: append finished trials to the storage until told to stop, those
    that queued up meanwhile in one `add_trials`, at a lower priority than the trials."""
    os.nice(WRITER_NICE)
    study = optuna.load_study(study_name=study_name, storage=open_storage(Path("."), url))
    while True:
        try:
            batch = [trials.get(timeout=1.0)]
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed: nothing more will come
                return
            continue
        with suppress(queue.Empty):
            while batch[-1] is not None:
                batch.append(trials.get_nowait())
        study.add_trials([trial for trial in batch if trial is not None])
        if batch[-1] is None:
            return
