"""`text2ml storage-proxy`: Optuna's gRPC storage proxy in front of an RDB storage.

Many workers then hold one gRPC channel each instead of a database connection pool, and
the proxy's cache answers the frequent "all trials" reads without the database
(Optuna's documentation recommends it from a few tens of workers on). The proxy also sweeps
the trials whose heartbeats stopped: its workers cannot, over gRPC (heartbeat.py).
"""

from __future__ import annotations

import logging
import threading
import time

import optuna
from optuna.storages import BaseStorage, get_storage, run_grpc_proxy_server

from text2ml.optimization.heartbeat import BeatRelay, Sweeper, quiet
from text2ml.optimization.storage import open_rdb, shown_url

log = logging.getLogger(__name__)


def _sweep_forever(storage: BaseStorage, interval: int) -> None:
    while True:
        time.sleep(interval)
        try:
            for frozen in storage.get_all_studies():
                study = optuna.load_study(study_name=frozen.study_name, storage=storage)
                Sweeper().sweep(study, force=True)
        except Exception as exc:  # a database hiccup must not stop the proxy; sweep again
            log.warning("sweeping stale trials failed: %s", exc)


def serve_storage_proxy(url: str, host: str, port: int, heartbeat: int) -> None:
    """Serve `url` on host:port until interrupted; workers use `grpc://host:port`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # get_storage adds Optuna's trial cache, as its docs advise for the proxy
    storage = get_storage(open_rdb(url, heartbeat, storage_class=BeatRelay))
    threading.Thread(target=_sweep_forever, args=(storage, heartbeat), daemon=True,
                     name="sweep-stale-trials").start()
    print(f"storage proxy for {shown_url(url)} on {host}:{port} "
          f"(workers: --storage grpc://{host}:{port})", flush=True)
    with quiet():
        run_grpc_proxy_server(storage, host=host, port=port)
