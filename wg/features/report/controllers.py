"""Pages for the report: front matter, finalising, exports (start, progress, download)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File
from sqlmodel import Session, col, select

from wg.db import Database, lock_row
from wg.features.audit.log import record
from wg.features.groups.context import GroupContext
from wg.features.report import exports
from wg.features.report.loader import (
    DEFAULT_ADVISERS_HEADING,
    ReportNumbers,
    report_logo,
    report_numbers,
    report_settings,
)
from wg.features.report.snapshot import DEFAULT_DISCLAIMER
from wg.features.review.queries import Blocker, review_board
from wg.lib.deps import DbSession, Group, provide_group, provide_user
from wg.lib.errors import NotAllowed, not_found
from wg.lib.fields import check_optional, check_required, clean_line, strip_controls
from wg.lib.images import MAX_IMAGE_BYTES, SVG, CleanImage, ImageRejected, clean_logo
from wg.lib.svg_raster import with_png_fallback
from wg.lib.web import AnyRequest, client_ip, is_htmx, render, see_other, settings_of
from wg.models import Export, ReportLogo, User, WorkingGroup, utcnow
from wg.policy import can_edit_front_matter, can_export, can_finalise_report, can_view_exports

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
LINES = {"title": ("the title", 300, True), "subtitle": ("the subtitle", 300, False),
         "series_line": ("the series line", 300, False), "date_line": ("the date line", 100, False),
         "advisers_heading": ("the heading of the advisers' list", 60, False)}
TEXTS = ("acknowledgements", "foreword", "executive_summary", "disclaimer", "about_host", "funders")
MAX_FRONT_TEXT = 20_000


def _open_sections(db: Session, ctx: GroupContext) -> tuple[list[Blocker], ReportNumbers]:
    """What stands between the report and "final": each section not approved (and what blocks it) and each approved
    recommendation without a valid outcome under the group's rule, with the reason; and the items' numbers."""
    board = review_board(db, ctx.group)
    return board.finalise_blockers(), report_numbers(db, ctx.group, board)


def _exports_context(db: Session, ctx: GroupContext) -> dict[str, Any]:
    rows = db.exec(select(Export, User).join(User, col(User.id) == col(Export.user_id), isouter=True)
                   .where(Export.group_id == ctx.group_id)
                   .order_by(col(Export.created_at).desc(), col(Export.id).desc()).limit(100)).all()
    settings = report_settings(db, ctx.group)
    blockers, numbers = _open_sections(db, ctx)
    return {"group": ctx.group, "actor": ctx.actor, "rows": rows, "settings": settings,
            "busy": any(e.status in exports.ACTIVE for e, _ in rows),
            "is_interrupted": exports.is_interrupted, "max_attempts": exports.MAX_ATTEMPTS,
            "can_export": can_export(ctx.actor), "can_finalise": can_finalise_report(ctx.actor),
            "can_edit_front_matter": can_edit_front_matter(ctx.actor), "open_sections": blockers, "numbers": numbers}


async def provide_form_with_files(request: AnyRequest) -> dict[str, Any]:
    """The posted form, multipart (with the logo file) or URL-encoded alike: field name → its last value."""
    form = await request.form()
    return dict(form.items())


def _field(data: dict[str, Any], name: str) -> str:
    """A text field of the form (an uploaded file where text is expected counts as empty)."""
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _front_matter_context(db: Session, ctx: GroupContext, values: dict[str, str], errors: dict[str, str],
                          saved: bool) -> dict[str, Any]:
    """The front-matter form: the values (as typed, when re-shown with errors) and the stored logo's preview."""
    logo = report_logo(db, ctx.group)
    preview = (f"data:{logo.media_type};base64,{base64.b64encode(logo.data).decode('ascii')}"
               if logo is not None else "")
    return {"group": ctx.group, "actor": ctx.actor, "values": values, "errors": errors, "saved": saved,
            "logo": logo, "logo_preview": preview, "max_logo_mb": MAX_IMAGE_BYTES // 1_000_000}


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
        worker: exports.ExportWorker = request.app.state.export_worker
        job_id = exports.start_export(database, ctx.group, profile, fmt, ctx.user.id, client_ip(request),
                                      wake=worker.wake)
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
        return render(request, "exports/front_matter.html", _front_matter_context(db, ctx, values, {}, saved))

    @post("/report/settings", sync_to_thread=True, dependencies={"form": Provide(provide_form_with_files)})
    def save_front_matter(self, request: AnyRequest, db: DbSession, ctx: Group,
                          form: NamedDependency[dict[str, Any]]) -> Response[Any]:
        """Save the front and back matter and the logo; mistakes come back beside their fields with the text kept."""
        if not can_edit_front_matter(ctx.actor):
            raise NotAllowed("Only organizers edit the front matter.")
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        for name, (label, limit, required) in LINES.items():
            values[name] = clean_line(_field(form, name))
            check = check_required if required else check_optional
            if problem := check(values[name], label, limit):
                errors[name] = problem
        for name in TEXTS:
            values[name] = strip_controls(_field(form, name)).strip()
            if len(values[name]) > MAX_FRONT_TEXT:
                errors[name] = f"Keep it to {MAX_FRONT_TEXT:,} characters (it has {len(values[name]):,})."
        values["paper_size"] = _field(form, "paper_size") or "A4"
        if values["paper_size"] not in {"A4", "Letter"}:
            errors["paper_size"] = "Choose A4 or US Letter."
        values["advisers_heading"] = values["advisers_heading"] or DEFAULT_ADVISERS_HEADING
        new_logo: CleanImage | None = None
        upload = form.get("logo")
        remove_logo = _field(form, "remove_logo") == "yes"
        if isinstance(upload, UploadFile) and (upload.filename or "").strip():
            raw = upload.file.read(MAX_IMAGE_BYTES + 1)
            try:
                new_logo = with_png_fallback(clean_logo(raw))
            except ImageRejected as problem:
                errors["logo"] = f"{problem} The rest of the form is kept: choose the logo again."
        if errors:
            return render(request, "exports/front_matter.html",
                          _front_matter_context(db, ctx, values, errors, False), status_code=422)
        settings = report_settings(db, ctx.group, create=True)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.disclaimer = settings.disclaimer or DEFAULT_DISCLAIMER
        settings.updated_at = utcnow()
        db.add(settings)
        logo = report_logo(db, ctx.group)
        if new_logo is not None:
            logo = logo or ReportLogo(group_id=ctx.group_id, media_type=new_logo.media_type, data=b"")
            logo.media_type, logo.data = new_logo.media_type, new_logo.data
            logo.width_px, logo.height_px = new_logo.width_px, new_logo.height_px
            logo.png_fallback = new_logo.png_fallback
            logo.sha256, logo.updated_at = hashlib.sha256(new_logo.data).hexdigest(), utcnow()
            db.add(logo)
        elif remove_logo and logo is not None:
            db.delete(logo)
        elif logo is not None and logo.media_type == SVG and not logo.png_fallback:
            # An SVG stored before its PNG drawing was kept (migration 0009): draw it now, once.
            with contextlib.suppress(ImageRejected):
                logo.png_fallback = with_png_fallback(CleanImage(SVG, logo.data, logo.width_px,
                                                                 logo.height_px)).png_fallback
                db.add(logo)
        record(db, "report.front_matter_saved", actor_id=ctx.user.id, group_id=ctx.group_id,
               object_type="report", object_id=ctx.group_id, ip=client_ip(request),
               logo="replaced" if new_logo is not None else "removed" if remove_logo and logo is not None else "kept")
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/report/settings?saved=true")

    @post("/report/finalise", sync_to_thread=True)
    def finalise(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody) -> Response[Any]:
        """Finalise the report (every section approved) — exports lose the DRAFT mark — or re-open it."""
        if not can_finalise_report(ctx.actor):
            raise NotAllowed("Only organizers finalise the report.")
        # A chair reopening an item meanwhile waits, then finds the report final.
        lock_row(db, WorkingGroup, ctx.group_id)
        settings = report_settings(db, ctx.group, create=True)
        reopen = str(data.get("action") or "") == "reopen"
        if not reopen:
            still_open = review_board(db, ctx.group).finalise_blockers()
            if still_open:
                db.rollback()
                error = ("Every section must be approved first, and every approved recommendation must have a valid "
                         "outcome under the group's rule. Still open: " + " ".join(map(str, still_open)))
                return render(request, "exports/exports.html",
                              {**_exports_context(db, ctx), "errors": {"finalise": error}}, status_code=422)
        settings.finalised_at = None if reopen else utcnow()
        settings.finalised_by = None if reopen else ctx.user.id
        db.add(settings)
        record(db, "report.reopened" if reopen else "report.finalised", actor_id=ctx.user.id,
               group_id=ctx.group_id, object_type="report", object_id=ctx.group_id, ip=client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/exports")
