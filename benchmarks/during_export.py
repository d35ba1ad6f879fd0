"""During an export: the dashboard's p95 latency while a PDF of the report renders, as a ratio to idle.

``wg serve`` (uvicorn, one worker) on the SQLite benchmark database. wrk keeps 4 connections busy on the dashboard
with nothing else running (idle), then again from the moment a PDF export is started through the exports page
(POST /g/<slug>/exports, as the organizer's browser does) until the job is done: the internal profile (every item,
with states: the biggest report of the demo group) in the full run, the shorter public profile in the quick one.
"""

from __future__ import annotations

import re
import time

from sqlmodel import col, select

from benchmarks import _serve
from benchmarks.common import Figure
from benchmarks.pages import measure, page_paths
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.models import Export

CONNECTIONS = 4
RATIO_TARGET = 2.0


def _wait_for_export(database_url: str, job_id: int, timeout_s: float) -> Export:
    db = Database(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with db.session() as s:
                job = s.exec(select(Export).where(col(Export.id) == job_id)).first()
            if job is not None and job.status in {"done", "failed"}:
                return job
            time.sleep(0.1)
    finally:
        db.dispose()
    raise _serve.BenchmarkError(f"the export did not finish in {timeout_s:.0f} s")


def run(quick: bool) -> list[Figure]:
    """The during-export figures."""
    (srv,) = _serve.shared([("wg", "uvicorn", 0)])
    assert srv.database is not None
    path = page_paths(srv)["dashboard"]
    idle = measure(srv, path, 1 if quick else 10, CONNECTIONS)
    browser = _serve.organizer(srv)
    token = browser.form_csrf(f"/g/{DEMO_SLUG}/exports")
    profile = "public" if quick else "internal"
    body = f"profile={profile}&format=pdf&_csrf_token={token}".encode()
    with _serve.background_load(srv.url + path, 600, CONNECTIONS, browser.cookie_header()) as during:
        started = time.monotonic()
        status, text = browser.request("POST", f"/g/{DEMO_SLUG}/exports", body,
                                       {"content-type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise _serve.BenchmarkError(f"starting the export answered {status}: {text[:300]}")
        match = re.search(r"started=(\d+)", browser.location)
        if not match:
            raise _serve.BenchmarkError(f"starting the export redirected to {browser.location!r}, not to its job")
        job = _wait_for_export(srv.database.url, int(match.group(1)), 300)
        elapsed = time.monotonic() - started
    if job.status != "done":
        raise _serve.BenchmarkError(f"the export failed: {job.error}")
    busy = during[0]
    ratio = busy.p95_ms / idle.p95_ms
    errors = idle.errors + busy.errors
    return [
        Figure("during_export.dashboard_p95_ratio", round(ratio, 2), "x", target=f"<= {RATIO_TARGET:g}",
               met=ratio <= RATIO_TARGET and errors == 0,
               note=f"p95 {busy.p95_ms:.0f} ms while the PDF rendered vs {idle.p95_ms:.0f} ms idle "
                    f"({CONNECTIONS} connections; {busy.rps:.0f} vs {idle.rps:.0f} req/s, {busy.requests} and "
                    f"{idle.requests} requests; {errors} errors)"),
        Figure("during_export.pdf_seconds", round(elapsed, 1), "s",
               note=f"{profile}-profile PDF started through POST /g/{DEMO_SLUG}/exports; the sandbox rendered it "
                    f"in {job.render_seconds or 0:.1f} s"),
    ]

