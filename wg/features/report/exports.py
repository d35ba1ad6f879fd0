"""Export jobs: snapshot → renderer → a file under ``exports/<slug>/`` with its sha256, recorded in the database.

A job is a row first, so every app process sees it. The request decides at once what the job needs: an unchanged
report (same report version, profile and format) is answered by its finished export, touched rather than copied, so
identical re-exports add no rows to the list; a request identical to a job still queued
or rendering is *coalesced* into it (one render, every requester gets the file); anything else is queued.

Each app process runs one :class:`ExportWorker` thread (one render at a time per process; the PDF renders in a
sandboxed child). It claims queued jobs — its own or any other process's — under a *lease* in the database that it
renews while it renders. A process that dies stops renewing: once the lease has run out, any worker (its periodic
sweep, or the claimer before it claims) puts the job back in the queue once, and marks it failed with the reason
the second time. Every failure removes the job's temporary files, and a full exports volume says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_
from sqlmodel import Session, col, select

from wg.db import Database, lock_row
from wg.features.audit.log import record
from wg.features.report.docx import render_docx
from wg.features.report.docx_toc import fill_toc_page_numbers
from wg.features.report.loader import load_snapshot, with_logo_png
from wg.features.report.sandbox import RenderFailed, render_pdf_sandboxed
from wg.features.report.snapshot import Profile, ReportSnapshot
from wg.lib.files import make_private_dir, write_private_bytes
from wg.models import Export, WorkingGroup, utcnow
from wg.settings import PROJECT_ROOT

log = logging.getLogger("wg.exports")
FORMATS = ("pdf", "docx")
PROFILES: tuple[Profile, ...] = ("public", "internal")
MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
PDF_TIMEOUT_S = 180
#: A job is tried at most this often: once, and once more after its process died.
MAX_ATTEMPTS = 2
ACTIVE = ("queued", "running")
TMP_MARK = ".tmp-"
INTERRUPTED_TWICE = ("The export was interrupted twice: the app process rendering it stopped before it finished "
                     "(it crashed or was restarted). Start it again; if it happens again, export DOCX or ask the "
                     "administrator to look at the server's log.")
NO_SPACE = ("No space left on the exports volume: the file could not be saved. Ask the administrator to free "
            "space there, then start the export again.")
UNEXPECTED = "The export failed unexpectedly."
_one_render = threading.Semaphore(1)
_TOKEN = secrets.token_hex(4)  # tells a restarted process from its predecessor with the same pid (pid 1 in Docker)
_RENDERER_FILES = ("templates/report/report.html", "templates/report/report.css", "wg/features/report/pdf.py",
                   "wg/features/report/docx.py", "wg/features/report/docx_toc.py", "wg/features/report/document.py",
                   "wg/lib/markdown.py")
_renderer_fingerprint: str | None = None


def renderer_fingerprint() -> str:
    """A hash of the renderers' own code and templates: a new wg version never reuses an older file."""
    global _renderer_fingerprint
    if _renderer_fingerprint is None:
        digest = hashlib.sha256()
        for name in _RENDERER_FILES:
            path = PROJECT_ROOT / name
            digest.update(path.read_bytes() if path.exists() else name.encode())
        _renderer_fingerprint = digest.hexdigest()[:8]
    return _renderer_fingerprint


def export_version(snapshot: ReportSnapshot) -> str:
    """What makes two exports the same file: the report's content and the renderer that drew it."""
    return f"{snapshot.version()}-{renderer_fingerprint()}"


def process_owner() -> str:
    """This app process as a lease holder: host, pid and a token drawn at start."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{_TOKEN}"


class ExportError(ValueError):
    """An export request that cannot be done, with a message for the user."""


@dataclass(frozen=True)
class Rendered:
    """A finished file."""

    path: Path
    sha256: str
    size: int
    seconds: float


def render(snapshot: ReportSnapshot, fmt: str) -> bytes:
    """The bytes of one export (PDF in the sandbox; DOCX in this process, then its contents' page numbers from
    LibreOffice's pagination in a child process: wg.features.report.docx_toc)."""
    if fmt == "pdf":
        return render_pdf_sandboxed(snapshot, timeout_s=PDF_TIMEOUT_S, keep_warm=True)
    if fmt == "docx":
        return fill_toc_page_numbers(render_docx(with_logo_png(snapshot)))
    raise ExportError(f"Unknown format {fmt!r}: choose pdf or docx.")


def file_name(snapshot: ReportSnapshot, fmt: str) -> str:
    """The stored file's name: group, profile, draft or final, report version."""
    kind = "draft" if snapshot.draft else "final"
    return f"{snapshot.group_slug}-{snapshot.profile}-{kind}-{export_version(snapshot)}.{fmt}"


def storage_message(error: OSError) -> str:
    """What to tell the user when the file cannot be written."""
    if error.errno == errno.ENOSPC:
        return NO_SPACE
    if error.errno == errno.EDQUOT:
        return ("The exports volume's quota is used up: the file could not be saved. Ask the administrator to free "
                "space there, then start the export again.")
    return (f"The file could not be saved on the exports volume ({error.strerror or type(error).__name__}). Ask the "
            "administrator to check the exports folder, then start the export again.")


def write_file(exports_dir: Path, snapshot: ReportSnapshot, fmt: str, data: bytes, job_id: int = 0) -> Path:
    """Write atomically under exports/<slug>/ and return the path; on any failure remove the temporary file and
    raise ExportError with a message for the user (a full volume says so)."""
    folder = exports_dir / snapshot.group_slug
    target = folder / file_name(snapshot, fmt)
    tmp = folder / f"{target.name}{TMP_MARK}{job_id}-{os.getpid()}"
    try:
        make_private_dir(folder)
        write_private_bytes(tmp, data, sync=True)
        os.replace(tmp, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        log.warning("export %s: could not write %s: %s", job_id, target, error)
        raise ExportError(storage_message(error)) from None
    return target


def remove_partial_files(exports_dir: Path, group_slug: str, job_id: int) -> int:
    """Remove the temporary files a job's writer left (its process died mid-write); returns how many."""
    removed = 0
    for leftover in (exports_dir / group_slug).glob(f"*{TMP_MARK}{job_id}-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    return removed


def check_request(profile: str, fmt: str) -> None:
    """Refuse an unknown profile or format with a clear message."""
    if profile not in PROFILES:
        raise ExportError("Choose the public or the internal profile.")
    if fmt not in FORMATS:
        raise ExportError("Choose PDF or DOCX.")


def reusable(db: Session, group_id: int, profile: str, fmt: str, version: str) -> Export | None:
    """A finished export of exactly this report version whose file is still there."""
    rows = db.exec(select(Export).where(Export.group_id == group_id, Export.profile == profile,
                                        Export.format == fmt, Export.report_version == version,
                                        Export.status == "done").order_by(col(Export.id).desc())).all()
    return next((row for row in rows if row.path and Path(row.path).is_file()), None)


def in_flight(db: Session, group_id: int, profile: str, fmt: str, version: str) -> Export | None:
    """A queued job, or one rendering under a live lease, for exactly this report version that renders itself."""
    alive = or_(col(Export.status) == "queued", col(Export.lease_until) >= utcnow())
    return db.exec(select(Export).where(Export.group_id == group_id, Export.profile == profile,
                                        Export.format == fmt, Export.report_version == version,
                                        col(Export.status).in_(ACTIVE), col(Export.coalesced_into).is_(None), alive)
                   .order_by(col(Export.id))).first()


def _seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()), 3)


# --- Requests ---------------------------------------------------------------------------------------------------


def _ask_again(db: Session, previous: Export, user_id: int | None, ip: str) -> int:
    """Answer an identical re-export with the finished export of this very report version: no new row in the list.

    The row comes to the top of the list (its "when" becomes this request, its "who" this requester); the audit log
    keeps every request.
    """
    previous.created_at = utcnow()
    previous.user_id = user_id if user_id is not None else previous.user_id
    db.add(previous)
    db.flush()
    job_id = previous.id or 0
    details = {"profile": previous.profile, "format": previous.format}
    record(db, "export.requested", actor_id=user_id, group_id=previous.group_id, object_type="export",
           object_id=job_id, ip=ip, **details)
    record(db, "export.created", actor_id=user_id, group_id=previous.group_id, object_type="export",
           object_id=job_id, ip=ip, **details, version=previous.report_version, status="done", reused=job_id)
    return job_id


def start_export(database: Database, group: WorkingGroup, profile: str, fmt: str, user_id: int | None, ip: str,
                 wake: Callable[[], None] | None = None) -> int:
    """Record a job and return its id at once: done already (the stored file of an unchanged report), coalesced
    into an identical job in flight, or queued for a worker (``wake`` tells this process's worker)."""
    check_request(profile, fmt)
    with database.session() as db:
        fresh = db.get(WorkingGroup, group.id)
        if fresh is None:
            raise ExportError("The group no longer exists.")
        snapshot = load_snapshot(db, fresh, "internal" if profile == "internal" else "public")
    version = export_version(snapshot)
    with database.transaction() as db:
        lock_row(db, WorkingGroup, group.id or 0)  # export decisions for one group take turns
        previous = reusable(db, group.id or 0, profile, fmt, version)
        if previous is not None:
            return _ask_again(db, previous, user_id, ip)
        job = Export(group_id=group.id or 0, user_id=user_id, profile=profile, format=fmt, status="queued",
                     report_version=version, draft=snapshot.draft)
        leader = in_flight(db, job.group_id, profile, fmt, version)
        if leader is not None:
            job.coalesced_into = leader.id
        db.add(job)
        db.flush()
        job_id = job.id or 0
        record(db, "export.requested", actor_id=user_id, group_id=group.id, object_type="export", object_id=job_id,
               ip=ip, profile=profile, format=fmt)
    if leader is None and wake is not None:
        wake()
    return job_id


def export_now(database: Database, group_id: int, profile: str, fmt: str, exports_dir: Path,
               user_id: int | None, ip: str = "", progress: Callable[[str], None] | None = None,
               lease_seconds: int = 60) -> Export:
    """Export synchronously (the CLI): record the job already claimed by this process, run it, return it."""
    check_request(profile, fmt)
    with database.session() as db:
        group = db.get(WorkingGroup, group_id)
        if group is None:
            raise ExportError(f"No group {group_id}.")
        version = export_version(load_snapshot(db, group, "internal" if profile == "internal" else "public"))
    with database.transaction() as db:
        lock_row(db, WorkingGroup, group_id)
        previous = reusable(db, group_id, profile, fmt, version)
        if previous is not None:
            if progress is not None:
                progress("The report has not changed since the last export: using the stored file.")
            _ask_again(db, previous, user_id, ip)
            return previous
    owner = process_owner()
    with database.transaction() as db:
        now = utcnow()
        job = Export(group_id=group_id, user_id=user_id, profile=profile, format=fmt, status="running",
                     attempts=1, lease_owner=owner, lease_until=now + dt.timedelta(seconds=lease_seconds),
                     started_at=now, queue_seconds=0.0)
        db.add(job)
        db.flush()
        job_id = job.id or 0
    return run_job(database, job_id, exports_dir, owner=owner, lease_seconds=lease_seconds, ip=ip,
                   progress=progress)


# --- Claiming, leases, recovery ---------------------------------------------------------------------------------


def claim_next(database: Database, owner: str, lease_seconds: int) -> int | None:
    """Take the oldest queued job (any process's) under a lease for ``owner``; None when the queue is empty."""
    waiting = select(Export.id).where(Export.status == "queued", col(Export.coalesced_into).is_(None))
    with database.session() as db:
        if db.exec(waiting.limit(1)).first() is None:  # a read first: no write lock when there is nothing to do
            return None
    with database.transaction() as db:
        job = db.exec(select(Export).where(Export.status == "queued", col(Export.coalesced_into).is_(None))
                      .order_by(col(Export.id)).limit(1).with_for_update(skip_locked=True)).first()
        if job is None:
            return None
        now = utcnow()
        job.status, job.attempts, job.lease_owner = "running", job.attempts + 1, owner
        job.lease_until = now + dt.timedelta(seconds=lease_seconds)
        job.started_at = now
        job.queue_seconds = _seconds_between(job.created_at, now)
        db.add(job)
        return job.id


def renew_lease(database: Database, job_id: int, owner: str, lease_seconds: int) -> bool:
    """Push the job's lease on; False when the job is no longer ours (another process took it over)."""
    with database.transaction() as db:
        job = db.exec(select(Export).where(Export.id == job_id).with_for_update()).first()
        if job is None or job.status != "running" or job.lease_owner != owner:
            return False
        job.lease_until = utcnow() + dt.timedelta(seconds=lease_seconds)
        db.add(job)
        return True


def _fail(db: Session, job: Export, error: str, now: dt.datetime) -> None:
    """Mark a job and the jobs coalesced into it failed with ``error``, with their audit entries."""
    followers = db.exec(select(Export).where(Export.coalesced_into == job.id, col(Export.status).in_(ACTIVE))).all()
    for each in (job, *followers):
        each.status, each.error, each.finished_at = "failed", error[:1000], now
        each.lease_owner, each.lease_until = "", None
        db.add(each)
        record(db, "export.created", actor_id=each.user_id, group_id=each.group_id, object_type="export",
               object_id=each.id, profile=each.profile, format=each.format, version=each.report_version,
               status="failed")


def recover_expired(database: Database, exports_dir: Path) -> int:
    """Jobs whose process stopped renewing their lease: queue them again once, then fail them with the reason.

    Any app process may run this (its worker does, periodically and before claiming); returns how many it handled.
    """
    now = utcnow()
    expired = (select(Export).where(Export.status == "running", col(Export.coalesced_into).is_(None),
                                    or_(col(Export.lease_until).is_(None), col(Export.lease_until) < now)))
    with database.session() as db:
        if db.exec(expired.limit(1)).first() is None:
            return 0
    handled = 0
    with database.transaction() as db:
        for job in db.exec(expired.order_by(col(Export.id)).with_for_update(skip_locked=True)).all():
            group = db.get(WorkingGroup, job.group_id)
            if group is not None:
                remove_partial_files(exports_dir, group.slug, job.id or 0)
            log.warning("export %s: the lease of %s ran out (attempt %d of %d)", job.id, job.lease_owner or "?",
                        job.attempts, MAX_ATTEMPTS)
            if job.attempts < MAX_ATTEMPTS:
                job.status, job.lease_owner, job.lease_until = "queued", "", None
                db.add(job)
                record(db, "export.retried", actor_id=None, group_id=job.group_id, object_type="export",
                       object_id=job.id, attempt=job.attempts)
            else:
                _fail(db, job, INTERRUPTED_TWICE, now)
            handled += 1
    return handled


class _LeaseKeeper:
    """Renews a job's lease every third of its length, in a thread of its own, while the job runs."""

    def __init__(self, database: Database, job_id: int, owner: str, lease_seconds: int) -> None:
        self.database, self.job_id, self.owner, self.lease_seconds = database, job_id, owner, lease_seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"export-lease-{job_id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                if not renew_lease(self.database, self.job_id, self.owner, self.lease_seconds):
                    self.lost = True
                    log.warning("export %s: lease lost to another process", self.job_id)
                    return
            except Exception:  # noqa: BLE001 - a failed renewal is tried again; the lease has slack for two
                log.exception("export %s: could not renew the lease", self.job_id)


# --- Running a job ----------------------------------------------------------------------------------------------


def run_job(database: Database, job_id: int, exports_dir: Path, owner: str, lease_seconds: int, ip: str = "",
            progress: Callable[[str], None] | None = None) -> Export:
    """Run one job this process has claimed, in phases, so no database lock is held while the renderer works.

    1. read the report into a snapshot (a read transaction); 2. reuse the stored file of an unchanged report, or
    render (no transaction open; the lease is renewed meanwhile); 3. record the result for the job and every job
    coalesced into it, with the audit entries (a short write transaction, only while the lease is still ours).
    """
    say = progress or (lambda _message: None)
    say("Reading the report…")
    with database.session() as db:
        job = db.get(Export, job_id)
        group = db.get(WorkingGroup, job.group_id) if job else None
        if job is None or group is None:
            raise ExportError(f"No export job {job_id}.")
        snapshot = load_snapshot(db, group, "internal" if job.profile == "internal" else "public")
        version = export_version(snapshot)
        previous = reusable(db, job.group_id, job.profile, job.format, version)
        fmt, group_slug = job.format, group.slug
    result: dict[str, object] = {"report_version": version, "draft": snapshot.draft}
    with _LeaseKeeper(database, job_id, owner, lease_seconds) as keeper:
        if previous is not None:
            say("The report has not changed since the last export: using the stored file.")
            result.update(path=previous.path, sha256=previous.sha256, size=previous.size, pages=previous.pages,
                          render_seconds=0.0, status="done")
        else:
            say(f"Rendering the {fmt.upper()} of {group_slug} ({len(snapshot.sections)} sections, "
                f"{len(snapshot.recommendations)} recommendations)…")
            result.update(_render_and_store(snapshot, fmt, exports_dir, job_id))
            if result["status"] == "done":
                say(f"Done in {result['render_seconds']:.1f} s.")
    return _finish(database, job_id, owner, result, lost=keeper.lost, ip=ip)


def _render_and_store(snapshot: ReportSnapshot, fmt: str, exports_dir: Path, job_id: int) -> dict[str, object]:
    """Render (one at a time in this process; the clock starts once this render's turn has come) and write."""
    with _one_render:
        started = time.monotonic()
        try:
            data = render(snapshot, fmt)
        except (RenderFailed, ExportError) as failure:
            return {"status": "failed", "error": str(failure)[:1000]}
        seconds = round(time.monotonic() - started, 3)
    try:
        path = write_file(exports_dir, snapshot, fmt, data, job_id)
    except ExportError as failure:
        return {"status": "failed", "error": str(failure)[:1000]}
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "status": "done",
            "render_seconds": seconds}


def _finish(database: Database, job_id: int, owner: str, result: dict[str, object], lost: bool,
            ip: str = "") -> Export:
    """Record the result for the job and the jobs coalesced into it (only while the lease is still ours)."""
    with database.transaction() as db:
        job = db.exec(select(Export).where(Export.id == job_id).with_for_update()).first()
        assert job is not None
        if lost or job.status != "running" or job.lease_owner != owner:
            log.warning("export %s: finished after another process took it over; its result is not recorded", job_id)
            return job
        now = utcnow()
        followers = db.exec(select(Export).where(Export.coalesced_into == job_id,
                                                 col(Export.status).in_(ACTIVE))).all()
        for each in (job, *followers):
            for key, value in result.items():
                setattr(each, key, value)
            if each is not job:
                each.attempts = job.attempts
                each.started_at = job.started_at
                each.queue_seconds = _seconds_between(each.created_at, job.started_at) or 0.0
            each.finished_at, each.lease_owner, each.lease_until = now, "", None
            db.add(each)
            record(db, "export.created", actor_id=each.user_id, group_id=each.group_id, object_type="export",
                   object_id=each.id, ip=ip if each is job else "", profile=each.profile, format=each.format,
                   version=each.report_version, status=each.status,
                   **({"coalesced_into": job_id} if each is not job else {}))
    return job


def fail_job(database: Database, job_id: int, owner: str, exports_dir: Path, error: str = UNEXPECTED) -> None:
    """End a job this process holds as failed after an unexpected error, removing its temporary files."""
    with database.transaction() as db:
        job = db.exec(select(Export).where(Export.id == job_id).with_for_update()).first()
        if job is None or job.status != "running" or job.lease_owner != owner:
            return
        group = db.get(WorkingGroup, job.group_id)
        if group is not None:
            remove_partial_files(exports_dir, group.slug, job_id)
        _fail(db, job, error, utcnow())


class ExportWorker:
    """One per app process: a daemon thread that recovers expired jobs and runs queued ones, one at a time.

    It wakes when this process queues a job (:meth:`wake`) and otherwise every third of the lease, so it also picks
    up jobs other processes queued or left behind.
    """

    def __init__(self, database: Database, exports_dir: Path, lease_seconds: int) -> None:
        self.database, self.exports_dir, self.lease_seconds = database, exports_dir, lease_seconds
        self.owner = process_owner()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._users = 0  # start/stop pairs (a test opens several clients, each runs the app's startup and shutdown)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread, unless it runs already."""
        with self._lock:
            self._users += 1
            if self._thread is not None and self._thread.is_alive():
                return
            self.owner = process_owner()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="wg-exports", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look at the queue now."""
        self._wake.set()

    def stop(self, timeout: float = 5) -> None:
        """Stop after the current job (waiting at most ``timeout`` seconds; its lease then runs out if it is cut)."""
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stop.set()
            self._wake.set()
        thread.join(timeout=timeout)

    def step(self) -> bool:
        """Recover expired jobs, then run the next queued one; False when there was nothing to run."""
        recover_expired(self.database, self.exports_dir)
        job_id = claim_next(self.database, self.owner, self.lease_seconds)
        if job_id is None:
            return False
        try:
            run_job(self.database, job_id, self.exports_dir, self.owner, self.lease_seconds)
        except Exception:  # noqa: BLE001 - a job must end in a recorded state, whatever went wrong
            log.exception("export %s failed", job_id)
            fail_job(self.database, job_id, self.owner, self.exports_dir)
        return True

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                if self.step():
                    continue
            except Exception:  # noqa: BLE001 - e.g. the database is away: log, and try again at the next tick
                log.exception("exports: the worker's sweep failed")
            self._wake.wait(self.lease_seconds / 3)


def is_interrupted(job: Export, now: dt.datetime | None = None) -> bool:
    """A rendering job whose lease ran out: its process died; a worker will retry it or mark it failed."""
    moment = now or utcnow()
    return (job.status == "running" and job.coalesced_into is None
            and (job.lease_until is None or job.lease_until < moment))
