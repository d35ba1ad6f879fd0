"""A real ``wg serve`` in a subprocess against a test's database, for browser and load tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wg.settings import Settings


@dataclass
class Server:
    """A ``wg serve`` subprocess and its log."""

    url: str
    log_path: Path
    proc: subprocess.Popen[bytes]
    _log: Any

    def stop(self) -> str:
        """Stop the server (once) and return everything it logged."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.log_path.read_text(errors="replace")

    def kill_hard(self) -> None:
        """``kill -9`` the server's whole process group (``wg serve`` and any worker it spawned), and reap it."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(settings: Settings, tmp_path: Path, log_name: str = "server.log",
                   extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``python -m wg serve`` on a free port against ``settings``' database, ready once /healthz answers
    (``extra_env``: more ``WG_*`` variables for the server)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "WG_ENV": "test",
        "WG_DATA_DIR": str(settings.data_dir),
        "WG_DATABASE_URL": settings.database_url,
        "WG_EXPORTS_DIR": str(settings.exports_dir),
        "WG_SECRET_KEY": settings.secret_key,
        "WG_BASE_URL": base,
        **(extra_env or {}),
    }
    log_path = tmp_path / log_name
    log = log_path.open("w")
    # Its own process group, so kill_hard() reaches every process the server runs.
    proc = subprocess.Popen([sys.executable, "-m", "wg", "serve", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(base, log_path, proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:  # noqa: S310 - loopback only
                    if json.load(r) == {"status": "ok"}:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"wg serve did not start:\n{server.stop()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()
