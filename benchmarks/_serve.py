"""Start an ASGI server (uvicorn or granian, one worker) in a subprocess and load it with wrk from another process.

Pytest-free on purpose: ``python -m benchmarks`` runs outside the test suite. The load generator is wrk (a separate C
process), never the Python process that started the server, so the figures are the server's, not the client's.
"""

from __future__ import annotations

import atexit
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks._data import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("uvicorn", "granian")
DEMO_LOGIN = "organizer@example.org"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# wrk's done() hook: one machine-readable line (latencies in microseconds), so p95/p99 need no parsing of --latency.
_STATS_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WGSTATS %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.bytes))
end
"""


class BenchmarkError(RuntimeError):
    """A benchmark could not run (a server did not start, wrk is missing, a page did not answer 200)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A server subprocess on 127.0.0.1."""

    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    database: BenchDatabase | None = None
    browser: Any = None  # the logged-in Browser, once someone logged in

    @property
    def pid(self) -> int:
        """The server's process id (for ``ps`` while it runs)."""
        return self.proc.pid

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wg_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment a wg server process gets: its database, a data and exports folder under ``workdir``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("WG_")},
        "PYTHONUNBUFFERED": "1",
        "WG_ENV": "test",
        "WG_DATA_DIR": str(workdir / "data"),
        "WG_DATABASE_URL": database_url,
        "WG_EXPORTS_DIR": str(workdir / "exports"),
        "WG_SECRET_KEY": "benchmark-secret-key-" + "x" * 32,
    }


def server_command(app: str, server: str, port: int) -> list[str]:
    """The command line for one worker of ``server`` serving ``app`` ("wg" or "ceiling") on ``port``.

    wg under uvicorn is exactly ``wg serve`` (uvicorn, access log at info); the ceiling app under uvicorn gets the
    same log level, so the two differ only in what the application does. granian logs no access lines by default,
    for both.
    """
    if server not in SERVERS:
        raise ValueError(f"server must be one of {SERVERS}, not {server!r}")
    target = "wg.asgi:app" if app == "wg" else "benchmarks.ceiling_app:app"
    if server == "uvicorn":
        if app == "wg":
            return [sys.executable, "-m", "wg", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                "--log-level", "info", "--no-proxy-headers"]
    return [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", target]


def start(app: str, server: str, env: dict[str, str], workdir: Path) -> Server:
    """Start serving ``app`` with ``server`` (one worker); call :func:`wait_ready` before using it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / f"{app}-{server}-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(server_command(app, server, port), env={**env, "WG_BASE_URL": url},  # noqa: S603
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Server(url, proc, log_path)


def wait_ready(srv: Server, timeout_s: float = 60) -> Server:
    """Wait until ``/healthz`` answers ``{"status": "ok"}``; raise with the server's log if it never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{srv.url}/healthz", timeout=2) as r:  # noqa: S310 - loopback only
                if json.load(r) == {"status": "ok"}:
                    return srv
        except OSError:
            pass
        if srv.proc.poll() is not None or time.monotonic() > deadline:
            stop(srv)
            raise BenchmarkError(f"{srv.log_path.stem} did not start:\n{srv.log()[-3000:]}")
        time.sleep(0.05)


def stop(srv: Server) -> None:
    """Stop a server (no graceful drain: the load has ended)."""
    if srv.proc.poll() is None:
        srv.proc.terminate()
        try:
            srv.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            srv.proc.kill()
            srv.proc.wait(timeout=5)


@contextmanager
def running(app: str, server: str, env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """Serve ``app`` with ``server`` (one worker) until the block ends; ready once ``/healthz`` answers."""
    srv = start(app, server, env, workdir)
    try:
        yield wait_ready(srv)
    finally:
        stop(srv)


# Servers shared by the modules of one ``python -m benchmarks`` run: started together (their start-up, mostly
# imports, overlaps), each on its own copy of a benchmark database, stopped by close_shared() or at exit.
_shared: dict[tuple[str, str, int], Server] = {}
_shared_stack = ExitStack()
_shared_dir: list[Path] = []


def _workdir() -> Path:
    if not _shared_dir:
        _shared_dir.append(Path(_shared_stack.enter_context(tempfile.TemporaryDirectory(prefix="wg-bench-"))))
        atexit.register(close_shared)
    return _shared_dir[0]


def shared(specs: list[tuple[str, str, int]]) -> list[Server]:
    """Servers for ``(app, server, groups)`` specs (``groups``: generated groups in its database; ignored for the
    ceiling), reusing those already running in this process and starting the others in parallel."""
    from benchmarks._data import sqlite_database

    workdir = _workdir()
    fresh = []
    for spec in specs:
        if spec in _shared:
            continue
        app, server, groups = spec
        folder = workdir / f"{app}-{server}-{groups}"
        folder.mkdir()
        env = wg_env("sqlite://", folder)
        if app == "wg":
            bench = _shared_stack.enter_context(sqlite_database(groups, folder))
            env = wg_env(bench.url, folder)
        srv = start(app, server, env, folder)
        srv.database = bench if app == "wg" else None
        _shared_stack.callback(stop, srv)
        _shared[spec] = srv
        fresh.append(srv)
    for srv in fresh:
        wait_ready(srv)
    return [_shared[spec] for spec in specs]


def close_shared() -> None:
    """Stop every shared server and remove their databases."""
    _shared.clear()
    _shared_dir.clear()
    _shared_stack.close()


class Browser:
    """A logged-in HTTP client (stdlib only): keeps the cookies, reads CSRF tokens from pages."""

    CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.location = ""  # the Location header of the last answer, if it had one

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, str]:
        """Send one request; the status and body (redirects are not followed)."""
        req = urllib.request.Request(self.base_url + path, data=body, method=method,  # noqa: S310 - loopback
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                self.location = r.headers.get("location", "")
                return int(r.status), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            self.location = exc.headers.get("location", "")
            return int(exc.code), exc.read().decode("utf-8", "replace")

    def login(self, email: str, password: str) -> None:
        """Log in through the JSON API (POST /api/v1/session)."""
        status, _ = self.request("GET", "/api/v1/session")
        body = json.dumps({"email": email, "password": password}).encode()
        status, text = self.request("POST", "/api/v1/session", body, {"content-type": "application/json",
                                                                       "x-csrftoken": self.api_csrf()})
        if status not in (200, 201):
            raise BenchmarkError(f"login as {email} failed: {status} {text[:300]}")

    def api_csrf(self) -> str:
        """This session's CSRF token for API calls."""
        status, text = self.request("GET", "/api/v1/session")
        if status != 200:
            raise BenchmarkError(f"GET /api/v1/session answered {status}")
        return str(json.loads(text)["csrf_token"])

    def form_csrf(self, path: str) -> str:
        """The CSRF token in the forms of the page at ``path``."""
        status, text = self.request("GET", path)
        match = self.CSRF.search(text)
        if status != 200 or not match:
            raise BenchmarkError(f"GET {path} answered {status} without a form token")
        return match.group(1)

    def cookie_header(self) -> str:
        """The Cookie header this browser sends, for wrk."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def check_page(self, path: str) -> int:
        """GET ``path``; raise unless it answers 200. The size of the page in bytes."""
        status, text = self.request("GET", path)
        if status != 200:
            raise BenchmarkError(f"GET {path} answered {status}: {text[:300]}")
        return len(text.encode())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class LoadResult:
    """What wrk measured: requests per second and latency percentiles in milliseconds."""

    requests: int
    seconds: float
    socket_errors: int
    non_2xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Socket errors and non-2xx/3xx answers together."""
        return self.socket_errors + self.non_2xx


def parse_wrk(output: str) -> LoadResult:
    """The ``WGSTATS`` line the done() hook printed."""
    for line in output.splitlines():
        if line.startswith("WGSTATS "):
            n, duration_us, sock, status, p50, p95, p99, worst, _bytes = (int(x) for x in line.split()[1:])
            return LoadResult(n, duration_us / 1e6, sock, status, p50 / 1000, p95 / 1000, p99 / 1000, worst / 1000)
    raise BenchmarkError(f"wrk printed no WGSTATS line:\n{output[-2000:]}")


def _lua_script() -> Path:
    path = Path(tempfile.gettempdir()) / "wg-bench-stats.lua"
    if not path.exists() or path.read_text() != _STATS_LUA:
        path.write_text(_STATS_LUA)
    return path


def wrk_command(url: str, seconds: float, connections: int, cookie: str = "") -> list[str]:
    """wrk with one thread (the server has one worker; the second core is the load's), latency kept per request."""
    if not Path(WRK).exists():
        raise BenchmarkError("wrk is not installed (apt-get install wrk)")
    cmd = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(_lua_script())]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    return [*cmd, url]


def load(url: str, seconds: float, connections: int = 16, cookie: str = "") -> LoadResult:
    """Run wrk against ``url`` for ``seconds`` with ``connections`` open connections."""
    done = subprocess.run(wrk_command(url, seconds, connections, cookie), capture_output=True, text=True,  # noqa: S603
                          timeout=seconds + 30, check=False)
    return parse_wrk(done.stdout + done.stderr)


@contextmanager
def background_load(url: str, seconds: float, connections: int, cookie: str = "") -> Iterator[list[LoadResult]]:
    """wrk running while the block runs; stopped (SIGINT, wrk then prints its figures) when the block ends.

    The yielded list gets the result once the block has ended.
    """
    proc = subprocess.Popen(wrk_command(url, seconds, connections, cookie), stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, text=True)
    results: list[LoadResult] = []
    try:
        yield results
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        results.append(parse_wrk(out))


def warm(url: str, cookie: str = "", requests: int = 10) -> None:
    """A few requests to warm the server (templates compiled, pools filled, code paths run) before measuring."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 - loopback only
    for _ in range(requests):
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback only
            r.read()


def organizer(srv: Server) -> Browser:
    """The demo organizer's logged-in browser on ``srv`` (logged in once per server)."""
    if srv.browser is None:
        from wg.demo import DEMO_PASSWORD

        srv.browser = Browser(srv.url)
        srv.browser.login(DEMO_LOGIN, DEMO_PASSWORD)
    browser: Browser = srv.browser
    return browser
