"""Heartbeats, so that a worker killed mid-trial (kill -9, a lost machine) leaves no trial
RUNNING forever.

Optuna's RDB storage keeps one heartbeat per RUNNING trial, stamped with the database's own
clock (so machines' clocks need not agree), and `fail_stale_trials` fails the trials whose
heartbeat is older than the grace period; the storage's callback then queues a failed
trial's parameters again, once. Optuna's `study.optimize` beats and sweeps by itself; text2ml
asks and tells trials by hand, so it does both here.

Optuna's gRPC storage proxy has no heartbeat call. Over it the beat travels as a trial
system attribute, BEAT_ATTR, which the proxy's own storage (`BeatRelay`, run by
`text2ml storage-proxy`) turns into the database heartbeat; the proxy sweeps."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.storages import (
    BaseStorage,
    GrpcStorageProxy,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
)
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled

BEAT_ATTR = "text2ml:heartbeat"
GRACE = 3  # beats a trial may miss: a busy database or machine delays one, rarely three
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # the `worker` attribute of its trials
RETRIES = 1  # a trial whose worker died runs once more; a config that kills workers not again

log = logging.getLogger(__name__)
# study.ask() warns at every trial that heartbeats are meant for study.optimize: text2ml
# beats and sweeps itself (above), so the warning is noise on every worker's stderr
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with")


@contextmanager
def quiet() -> Iterator[None]:
    """Optuna calls heartbeats "experimental" (since 2.9) and says so at every use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def stale_trial_settings(interval: int) -> dict[str, Any]:
    """RDBStorage's keyword arguments for heartbeats every `interval` seconds."""
    with quiet():
        return {"heartbeat_interval": interval, "grace_period": GRACE * interval,
                "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(RETRIES)}


def _sends_beats(storage: BaseStorage) -> bool:
    return is_heartbeat_enabled(storage) or isinstance(storage, GrpcStorageProxy)


def _beat(storage: BaseStorage, trial_id: int) -> None:
    if isinstance(storage, GrpcStorageProxy):
        storage.set_trial_system_attr(trial_id, BEAT_ATTR, time.time())
    else:
        assert isinstance(storage, BaseHeartbeat)
        storage.record_heartbeat(trial_id)


def _beat_until(storage: BaseStorage, trial_id: int, interval: float,
                stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            _beat(storage, trial_id)
        except Exception as exc:  # a database hiccup: the next beat may pass; GRACE allows it
            log.warning("heartbeat of trial %s failed: %s", trial_id, exc)


@contextmanager
def beating(study: optuna.Study, trial: optuna.Trial, interval: int) -> Iterator[None]:
    """While the block runs, the trial's heartbeat is sent every `interval` seconds (the
    storage's own interval where it has one). Nothing on storages without heartbeats."""
    storage = study._storage  # Optuna's own heartbeat thread reads the same attributes
    if not _sends_beats(storage):
        yield
        return
    trial.set_user_attr("worker", WORKER)  # who ran it, for the report and for duplicates
    every = (storage.get_heartbeat_interval() if isinstance(storage, BaseHeartbeat)
             else None) or interval
    # at once: Optuna never counts a trial without any heartbeat as stale
    _beat(storage, trial._trial_id)
    stop = threading.Event()
    thread = threading.Thread(target=_beat_until, args=(storage, trial._trial_id, every, stop),
                              daemon=True, name=f"heartbeat-{trial.number}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class Sweeper:
    """Fails stale trials at most once per heartbeat interval: a sweep is a query, and a
    claim can come every few milliseconds when fits are small."""

    def __init__(self) -> None:
        self.last = float("-inf")

    def sweep(self, study: optuna.Study, force: bool = False) -> None:
        storage = study._storage
        if not is_heartbeat_enabled(storage):
            return
        interval = storage.get_heartbeat_interval()
        if not force and time.monotonic() - self.last < interval:
            return
        self.last = time.monotonic()
        with quiet():
            fail_stale_trials(study)


class BeatRelay(RDBStorage):
    """The storage behind `text2ml storage-proxy`: a BEAT_ATTR sent by a worker over gRPC
    becomes the trial's database heartbeat instead of an attribute."""

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        if key == BEAT_ATTR:
            self.record_heartbeat(trial_id)
            return
        super().set_trial_system_attr(trial_id, key, value)
