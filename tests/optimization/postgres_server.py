"""A throw-away PostgreSQL server on 127.0.0.1 for tests and benchmarks: Debian's binaries
(scripts/setup.sh installs the `postgresql` package), a data directory of its own in /tmp,
trust authentication, stopped and removed on close.

initdb and pg_ctl refuse to run as root, so as root they run as the package's `postgres`
user (or `nobody`) through runuser."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "text2ml"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _run_as() -> tuple[list[str], str | None]:
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    return [], None


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if _bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; scripts/setup.sh does)"
    if os.geteuid() == 0 and (not shutil.which("runuser") or _run_as()[1] is None):
        return "running as root without runuser or an unprivileged user for initdb"
    try:
        import psycopg  # noqa: F401  # the driver SQLAlchemy picks for postgresql://
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.prefix, self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="text2ml-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        """A new, empty database on the server: its URL (one per test keeps studies apart)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        assert self.bin is not None
        subprocess.run([*self.prefix, str(self.bin / command[0]), *command[1:]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self) -> PostgresServer:
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        # fsync off: a test database need not survive a power cut, and the disk is shared
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
                   f"-c synchronous_commit=off -c unix_socket_directories={self.root} "
                   "-c max_connections=200")
        self.started = True  # from here on, stop() must try pg_ctl even if start failed
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "120", "start")
        return self

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        try:
            if self.started and self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running (start failed): nothing to stop
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
