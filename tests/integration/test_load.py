"""The bounded load (issue "Hardening", item 6) against a real ``wg serve``, on SQLite and on PostgreSQL.

20 writers save recommendations and sections through the JSON API (a quarter of them on one recommendation, so
stale saves merge or conflict) while 20 readers read pages and the API, for ``WG_LOAD_SECONDS`` (15 s in CI; the
full run is ``WG_LOAD_SECONDS=120`` or ``python -m benchmarks.load --seconds 120 --backend both``). Then an
overload burst of 40 + 40 clients: with more requests in flight than the server has worker threads, a request that
kept its pooled connection until a worker thread was free to close it once stalled the whole server until the pool
timed out, and answered 500s.

Nothing may answer 5xx, fail to answer, or say "database is locked" (in a response or the server log); every
acknowledged save must be in the database as answered, revision numbers contiguous. Save p95 is printed and written
to ``tests/artifacts/``. Clients get sessions issued in the database (40 Argon2 logins would cost more than the
load); the login itself is covered by the accounts tests, and the full command logs in with passwords.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.load import Load, LoadReport
from tests.live_server import running_server
from wg.settings import Settings

SECONDS = float(os.environ.get("WG_LOAD_SECONDS", "15"))
BURST_SECONDS = 5.0
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _assert_clean(report: LoadReport, what: str) -> None:
    summary = "\n".join(report.lines())
    assert report.errors.get("5xx", 0) == 0, summary
    assert report.errors.get("connection", 0) == 0, summary
    assert report.errors.get("locked", 0) == 0, summary
    assert report.errors.get("unexpected", 0) == 0, summary
    assert report.problems == [], summary
    assert report.ok, summary
    # The load really ran: saves landed, stale ones merged, readers were answered.
    assert report.acknowledged > 0 and report.reads > 0, f"{what}: nothing happened\n{summary}"


def test_bounded_load_loses_nothing_and_never_fails(settings: Settings, database_url: str, tmp_path: Path) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with running_server(settings, tmp_path) as server, Load(server.url, database_url, login="issued") as clients:
        load = clients.run(SECONDS, writers=20, readers=20)
        burst = clients.run(BURST_SECONDS, writers=40, readers=40, server_log=server.stop, name=f"{backend}-burst")
    lines = load.lines() + burst.lines()
    print("\n" + "\n".join(line for line in lines if ".example:" not in line))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"load_{backend}.txt").write_text("\n".join(lines) + "\n")

    _assert_clean(load, "20 + 20 load")
    assert load.outcomes.get("merged", 0) > 0, "no stale save merged: the writers did not contend\n" + "\n".join(lines)
    _assert_clean(burst, "40 + 40 burst")
    print(f"load.{backend}.save.p95: {load.save_ms['p95']:.0f} ms (20 writers + 20 readers, {load.seconds:.0f} s)")
