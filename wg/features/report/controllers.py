"""Pages for the report: front matter, finalising, exports (start, progress, download)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File
from sqlmodel import Session, col, select

from wg.db import Database
from wg.features.audit.log import record
from wg.features.groups.context import GroupContext
from wg.features.report import exports
from wg.features.report.loader import report_settings
from wg.features.report.snapshot import DEFAULT_DISCLAIMER
from wg.features.review.operations import lock_group
from wg.features.review.queries import review_board
from wg.lib.deps import DbSession, Group, provide_group, provide_user
from wg.lib.errors import NotAllowed, not_found
from wg.lib.fields import check_optional, check_required, clean_line, strip_controls
from wg.lib.web import AnyRequest, client_ip, is_htmx, render, see_other, settings_of
from wg.models import Export, User, utcnow
from wg.policy import can_edit_front_matter, can_export, can_finalise_report, can_view_exports

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
LINES = {"title": ("the title", 300, True), "subtitle": ("the subtitle", 300, False),
         "series_line": ("the series line", 300, False), "date_line": ("the date line", 100, False)}
TEXTS = ("acknowledgements", "foreword", "executive_summary", "disclaimer")
MAX_FRONT_TEXT = 20_000


def _open_sections(db: Session, ctx: GroupContext) -> list[str]:
    """What stands between the report and "final": each section not approved and each approved recommendation
    without a valid outcome under the group's rule, with the reason."""
    return review_board(db, ctx.group).finalise_blockers()


def _exports_context(db: Session, ctx: GroupContext) -> dict[str, Any]:
    rows = db.exec(select(Export, User).join(User, col(User.id) == col(Export.user_id), isouter=True)
                   .where(Export.group_id == ctx.group_id).order_by(col(Export.id).desc()).limit(100)).all()
    settings = report_settings(db, ctx.group)
    return {"group": ctx.group, "actor": ctx.actor, "rows": rows, "settings": settings,
            "busy": any(e.status in {"queued", "running"} and not exports.is_stale(e) for e, _ in rows),
            "is_stale": exports.is_stale,
            "can_export": can_export(ctx.actor), "can_finalise": can_finalise_report(ctx.actor),
            "can_edit_front_matter": can_edit_front_matter(ctx.actor), "open_sections": _open_sections(db, ctx)}


class ReportPages(Controller):
    """/g/{slug}/exports and /g/{slug}/report/settings."""

    path = "/g/{slug:str}"
    include_in_schema = False
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @get("/exports", sync_to_thread=True)
    def exports_page(self, request: AnyRequest, db: DbSession, ctx: Group, started: FromQuery[int | None] = None
                     ) -> Response[Any]:
        """Every export with its status; organizers and co-chairs start new ones here."""
        if not can_view_exports(ctx.actor):
            raise not_found()
        context = {**_exports_context(db, ctx), "started": started}
        template = "exports/_list.html" if is_htmx(request) else "exports/exports.html"
        return render(request, template, context)

    @post("/exports", sync_to_thread=True)
    def start(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody) -> Response[Any]:
        """Start an export; the page then shows its progress."""
        if not can_export(ctx.actor):
            raise NotAllowed("Only organizers and co-chairs export the report.")
        profile, fmt = str(data.get("profile") or ""), str(data.get("format") or "")
        try:
            exports.check_request(profile, fmt)
        except exports.ExportError as exc:
            return render(request, "exports/exports.html",
                          {**_exports_context(db, ctx), "errors": {"format": str(exc)}}, status_code=422)
        database: Database = request.app.state.db
        job_id = exports.start_export(database, ctx.group, profile, fmt, settings_of(request).exports_dir,
                                      ctx.user.id, client_ip(request))
        return see_other(request, f"/g/{ctx.group.slug}/exports?started={job_id}")

    @get("/exports/{export_id:int}/file", sync_to_thread=True)
    def download(self, request: AnyRequest, db: DbSession, ctx: Group, export_id: FromPath[int]) -> Response[Any]:
        """The file: PDFs open in the browser, DOCX downloads."""
        if not can_view_exports(ctx.actor):
            raise not_found()
        job = db.get(Export, export_id) if 0 < export_id < 2**63 else None
        if job is None or job.group_id != ctx.group_id or job.status != "done" or not job.path:
            raise not_found()
        root = (settings_of(request).exports_dir / ctx.group.slug).resolve()
        path = Path(job.path).resolve()
        if root not in path.parents or not path.is_file():
            raise not_found()
        inline = job.format == "pdf"
        return File(path=path, filename=path.name, media_type=exports.MEDIA_TYPES[job.format],
                    content_disposition_type="inline" if inline else "attachment",
                    headers={"x-wg-sha256": job.sha256})

    @get("/report/settings", sync_to_thread=True)
    def front_matter(self, request: AnyRequest, db: DbSession, ctx: Group, saved: FromQuery[bool] = False
                     ) -> Response[Any]:
        """The organizer's form for the report's front matter."""
        if not can_edit_front_matter(ctx.actor):
            raise NotAllowed("Only organizers edit the front matter.")
        settings = report_settings(db, ctx.group)
        values = {k: getattr(settings, k) for k in (*LINES, *TEXTS, "paper_size")}
        return render(request, "exports/front_matter.html", {"group": ctx.group, "actor": ctx.actor,
                                                             "values": values, "errors": {}, "saved": saved})

    @post("/report/settings", sync_to_thread=True)
    def save_front_matter(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody) -> Response[Any]:
        """Save the front matter; mistakes come back beside their fields with the text kept."""
        if not can_edit_front_matter(ctx.actor):
            raise NotAllowed("Only organizers edit the front matter.")
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        for name, (label, limit, required) in LINES.items():
            values[name] = clean_line(data.get(name))
            check = check_required if required else check_optional
            if problem := check(values[name], label, limit):
                errors[name] = problem
        for name in TEXTS:
            values[name] = strip_controls(str(data.get(name) or "")).strip()
            if len(values[name]) > MAX_FRONT_TEXT:
                errors[name] = f"Keep it to {MAX_FRONT_TEXT:,} characters (it has {len(values[name]):,})."
        values["paper_size"] = str(data.get("paper_size") or "A4")
        if values["paper_size"] not in {"A4", "Letter"}:
            errors["paper_size"] = "Choose A4 or US Letter."
        if errors:
            return render(request, "exports/front_matter.html", {"group": ctx.group, "actor": ctx.actor,
                                                                 "values": values, "errors": errors,
                                                                 "saved": False}, status_code=422)
        settings = report_settings(db, ctx.group, create=True)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.disclaimer = settings.disclaimer or DEFAULT_DISCLAIMER
        settings.updated_at = utcnow()
        db.add(settings)
        record(db, "report.front_matter_saved", actor_id=ctx.user.id, group_id=ctx.group_id,
               object_type="report", object_id=ctx.group_id, ip=client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/report/settings?saved=true")

    @post("/report/finalise", sync_to_thread=True)
    def finalise(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody) -> Response[Any]:
        """Finalise the report (every section approved) — exports lose the DRAFT mark — or re-open it."""
        if not can_finalise_report(ctx.actor):
            raise NotAllowed("Only organizers finalise the report.")
        lock_group(db, ctx.group_id)  # a chair reopening an item meanwhile waits, then finds the report final
        settings = report_settings(db, ctx.group, create=True)
        reopen = str(data.get("action") or "") == "reopen"
        if not reopen:
            still_open = _open_sections(db, ctx)
            if still_open:
                db.rollback()
                error = ("Every section must be approved first, and every approved recommendation must have a valid "
                         "outcome under the group's rule. Still open: " + " ".join(still_open))
                return render(request, "exports/exports.html",
                              {**_exports_context(db, ctx), "errors": {"finalise": error}}, status_code=422)
        settings.finalised_at = None if reopen else utcnow()
        settings.finalised_by = None if reopen else ctx.user.id
        db.add(settings)
        record(db, "report.reopened" if reopen else "report.finalised", actor_id=ctx.user.id,
               group_id=ctx.group_id, object_type="report", object_id=ctx.group_id, ip=client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/exports")
