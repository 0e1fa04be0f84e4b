"""Where a study lives: the program's SQLite file by default, or any Optuna storage URL."""

from __future__ import annotations

import multiprocessing
import os
import queue
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial

from text2ml.optimization.types import FINISHED, OptimizeError
from text2ml.synthesis.layout import STUDY_DB, state_dir

JOURNAL_PREFIX = "journal:///"


def default_storage_url(program_dir: Path) -> str:
    return f"sqlite:///{(Path(program_dir) / STUDY_DB).resolve()}"


def open_storage(program_dir: Path, url: str | None) -> BaseStorage:
    """`journal:///path` is Optuna's journal file (several processes, no server); an
    `sqlite://`, `postgresql://` or `mysql://` URL is an RDB storage."""
    if url and url.startswith(JOURNAL_PREFIX):
        path = Path("/" + url[len(JOURNAL_PREFIX):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    if url is None:
        state_dir(program_dir).mkdir(parents=True, exist_ok=True)
        url = default_storage_url(program_dir)
    # several threads and processes write one SQLite file: wait for its lock, don't fail
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        return RDBStorage(url, engine_kwargs=kwargs)
    except (ImportError, ModuleNotFoundError) as exc:
        raise optuna.exceptions.StorageInternalError(
            f"cannot open the storage {url}: {exc}; install its database driver "
            "(e.g. `pip install psycopg2-binary` for PostgreSQL)") from exc


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


def write_trials(url: str, study_name: str, trials: Any, parent: int) -> None:
    """The writer process: append finished trials to the storage until told to stop."""
    study = optuna.load_study(study_name=study_name, storage=open_storage(Path("."), url))
    while True:
        try:
            trial = trials.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed: nothing more will come
                return
            continue
        if trial is None:
            return
        study.add_trial(trial)
