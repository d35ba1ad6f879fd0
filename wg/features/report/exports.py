"""Export jobs: snapshot → renderer → a file under ``exports/<slug>/`` with its sha256, recorded in the database.

A job is a row first (so every app process sees it), then runs in a worker thread of the process that took the
request, one render at a time per process; the PDF renders in a sandboxed child process. Exporting an unchanged
report again (same report version, profile and format) returns the stored file at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from wg.db import Database
from wg.features.audit.log import record
from wg.features.report.docx import render_docx
from wg.features.report.loader import load_snapshot
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
STALE_AFTER = dt.timedelta(seconds=PDF_TIMEOUT_S + 120)
_one_render = threading.Semaphore(1)
_RENDERER_FILES = ("templates/report/report.html", "templates/report/report.css", "wg/features/report/pdf.py",
                   "wg/features/report/docx.py", "wg/lib/markdown.py")
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
    """The bytes of one export (PDF in the sandbox, DOCX in this process: it is pure and quick)."""
    if fmt == "pdf":
        return render_pdf_sandboxed(snapshot, timeout_s=PDF_TIMEOUT_S, keep_warm=True)
    if fmt == "docx":
        return render_docx(snapshot)
    raise ExportError(f"Unknown format {fmt!r}: choose pdf or docx.")


def file_name(snapshot: ReportSnapshot, fmt: str) -> str:
    """The stored file's name: group, profile, draft or final, report version."""
    kind = "draft" if snapshot.draft else "final"
    return f"{snapshot.group_slug}-{snapshot.profile}-{kind}-{export_version(snapshot)}.{fmt}"


def write_file(exports_dir: Path, snapshot: ReportSnapshot, fmt: str, data: bytes) -> Path:
    """Write atomically under exports/<slug>/ and return the path."""
    folder = exports_dir / snapshot.group_slug
    make_private_dir(folder)
    target = folder / file_name(snapshot, fmt)
    tmp = target.with_suffix(target.suffix + f".tmp{os.getpid()}")
    write_private_bytes(tmp, data)
    os.replace(tmp, target)
    return target


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


def export_now(database: Database, group_id: int, profile: str, fmt: str, exports_dir: Path,
               user_id: int | None, ip: str = "", progress: Callable[[str], None] | None = None) -> Export:
    """Export synchronously (the CLI): record the job, run it, return the finished Export."""
    check_request(profile, fmt)
    with database.transaction() as db:
        job = Export(group_id=group_id, user_id=user_id, profile=profile, format=fmt, status="running")
        db.add(job)
        db.flush()
        job_id = job.id or 0
    return run_job(database, job_id, exports_dir, ip=ip, progress=progress)


def run_job(database: Database, job_id: int, exports_dir: Path, ip: str = "",
            progress: Callable[[str], None] | None = None) -> Export:
    """Run one recorded job in phases, so no database lock is held while the renderer works.

    1. read the report into a snapshot (a read transaction); 2. reuse the stored file of an unchanged report, or
    render (no transaction open); 3. record the result and the audit entry (a short write transaction).
    """
    say = progress or (lambda _message: None)
    with database.transaction() as db:
        job = db.get(Export, job_id)
        if job is None:
            raise ExportError(f"No export job {job_id}.")
        job.status = "running"
        db.add(job)
    say("Reading the report…")
    with database.session() as db:
        job = db.get(Export, job_id)
        group = db.get(WorkingGroup, job.group_id) if job else None
        if job is None or group is None:
            raise ExportError(f"No export job {job_id}.")
        snapshot = load_snapshot(db, group, "internal" if job.profile == "internal" else "public")
        version = export_version(snapshot)
        previous = reusable(db, job.group_id, job.profile, job.format, version)
        fmt, group_id, group_slug = job.format, group.id, group.slug
    result: dict[str, object] = {"report_version": version, "draft": snapshot.draft}
    if previous is not None:
        say("The report has not changed since the last export: using the stored file.")
        result.update(path=previous.path, sha256=previous.sha256, size=previous.size, pages=previous.pages,
                      render_seconds=0.0, status="done")
    else:
        say(f"Rendering the {fmt.upper()} of {group_slug} ({len(snapshot.sections)} sections, "
            f"{len(snapshot.recommendations)} recommendations)…")
        started = time.monotonic()
        try:
            with _one_render:
                data = render(snapshot, fmt)
        except (RenderFailed, ExportError) as failure:
            result.update(status="failed", error=str(failure)[:1000])
        else:
            path = write_file(exports_dir, snapshot, fmt, data)
            seconds = round(time.monotonic() - started, 3)
            result.update(path=str(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data), status="done",
                          render_seconds=seconds)
            say(f"Done in {seconds:.1f} s.")
    with database.transaction() as db:
        job = db.get(Export, job_id)
        assert job is not None
        for key, value in result.items():
            setattr(job, key, value)
        job.finished_at = utcnow()
        db.add(job)
        record(db, "export.created", actor_id=job.user_id, group_id=group_id, object_type="export",
               object_id=job.id, ip=ip, profile=job.profile, format=job.format, version=version,
               status=job.status)
    return job


def start_export(database: Database, group: WorkingGroup, profile: str, fmt: str, exports_dir: Path,
                 user_id: int | None, ip: str) -> int:
    """Record a queued job and run it in a worker thread; returns the job's id at once."""
    check_request(profile, fmt)
    with database.transaction() as db:
        job = Export(group_id=group.id or 0, user_id=user_id, profile=profile, format=fmt, status="queued")
        db.add(job)
        db.flush()
        job_id = job.id or 0
        record(db, "export.requested", actor_id=user_id, group_id=group.id, object_type="export", object_id=job_id,
               ip=ip, profile=profile, format=fmt)
    worker = threading.Thread(target=_run_in_thread, args=(database, job_id, exports_dir, ip),
                              name=f"export-{job_id}", daemon=True)
    worker.start()
    return job_id


def _run_in_thread(database: Database, job_id: int, exports_dir: Path, ip: str) -> None:
    try:
        run_job(database, job_id, exports_dir, ip=ip)
    except Exception:  # noqa: BLE001 - a job must end in a recorded state, whatever went wrong
        log.exception("export %s failed", job_id)
        with database.transaction() as db:
            job = db.get(Export, job_id)
            if job is not None and job.status != "done":
                job.status, job.error, job.finished_at = "failed", "The export failed unexpectedly.", utcnow()
                db.add(job)


def is_stale(job: Export) -> bool:
    """A job still queued or running long after any render could take: its process died (shown as interrupted)."""
    return job.status in {"queued", "running"} and job.created_at < utcnow() - STALE_AFTER
