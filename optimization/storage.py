"""Where a study lives: the program's SQLite file by default, or any Optuna storage URL."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

JOURNAL_PREFIX = "journal:///"


def default_storage_url(program_dir: Path) -> str:
    return f"sqlite:///{(Path(program_dir) / '.text2ml' / 'study.db').resolve()}"


def open_storage(program_dir: Path, url: str | None) -> BaseStorage:
    """`journal:///path` is Optuna's journal file (several processes, no server); an
    `sqlite://`, `postgresql://` or `mysql://` URL is an RDB storage."""
    if url and url.startswith(JOURNAL_PREFIX):
        path = Path("/" + url[len(JOURNAL_PREFIX):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    if url is None:
        (Path(program_dir) / ".text2ml").mkdir(parents=True, exist_ok=True)
        url = default_storage_url(program_dir)
    # several threads and processes write one SQLite file: wait for its lock, don't fail
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        return RDBStorage(url, engine_kwargs=kwargs)
    except (ImportError, ModuleNotFoundError) as exc:
        raise optuna.exceptions.StorageInternalError(
            f"cannot open the storage {url}: {exc}; install its database driver "
            "(e.g. `pip install psycopg2-binary` for PostgreSQL)") from exc
