"""A fresh database and a real ``wg serve`` subprocess for the load and save benchmarks (no pytest here).

The database is new for every run: a SQLite file in a temporary folder, or a PostgreSQL database created on the
server named by ``WG_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and dropped
afterwards. It is migrated and gets the demo group with the functions ``wg db upgrade`` and ``wg demo`` call (in this
process, which saves two interpreter start-ups); ``wg serve`` then checks the migrations again itself.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy.engine import make_url

from wg.db import Database
from wg.demo import load_demo
from wg.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET_KEY = "benchmark-secret-key-" + "x" * 32
_MIGRATE_LOCK = threading.Lock()  # Alembic keeps its running migration in module globals: one at a time per process


def postgres_admin_url() -> str:
    """The PostgreSQL server to create benchmark databases on (a database there that already exists)."""
    return os.environ.get("WG_TEST_POSTGRES_URL") or DEFAULT_PG_URL


def _libpq(url: str) -> str:
    return make_url(url.replace("postgresql+psycopg://", "postgresql://", 1)).render_as_string(hide_password=False)


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database on ``backend`` ("sqlite" or "postgres"); yields its SQLAlchemy URL, drops it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'wg.sqlite3'}"
        return
    if backend != "postgres":
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    admin = _libpq(postgres_admin_url())
    name = f"wg_load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # a name made here from hex digits
    try:
        yield make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, folder: Path, base_url: str = "http://127.0.0.1:8000") -> dict[str, str]:
    """The environment a ``wg`` command gets: this database, data and exports under ``folder``."""
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "WG_ENV": "test",
        "WG_DATA_DIR": str(folder / "data"),
        "WG_DATABASE_URL": database_url,
        "WG_EXPORTS_DIR": str(folder / "exports"),
        "WG_SECRET_KEY": SECRET_KEY,
        "WG_BASE_URL": base_url,
    }


def prepare_database(database_url: str) -> None:
    """Migrate the database and load the demo group: what ``wg db upgrade`` and ``wg demo`` do, in this process."""
    database = Database(database_url)
    try:
        with _MIGRATE_LOCK:
            upgrade(database.engine)
        with database.transaction() as session:
            load_demo(session)
    finally:
        database.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A ``wg serve`` subprocess and its log."""

    url: str
    log_path: Path
    proc: subprocess.Popen[bytes]
    _log: IO[str]

    def stop(self) -> str:
        """Stop the server (once) and return everything it logged."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, folder: Path) -> Server:
    """Start ``python -m wg serve`` on a free port of 127.0.0.1 (see :func:`wait_ready`)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "wg", "serve", "--port", str(port)],  # noqa: S603 - our own CLI
                            env=server_env(database_url, folder, base), stdout=log, stderr=subprocess.STDOUT)
    return Server(base, log_path, proc, log)


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    """Wait until ``/healthz`` answers ok; stop the server and raise with its log if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as r:  # noqa: S310 - loopback only
                if json.load(r) == {"status": "ok"}:
                    return
        except OSError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"wg serve did not start:\n{server.stop()}")
        time.sleep(0.1)


@contextmanager
def serve(database_url: str, folder: Path) -> Iterator[Server]:
    """A ready ``wg serve`` against the database, stopped afterwards."""
    server = start_server(database_url, folder)
    try:
        wait_ready(server)
        yield server
    finally:
        server.stop()
