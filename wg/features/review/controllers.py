"""Pages for review: decisions and positions on a recommendation, section approval, the chairs' queue, the inbox
and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from sqlmodel import Session, col, func, select

from wg.db import Database
from wg.features.drafting.controllers import recommendation_page_context, section_page_context
from wg.features.drafting.queries import open_threads
from wg.features.drafting.targets import recommendation_target, section_target
from wg.features.groups.context import GroupContext
from wg.features.report.loader import ReportNumbers, report_numbers
from wg.features.review import operations as ops
from wg.features.review.audit_log import action_label, describe
from wg.features.review.queries import review_board
from wg.features.review.state import SectionState
from wg.lib.deps import CurrentUser, DbSession, Group, provide_group, provide_user
from wg.lib.errors import Conflict, NotAllowed, ValidationFailed
from wg.lib.web import AnyRequest, client_ip, render, see_other
from wg.models import AuditEvent, Membership, Notification, User, WorkingGroup, utcnow
from wg.policy import (
    can_decide,
    can_view_audit,
    can_view_review_queue,
)

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
AUDIT_PAGE = 200
CONFIRM_OPEN_THREADS = "open-threads"  # the "Approve anyway" button's value: the chair saw the open threads


def _rev_no(data: dict[str, Any]) -> int:
    raw = str(data.get("rev_no") or "").strip()
    if not raw.isdigit():
        raise ValidationFailed({"rev_no": "Say which revision you decided on."})
    return int(raw)


class ReviewPages(Controller):
    """Review actions under /g/{slug}."""

    path = "/g/{slug:str}"
    include_in_schema = False
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    def _back(self, request: AnyRequest, db: DbSession, ctx: GroupContext, number: int, errors: dict[str, str],
              data: dict[str, Any], status_code: int = 422) -> Response[Any]:
        """Show the recommendation page again with the problem beside the review form (the input kept)."""
        db.rollback()
        target = recommendation_target(db, ctx, number)
        context = recommendation_page_context(db, ctx, target)
        context.update({"review_errors": errors, "review_values": data})
        return render(request, "drafting/recommendation.html", context, status_code=status_code)

    @post("/r/{number:int}/submit", sync_to_thread=True)
    def submit(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
               ) -> Response[Any]:
        """Submit the current revision for review."""
        target = recommendation_target(db, ctx, number)
        try:
            ops.submit_recommendation(db, ctx, target, data, client_ip(request))
        except ValidationFailed as exc:
            return self._back(request, db, ctx, number, exc.errors, data)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}#review")

    @post("/r/{number:int}/decision", sync_to_thread=True)
    def decide(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
               ) -> Response[Any]:
        """Approve the revision, or request changes with a note."""
        target = recommendation_target(db, ctx, number)
        try:
            ops.decide_on_revision(db, ctx, target, str(data.get("decision") or ""), _rev_no(data), data,
                                   client_ip(request))
        except ValidationFailed as exc:
            return self._back(request, db, ctx, number, exc.errors, data)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}#review")

    @post("/r/{number:int}/position", sync_to_thread=True)
    def position(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
                 ) -> Response[Any]:
        """Record or change the member's own position."""
        target = recommendation_target(db, ctx, number)
        try:
            ops.record_position(db, ctx, target, data, client_ip(request))
        except ValidationFailed as exc:
            return self._back(request, db, ctx, number, exc.errors, data)
        except ops.PositionsLocked as exc:  # a page opened before the approval: show why, keep nothing half-done
            return self._back(request, db, ctx, number, {"stance": str(exc.detail)}, data, status_code=409)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}#positions")

    @post("/r/{number:int}/reopen-request", sync_to_thread=True)
    def ask_to_reopen(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
                      ) -> Response[Any]:
        """A signatory asks the chair to reopen an approved recommendation (the chair is notified)."""
        target = recommendation_target(db, ctx, number)
        try:
            ops.ask_to_reopen(db, ctx, target, data, client_ip(request))
        except ValidationFailed as exc:
            return self._back(request, db, ctx, number, exc.errors, {**data, "action": "ask"})
        except Conflict as exc:
            return self._back(request, db, ctx, number, {"reason": str(exc.detail)}, {**data, "action": "ask"},
                              status_code=409)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}?asked=1#ask-reopen")

    @post("/r/{number:int}/reopen", sync_to_thread=True)
    def reopen(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
               ) -> Response[Any]:
        """A chair moves an approved recommendation back to review, with a reason."""
        target = recommendation_target(db, ctx, number)
        try:
            ops.reopen_recommendation(db, ctx, target, data, client_ip(request))
        except ValidationFailed as exc:
            errors = {"reopen_reason" if k == "reason" else k: v for k, v in exc.errors.items()}
            return self._back(request, db, ctx, number, errors, {**data, "action": "reopen"})
        except Conflict as exc:
            return self._back(request, db, ctx, number, {"reopen_reason": str(exc.detail)},
                              {**data, "action": "reopen"}, status_code=409)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}#review")

    @post("/sections/{section_id:int}/approve", sync_to_thread=True)
    def approve_section(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                        data: FormBody) -> Response[Any]:
        """Approve the section as it stands."""
        target = section_target(db, ctx, section_id)
        if str(data.get("confirm") or "") != CONFIRM_OPEN_THREADS and can_decide(ctx.actor, target.subgroup_id):
            board = review_board(db, ctx.group)
            section = board.section(target.id)
            assert section is not None
            threads = [] if board.section_blockers(section) else open_threads(db, section.view)
            if threads:  # ask first: the chair may want to resolve them (nothing is written yet)
                return render(request, "review/confirm_section_approval.html", {
                    "group": ctx.group, "actor": ctx.actor, "target": target, "section_review": section,
                    "threads": threads, "rev_no": str(data.get("rev_no") or ""), "note": str(data.get("note") or ""),
                    "confirm": CONFIRM_OPEN_THREADS})
        try:
            ops.approve_section(db, ctx, target, _rev_no(data), data, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            context = section_page_context(db, ctx, target)
            context.update({"review_errors": exc.errors})
            return render(request, "drafting/section.html", context, status_code=422)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/sections/{section_id}#approval")

    @get("/queue", sync_to_thread=True)
    def queue(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """What waits for this chair: submitted recommendations and sections ready for approval."""
        if not can_view_review_queue(ctx.actor):
            raise NotAllowed("The review queue is for chairs and co-chairs.")
        board = review_board(db, ctx.group)
        now = utcnow()
        waiting = [(s, r) for s in board.sections for r in s.recommendations
                   if r.state.can_decide and can_decide(ctx.actor, s.view.section.subgroup_id)]
        waiting.sort(key=lambda pair: (pair[1].submitted.deadline if pair[1].submitted and pair[1].submitted.deadline
                                       else now + dt.timedelta(days=3650)))
        mine = [(s, board.section_blockers(s)) for s in board.sections
                if s.state is not SectionState.APPROVED and can_decide(ctx.actor, s.view.section.subgroup_id)]
        ready = [s for s, blockers in mine if not blockers]
        blocked = [(s, blockers) for s, blockers in mine if blockers]
        return render(request, "review/queue.html", {"group": ctx.group, "actor": ctx.actor, "waiting": waiting,
                                                     "ready": ready, "blocked": blocked, "now": now,
                                                     "numbers": report_numbers(db, ctx.group, board)})

    @get("/audit", sync_to_thread=True)
    def audit(self, request: AnyRequest, db: DbSession, ctx: Group, action: FromQuery[str] = "",
              actor: FromQuery[str] = "", since: FromQuery[str] = "", until: FromQuery[str] = "",
              format: FromQuery[str] = "html") -> Response[Any]:  # noqa: A002
        """The group's audit log with filters, in words and in the viewer's time zone (the dates too); ``format=csv``
        downloads the filtered rows with their ids."""
        if not can_view_audit(ctx.actor):
            raise NotAllowed("The audit log is for organizers.")
        tz = ctx.user.time_zone or "UTC"
        try:
            zone = ZoneInfo(tz)
        except (KeyError, ValueError):
            tz, zone = "UTC", ZoneInfo("UTC")
        query = select(AuditEvent, User).join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True).where(
            AuditEvent.group_id == ctx.group_id)
        errors: dict[str, str] = {}
        if action:
            query = query.where(col(AuditEvent.action).startswith(action.strip()))
        if actor.strip().isdigit():
            query = query.where(AuditEvent.actor_id == int(actor))
        for name, value, op in (("since", since, ">="), ("until", until, "<")):
            if value:
                try:  # a day in the viewer's time zone: from its midnight there to the next
                    day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), tzinfo=zone)
                except ValueError:
                    errors[name] = "Enter a date like 2026-11-30."
                    continue
                if op == "<":
                    day = dt.datetime.combine(day.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
                day = day.astimezone(dt.UTC)
                query = query.where(col(AuditEvent.at) >= day if op == ">=" else col(AuditEvent.at) < day)
        query = query.order_by(col(AuditEvent.id).desc())
        if format == "csv":
            return _audit_csv(db.exec(query).all(), ctx.group)
        rows = db.exec(query.limit(AUDIT_PAGE)).all()
        people = db.exec(select(User).join(Membership, col(Membership.user_id) == col(User.id))
                         .where(Membership.group_id == ctx.group_id).order_by(col(User.display_name))).all()
        actions = db.exec(select(AuditEvent.action).where(AuditEvent.group_id == ctx.group_id).distinct()
                          .order_by(col(AuditEvent.action))).all()
        return render(request, "review/audit.html", {
            "group": ctx.group, "actor": ctx.actor, "lines": describe(db, ctx.group, rows, tz), "people": people,
            "actions": sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1]),
            "values": {"action": action, "actor": actor, "since": since, "until": until}, "errors": errors,
            "limit": AUDIT_PAGE, "tz": tz, "zone_name": tz.replace("_", " ")})


def _audit_csv(rows: Any, group: WorkingGroup) -> Response[Any]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time_utc", "actor", "action", "object_type", "object_id", "ip", "detail"])
    for event, user in rows:
        detail = ";".join(f"{k}={v}" for k, v in sorted(event.detail.items()))
        cells = [event.at.isoformat(), user.display_name if user else "", event.action, event.object_type,
                 event.object_id, event.ip, detail]
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow(["'" + c if c[:1] in {"=", "+", "-", "@", "\t", "\r"} else c for c in map(str, cells)])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{group.slug}-audit.csv"'})


class InboxPages(Controller):
    """The user's notifications across groups."""

    path = "/inbox"
    include_in_schema = False
    dependencies = {"user": Provide(provide_user, sync_to_thread=False)}

    @get("/", sync_to_thread=True)
    def inbox(self, request: AnyRequest, db: DbSession, user: CurrentUser) -> Response[Any]:
        """Unread first, then the latest read ones (reminders are made by a sweep, never by opening this page)."""
        rows = db.exec(select(Notification, WorkingGroup).join(
            WorkingGroup, col(WorkingGroup.id) == col(Notification.group_id))
            .join(Membership, (col(Membership.group_id) == col(Notification.group_id))
                  & (col(Membership.user_id) == user.id))
            .where(Notification.user_id == user.id)
            .order_by(col(Notification.read_at).is_not(None), col(Notification.id).desc()).limit(200)).all()
        return render(request, "review/inbox.html", {"rows": rows, "numbers": numbers_for_messages(db, rows)})

    @post("/read", sync_to_thread=True)
    def mark_read(self, request: AnyRequest, db: DbSession, user: CurrentUser, data: FormBody) -> Response[Any]:
        """Mark one notification (``id``) or all of them read."""
        raw = str(data.get("id") or "").strip()
        query = select(Notification).where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
        if raw.isdigit():
            query = query.where(Notification.id == int(raw))
        now = utcnow()
        for note in db.exec(query).all():
            note.read_at = now
            db.add(note)
        db.commit()
        return see_other(request, "/inbox")


def numbers_for_messages(db: Session, rows: Sequence[tuple[Notification, WorkingGroup]]) -> dict[int, ReportNumbers]:
    """The current report numbers of each group whose notifications name an R-key (a fixed number of queries per
    group, none per row): the inbox shows "2.4 (R-7)" where the stored text says "R-7"."""
    groups = {g.id or 0: g for n, g in rows if "R-" in n.message}
    return {gid: report_numbers(db, group) for gid, group in groups.items()}


def unread_count(db: Session, user: User) -> int:
    """How many unread notifications the user has in groups they still belong to."""
    return int(db.exec(select(func.count()).select_from(Notification)
                       .join(Membership, (col(Membership.group_id) == col(Notification.group_id))
                             & (col(Membership.user_id) == user.id))
                       .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))).one())


def unread_page_context(request: AnyRequest, user: User) -> dict[str, Any]:
    """The unread count every page shows beside "Inbox" (one indexed query)."""
    database: Database = request.app.state.db
    with database.session() as session:
        return {"unread": unread_count(session, user)}
