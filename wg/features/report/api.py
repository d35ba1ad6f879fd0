"""JSON API under /api/v1 for the report's exports: every job with its state, its wait and its render time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import FromPath
from sqlmodel import col, select

from wg.lib.deps import DbSession, Group, provide_group, provide_user
from wg.lib.errors import not_found
from wg.lib.openapi import READ
from wg.models import Export
from wg.policy import can_view_exports


@dataclass
class ExportOut:
    """One export job.

    ``status`` is queued, running, done or failed. ``queue_seconds`` is the wait from the request to the start of
    the render that made the file; ``render_seconds`` that render's own time (0 when an unchanged report's stored
    file was reused). ``shared_render_of`` names the identical job whose render this one shared, if any;
    ``attempts`` counts the tries (a job whose app process died is tried once more).
    """

    id: int
    profile: str
    format: str
    status: str
    error: str
    report_version: str
    draft: bool
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    queue_seconds: float | None
    render_seconds: float | None
    attempts: int
    shared_render_of: int | None
    sha256: str
    size: int
    download_url: str | None


def export_out(job: Export, slug: str) -> ExportOut:
    """A job as the API shows it (never the server's file path)."""
    return ExportOut(id=job.id or 0, profile=job.profile, format=job.format, status=job.status, error=job.error,
                     report_version=job.report_version, draft=job.draft, requested_at=job.created_at,
                     started_at=job.started_at, finished_at=job.finished_at, queue_seconds=job.queue_seconds,
                     render_seconds=job.render_seconds, attempts=job.attempts, shared_render_of=job.coalesced_into,
                     sha256=job.sha256, size=job.size,
                     download_url=f"/g/{slug}/exports/{job.id}/file" if job.status == "done" else None)


class ExportApi(Controller):
    """The group's exports (start one from the exports page or with ``wg export``)."""

    path = "/api/v1/groups/{slug:str}/exports"
    tags = ["report"]
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @get("/", sync_to_thread=True, responses=READ)
    def list_exports(self, db: DbSession, ctx: Group) -> list[ExportOut]:
        """The 100 newest export jobs, newest first."""
        if not can_view_exports(ctx.actor):
            raise not_found()
        rows = db.exec(select(Export).where(Export.group_id == ctx.group_id)
                       .order_by(col(Export.created_at).desc(), col(Export.id).desc()).limit(100)).all()
        return [export_out(job, ctx.group.slug) for job in rows]

    @get("/{export_id:int}", sync_to_thread=True, responses=READ)
    def show_export(self, db: DbSession, ctx: Group, export_id: FromPath[int]) -> ExportOut:
        """One export job."""
        job = db.get(Export, export_id) if 0 < export_id < 2**31 else None
        if not can_view_exports(ctx.actor) or job is None or job.group_id != ctx.group_id:
            raise not_found()
        return export_out(job, ctx.group.slug)
