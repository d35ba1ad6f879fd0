"""An export whose app process is killed mid-render does not stay "running" for ever (issue 12, item 4).

Real processes: a ``wg serve`` subprocess renders the PDF and is killed with SIGKILL (its whole process group) while
its sandboxed renderer works; another app process — a second ``wg serve``, or this test's own app — finds the lease
run out in the database, retries the job once, and the second time marks it failed with the reason. The lease is 2 s
here (``WG_EXPORT_LEASE_SECONDS``) so that recovery takes seconds, not a minute.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlmodel import select

from tests.conftest import login
from tests.live_server import Server, running_server
from wg.app import create_app
from wg.db import Database
from wg.demo import DEMO_PASSWORD
from wg.features.report.exports import INTERRUPTED_TWICE
from wg.models import AuditEvent, Export
from wg.settings import Settings

LEASE = 2
ORGANIZER = "organizer@example.org"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _token(html: str) -> str:
    match = CSRF.search(html)
    assert match
    return match.group(1)


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[1])  # a zombie has finished


def _renderers_under(root: int) -> list[int]:
    """The sandboxed PDF renderers started by process ``root`` (or by its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"wg.features.report.sandbox" not in command:
            continue
        pid = int(entry.name)
        parent: int | None = pid
        for _ in range(5):
            parent = _ppid(parent) if parent else None
            if parent == root:
                found.append(pid)
                break
    return found


def _request_export(server: Server) -> int:
    """Log in to a live server as the organizer and start an internal PDF export; its job id."""
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        page = client.get("/login")
        client.post("/login", data={"email": ORGANIZER, "password": DEMO_PASSWORD, "_csrf_token": _token(page.text)})
        page = client.get("/g/trilateral/exports")
        answer = client.post("/g/trilateral/exports", data={"profile": "internal", "format": "pdf",
                                                           "_csrf_token": _token(page.text)})
        assert answer.status_code == 303, answer.text
        return int(answer.headers["location"].split("started=")[1])


def _job(db: Database, job_id: int) -> Export:
    with db.session() as s:
        job = s.get(Export, job_id)
        assert job is not None
        return job


def _kill_mid_render(server: Server, db: Database, job_id: int, attempt: int) -> None:
    """Wait until ``server`` renders attempt ``attempt`` of the job in its sandbox, then kill -9 the server."""
    deadline = time.monotonic() + 90
    renderers: list[int] = []
    while time.monotonic() < deadline:
        job = _job(db, job_id)
        assert job.status in {"queued", "running"}, (job.status, job.error)
        if job.status == "running" and job.attempts == attempt and (renderers := _renderers_under(server.proc.pid)):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"attempt {attempt} of export {job_id} never started rendering:\n{server.stop()[-3000:]}")
    server.kill_hard()
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.path) == ("running", attempt, ""), "the render finished before the kill"
    # The renderer leads its own session, so the kill did not reach it: it must notice its parent died and stop.
    deadline = time.monotonic() + 10
    while any(_ppid(pid) is not None for pid in renderers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in renderers if _ppid(pid) is not None], "the renderer outlived the killed server"


def _recovered_page(settings: Settings, db: Database, timeout: float = 120) -> BeautifulSoup:
    """Start another app process's worth of wg (this test's own app) and show the exports page once it is idle."""
    app = create_app(dataclasses.replace(settings, export_lease_seconds=LEASE), db=db)
    with TestClient(app=app, base_url="http://testserver.local") as client:
        login(client, ORGANIZER)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listing = client.get("/g/trilateral/exports", headers={"HX-Request": "true"})
            if "hx-trigger" not in listing.text:
                return BeautifulSoup(client.get("/g/trilateral/exports").text, "html.parser")
            time.sleep(0.3)
    pytest.fail("the interrupted export was not resolved")


def _status(soup: BeautifulSoup) -> str:
    return " ".join(soup.select_one("table.exports td.status").get_text(" ").split())


def test_an_export_cut_by_kill_9_is_finished_by_another_process(settings, db, tmp_path):
    with running_server(settings, tmp_path, extra_env={"WG_EXPORT_LEASE_SECONDS": str(LEASE)}) as first:
        job_id = _request_export(first)
        _kill_mid_render(first, db, job_id, attempt=1)
    # What a process killed while writing the file would leave; the recovery removes it.
    folder = settings.exports_dir / "trilateral"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"trilateral-internal-draft-x.pdf.tmp-{job_id}-99999"
    partial.write_bytes(b"%PDF-1.7 cut short")

    started = time.monotonic()
    soup = _recovered_page(settings, db)
    recovered_in = time.monotonic() - started
    job = _job(db, job_id)
    assert job.status == "done", job.error
    assert job.attempts == 2
    assert _status(soup) == "Ready — made on the second attempt, after an interruption"
    assert hashlib.sha256(Path(job.path).read_bytes()).hexdigest() == job.sha256
    assert not partial.exists()
    assert sorted(p.name for p in folder.iterdir()) == [Path(job.path).name]
    with db.session() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.object_type == "export",
                                                                     AuditEvent.object_id == str(job_id)))]
    assert actions.count("export.retried") == 1 and actions.count("export.created") == 1
    print(f"kill -9 mid-render → recovered and rendered by another process in {recovered_in:.1f} s")


def test_an_export_cut_twice_is_marked_failed_with_its_reason(settings, db, tmp_path):
    env = {"WG_EXPORT_LEASE_SECONDS": str(LEASE)}
    with running_server(settings, tmp_path, "first.log", extra_env=env) as first:
        job_id = _request_export(first)
        _kill_mid_render(first, db, job_id, attempt=1)
    # A second server finds the job's lease run out, takes it over, and dies too.
    with running_server(settings, tmp_path, "second.log", extra_env=env) as second:
        _kill_mid_render(second, db, job_id, attempt=2)
        assert "lease of" in second.log_path.read_text()
    soup = _recovered_page(settings, db)
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.error) == ("failed", 2, INTERRUPTED_TWICE)
    assert _status(soup) == f"Failed: {INTERRUPTED_TWICE}"
    folder = settings.exports_dir / "trilateral"
    assert not folder.exists() or list(folder.iterdir()) == []
