"""text2ml's own job executor: long work off the event loop, one job per program folder.

Jobs never run on pygls's thread pool: its stdin reader shares that pool, so two long jobs
there could stop the server from reading the client's messages.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)
MAX_WORKERS = 4
JOB_NICENESS = 10  # jobs mostly wait on child processes and the LLM, not on this process's CPU


@dataclass
class Job:
    id: str
    key: str  # the program folder the job works on: at most one job per key
    kind: str  # generate, test, optimize, regenerate...
    title: str
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    future: Future[Any] | None = None
    # kinds of job that may start on the same program while this one runs: a generate that
    # has published its recipe program lets the user test and optimize it meanwhile
    lets_run: frozenset[str] = frozenset()

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "program": self.key,
                "seconds": round(time.monotonic() - self.started, 1),
                "cancelling": self.cancel.is_set()}


class JobBusy(Exception):
    """A job already works on this program folder."""

    def __init__(self, running: Job) -> None:
        super().__init__(f"{running.title} is already running for {running.key}; wait for it "
                         "to finish or cancel it (text2ml.cancel).")
        self.running = running


def lower_priority() -> None:
    """Nice this job thread. On Linux niceness is per thread, and the threads and child processes
    a job starts (trial workers, sandboxed tests) inherit it, so the event loop answering the
    editor keeps its full priority while a job saturates the cores."""
    if not sys.platform.startswith("linux"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                       max(current, JOB_NICENESS))
    except OSError:  # not permitted here: jobs run at the server's priority
        logger.debug("could not lower the job thread's priority", exc_info=True)


class JobManager:
    def __init__(self, max_workers: int = MAX_WORKERS) -> None:
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="text2ml-job")
        self._lock = threading.Lock()
        self._running: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._finished_listeners: list[Callable[[Job], None]] = []

    def start(self, key: str, kind: str, title: str, work: Callable[[Job], Any]) -> Job:
        """Submit `work(job)`; raise JobBusy if a job already works on `key`."""
        with self._lock:
            busy = next((j for j in self.running_all(key) if kind not in j.lets_run), None)
            if busy is not None:
                raise JobBusy(busy)
            job = Job(f"{kind}-{next(self._ids)}", key, kind, title)
            self._running[job.id] = job
        try:
            job.future = self._executor.submit(self._run, job, work)
        except RuntimeError:  # the server is shutting down
            with self._lock:
                self._running.pop(job.id, None)
            raise
        return job

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Short blocking work that is not a program job (e.g. probing the LLM endpoint)."""
        return self._executor.submit(fn, *args)

    def _run(self, job: Job, work: Callable[[Job], Any]) -> Any:
        lower_priority()
        try:
            return work(job)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            for listener in list(self._finished_listeners):
                try:
                    listener(job)
                except Exception:  # one listener's failure must not hide the job's result
                    logger.exception("after job %s", job.id)

    def on_finished(self, listener: Callable[[Job], None]) -> None:
        self._finished_listeners.append(listener)

    def running_for(self, key: str) -> Job | None:
        """The job that started first on `key` (a generate, before the optimize it let in)."""
        return next(iter(self.running_all(key)), None)

    def running_all(self, key: str) -> list[Job]:
        return [j for j in list(self._running.values()) if j.key == key]

    def get(self, job_id: str) -> Job | None:
        return self._running.get(job_id)

    def all(self) -> list[Job]:
        return list(self._running.values())

    def cancel(self, job: Job) -> None:
        job.cancel.set()

    def shutdown(self) -> None:
        """Ask every job to stop, then let the executor wind down without waiting here."""
        for job in self.all():
            job.cancel.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
