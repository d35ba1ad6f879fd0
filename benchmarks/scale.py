"""Scale: the section page and the dashboard of one group, on a database holding only that group and on one that
also holds 1,000 generated groups of 100 recommendations each (100,000 recommendations, 200,000 revisions).

Same server (``wg serve``: uvicorn, one worker), same pages, same load; the figure is the slowdown: requests per
second on the one-group database over requests per second on the big one (1.0 = no slower). Measured A-B-A (small,
big, small again) in the full run, so drift on a shared machine shows. The big database is built once with bulk
INSERTs and cached (see ``benchmarks._data``); on PostgreSQL (full run, ``WG_TEST_POSTGRES_URL`` set) both databases
are built from cached template databases.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import _serve
from benchmarks._data import BIG_GROUPS, RECS_PER_GROUP, postgres_database
from benchmarks.common import Figure
from benchmarks.pages import CONNECTIONS, measure, page_paths

SLOWDOWN_TARGET = 1.2
PAGES = ("dashboard", "section")


def _figures(name: str, small: Callable[[str], _serve.LoadResult], big: Callable[[str], _serve.LoadResult],
             quick: bool, note: str) -> list[Figure]:
    figures = []
    for page in PAGES:
        first = small(page)
        large = big(page)
        again = small(page) if not quick else first
        small_rps = (first.rps + again.rps) / 2
        slowdown = small_rps / large.rps
        drift = abs(first.rps - again.rps) / small_rps
        figures.append(Figure(
            f"scale.{name}.{page}.slowdown_1000_groups", round(slowdown, 2), "x", target=f"<= {SLOWDOWN_TARGET}",
            met=slowdown <= SLOWDOWN_TARGET,
            note=f"{small_rps:.0f} req/s with 1 group, {large.rps:.0f} with {BIG_GROUPS:,} groups of "
                 f"{RECS_PER_GROUP} recommendations (p99 {first.p99_ms:.0f} vs {large.p99_ms:.0f} ms, "
                 f"{CONNECTIONS} connections)"
                 + (f"; the two 1-group runs differ by {drift:.0%}" if not quick else "")))
    figures.append(Figure(f"scale.{name}.big_database", "ready", note=note))
    return figures


def _sqlite(quick: bool) -> list[Figure]:
    seconds = 1 if quick else 8
    started = time.monotonic()
    small_srv, big_srv = _serve.shared([("wg", "uvicorn", 0), ("wg", "uvicorn", BIG_GROUPS)])
    ready = time.monotonic() - started
    assert big_srv.database is not None
    how = "from the cache" if big_srv.database.cached else "built now"
    note = (f"{BIG_GROUPS:,} groups × {RECS_PER_GROUP} recommendations: {how}; building it takes "
            f"{big_srv.database.build_seconds:.0f} s, servers ready in {ready:.1f} s")
    return _figures("sqlite", lambda page: measure(small_srv, page_paths(small_srv)[page], seconds),
                    lambda page: measure(big_srv, page_paths(big_srv)[page], seconds), quick, note)


def _postgres(pg_url: str) -> list[Figure]:
    seconds = 8
    with tempfile.TemporaryDirectory(prefix="wg-bench-pg-") as tmp:
        workdir = Path(tmp)
        with postgres_database(pg_url, 0) as small_db, postgres_database(pg_url, BIG_GROUPS) as big_db:
            (workdir / "s").mkdir()
            (workdir / "b").mkdir()
            small_srv = _serve.start("wg", "uvicorn", _serve.wg_env(small_db.url, workdir / "s"), workdir / "s")
            big_srv = _serve.start("wg", "uvicorn", _serve.wg_env(big_db.url, workdir / "b"), workdir / "b")
            small_srv.database, big_srv.database = small_db, big_db
            try:
                _serve.wait_ready(small_srv)
                _serve.wait_ready(big_srv)
                note = (f"template databases {'from the cache' if big_db.cached else 'built now'}; building the "
                        f"big one takes {big_db.build_seconds:.0f} s")
                return _figures("postgres", lambda page: measure(small_srv, page_paths(small_srv)[page], seconds),
                                lambda page: measure(big_srv, page_paths(big_srv)[page], seconds), False, note)
            finally:
                _serve.stop(small_srv)
                _serve.stop(big_srv)


def run(quick: bool) -> list[Figure]:
    """SQLite always; PostgreSQL too in the full run when ``WG_TEST_POSTGRES_URL`` names a server."""
    figures = _sqlite(quick)
    pg_url = os.environ.get("WG_TEST_POSTGRES_URL", "")
    if pg_url and not quick:
        figures += _postgres(pg_url)
    elif not quick:
        figures.append(Figure("scale.postgres", "not run", note="set WG_TEST_POSTGRES_URL to measure PostgreSQL"))
    return figures
