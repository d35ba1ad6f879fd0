"""JSON API for review: submissions, decisions, positions, section approval, the queue, the inbox, the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import col, select

from wg.features.drafting.targets import recommendation_target, section_target
from wg.features.report.loader import ReportNumbers, report_numbers
from wg.features.review import operations as ops
from wg.features.review.consensus import additional_views
from wg.features.review.queries import RecReview, SectionReview, review_board
from wg.lib.deps import CurrentUser, DbSession, Group, provide_group, provide_user
from wg.lib.errors import NotAllowed
from wg.lib.ids import DbInt
from wg.lib.openapi import READ, WRITE, api_errors
from wg.lib.web import AnyRequest, client_ip
from wg.models import AuditEvent, Membership, Notification, WorkingGroup, utcnow
from wg.policy import can_decide, can_view_audit, can_view_review_queue


@dataclass
class SubmitIn:
    """Submit the current revision; ``deadline`` is a date (YYYY-MM-DD) in the user's time zone, or omitted."""

    deadline: str = ""
    note: str = ""


@dataclass
class DecisionIn:
    """A chair's decision on one revision."""

    decision: str
    rev_no: DbInt
    note: str = ""


@dataclass
class PositionIn:
    """The member's position: support, reservation, abstain or object (a reservation or objection needs text)."""

    stance: str
    text: str = ""


@dataclass
class ReopenIn:
    """Why: a member's reason for asking the chair to reopen, or the chair's reason for reopening. A chair may give
    the new review ``deadline`` (YYYY-MM-DD in their time zone; 7 days when omitted)."""

    reason: str
    deadline: str = ""


@dataclass
class SectionApprovalIn:
    """Approve the section at this text revision."""

    rev_no: DbInt
    note: str = ""


@dataclass
class PositionOut:
    """A member's position (positions are visible to the group; exports follow the attribution rules)."""

    user_id: int
    name: str
    country: str
    stance: str
    text: str


@dataclass
class ViewOut:
    """An additional view as the report prints it."""

    stance: str
    attribution: str
    text: str


@dataclass
class RecReviewOut:
    """A recommendation's review picture."""

    key: str
    number: int
    report_number: str | None  # "2.4": its number in the report now; None if the public report leaves it out
    rev_no: int
    state: str
    rule_met: bool
    reasons: list[str]
    outcome: str
    deadline: dt.datetime | None
    last_note: str
    positions: list[PositionOut]
    additional_views: list[ViewOut]


@dataclass
class SectionReviewOut:
    """A section's review picture."""

    id: int
    title: str
    rev_no: int
    state: str
    recommendations: list[RecReviewOut]


@dataclass
class NotificationOut:
    """An in-app notification."""

    id: int
    group: str
    kind: str
    message: str
    link: str
    created_at: dt.datetime
    read: bool


@dataclass
class AuditOut:
    """One audit event."""

    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    ip: str
    detail: dict[str, Any]


def _rec_out(item: RecReview, mode: str, numbers: ReportNumbers) -> RecReviewOut:
    return RecReviewOut(
        key=item.view.recommendation.key, number=item.number, report_number=numbers.rec(item.number),
        rev_no=item.view.head.rev_no, state=item.state.value,
        rule_met=item.verdict.met, reasons=list(item.verdict.reasons), outcome=item.verdict.label,
        deadline=item.submitted.deadline if item.submitted and item.state.value == "submitted" else None,
        last_note=item.last_event.note if item.last_event else "",
        positions=[PositionOut(user_id=p.user_id, name=p.name, country=p.country, stance=p.stance.value, text=p.text)
                   for p in item.positions],
        additional_views=[ViewOut(stance=v.stance.value, attribution=v.attribution, text=v.text)
                          for v in additional_views(item.positions, mode)])


def _section_out(section: SectionReview, mode: str, numbers: ReportNumbers) -> SectionReviewOut:
    return SectionReviewOut(id=section.view.section.id or 0, title=section.view.head.title,
                            rev_no=section.view.head.rev_no, state=section.state.value,
                            recommendations=[_rec_out(r, mode, numbers) for r in section.recommendations])


class ReviewApi(Controller):
    """Review of a group's report."""

    path = "/api/v1/groups/{slug:str}"
    tags = ["review"]
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @get("/review", sync_to_thread=True, responses=READ)
    def board(self, db: DbSession, ctx: Group) -> list[SectionReviewOut]:
        """Every section and recommendation with its state, positions and verdict."""
        board = review_board(db, ctx.group)
        numbers = report_numbers(db, ctx.group, board)
        return [_section_out(s, ctx.group.attribution_mode, numbers) for s in board.sections]

    @get("/recommendations/{number:int}/review", sync_to_thread=True, responses=READ)
    def recommendation_review(self, db: DbSession, ctx: Group, number: FromPath[int]) -> RecReviewOut:
        """One recommendation's review picture."""
        recommendation_target(db, ctx, number)
        board = review_board(db, ctx.group)
        item = board.recommendation(number)
        assert item is not None
        return _rec_out(item, ctx.group.attribution_mode, report_numbers(db, ctx.group, board))

    def _after(self, db: DbSession, ctx: Group, number: int) -> RecReviewOut:
        db.commit()
        board = review_board(db, ctx.group)
        item = board.recommendation(number)
        assert item is not None
        return _rec_out(item, ctx.group.attribution_mode, report_numbers(db, ctx.group, board))

    @post("/recommendations/{number:int}/submit", sync_to_thread=True, status_code=200, responses=WRITE)
    def submit(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
               data: JSONBody[SubmitIn]) -> RecReviewOut:
        """Submit the current revision for review."""
        target = recommendation_target(db, ctx, number)
        ops.submit_recommendation(db, ctx, target, {"deadline": data.deadline, "note": data.note},
                                  client_ip(request))
        return self._after(db, ctx, number)

    @post("/recommendations/{number:int}/decisions", sync_to_thread=True, status_code=200, responses=WRITE)
    def decide(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
               data: JSONBody[DecisionIn]) -> RecReviewOut:
        """Approve a revision or request changes (the revision must be the current one)."""
        target = recommendation_target(db, ctx, number)
        ops.decide_on_revision(db, ctx, target, data.decision, data.rev_no, {"note": data.note}, client_ip(request))
        return self._after(db, ctx, number)

    @put("/recommendations/{number:int}/positions/me", sync_to_thread=True,
         responses=api_errors(401, 403, 404, 409, 422))
    def set_position(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
                     data: JSONBody[PositionIn]) -> RecReviewOut:
        """Record or change the member's own position; 409 while it is approved (positions are locked: ask the
        chair to reopen it)."""
        target = recommendation_target(db, ctx, number)
        ops.record_position(db, ctx, target, {"stance": data.stance, "text": data.text}, client_ip(request))
        return self._after(db, ctx, number)

    @post("/recommendations/{number:int}/reopen-requests", sync_to_thread=True, status_code=202,
          responses=api_errors(401, 403, 404, 409, 422))
    def ask_to_reopen(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
                      data: JSONBody[ReopenIn]) -> RecReviewOut:
        """Ask the chair to reopen an approved recommendation (positions are locked while it is approved); the
        chairs are notified with the reason. 409 when it is not approved."""
        target = recommendation_target(db, ctx, number)
        ops.ask_to_reopen(db, ctx, target, {"reason": data.reason}, client_ip(request))
        return self._after(db, ctx, number)

    @post("/recommendations/{number:int}/reopen", sync_to_thread=True, status_code=200,
          responses=api_errors(401, 403, 404, 409, 422))
    def reopen(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
               data: JSONBody[ReopenIn]) -> RecReviewOut:
        """Move an approved recommendation back to review (chairs): positions unlock and the section needs a new
        approval. 409 when it is not approved or the report is final."""
        target = recommendation_target(db, ctx, number)
        ops.reopen_recommendation(db, ctx, target, {"reason": data.reason, "deadline": data.deadline},
                                  client_ip(request))
        return self._after(db, ctx, number)

    @post("/sections/{section_id:int}/approve", sync_to_thread=True, status_code=200, responses=WRITE)
    def approve_section(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                        data: JSONBody[SectionApprovalIn]) -> SectionReviewOut:
        """Approve a section as it stands."""
        target = section_target(db, ctx, section_id)
        ops.approve_section(db, ctx, target, data.rev_no, {"note": data.note}, client_ip(request))
        db.commit()
        board = review_board(db, ctx.group)
        section = board.section(section_id)
        assert section is not None
        return _section_out(section, ctx.group.attribution_mode, report_numbers(db, ctx.group, board))

    @get("/queue", sync_to_thread=True, responses=api_errors(401, 403, 404))
    def queue(self, db: DbSession, ctx: Group) -> list[RecReviewOut]:
        """Recommendations waiting for this chair's decision."""
        if not can_view_review_queue(ctx.actor):
            raise NotAllowed("The review queue is for chairs and co-chairs.")
        board = review_board(db, ctx.group)
        numbers = report_numbers(db, ctx.group, board)
        return [_rec_out(r, ctx.group.attribution_mode, numbers) for s in board.sections for r in s.recommendations
                if r.state.can_decide and can_decide(ctx.actor, s.view.section.subgroup_id)]

    @get("/audit", sync_to_thread=True, responses=api_errors(401, 403, 404, 422))
    def audit(self, db: DbSession, ctx: Group, action: FromQuery[str] = "", limit: FromQuery[int] = 500
              ) -> list[AuditOut]:
        """The newest audit events (organizers)."""
        if not can_view_audit(ctx.actor):
            raise NotAllowed("The audit log is for organizers.")
        if "\x00" in action:  # no action has one, and PostgreSQL refuses to compare text containing NUL (a 500)
            return []
        query = select(AuditEvent).where(AuditEvent.group_id == ctx.group_id)
        if action:
            query = query.where(col(AuditEvent.action).startswith(action))
        rows = db.exec(query.order_by(col(AuditEvent.id).desc()).limit(max(1, min(limit, 5000)))).all()
        return [AuditOut(id=e.id or 0, at=e.at, actor_id=e.actor_id, action=e.action, object_type=e.object_type,
                         object_id=e.object_id, ip=e.ip, detail=e.detail) for e in rows]


class InboxApi(Controller):
    """The user's notifications."""

    path = "/api/v1/inbox"
    tags = ["review"]
    dependencies = {"user": Provide(provide_user, sync_to_thread=False)}

    @get("/", sync_to_thread=True, responses=api_errors(401))
    def list_notifications(self, db: DbSession, user: CurrentUser) -> list[NotificationOut]:
        """Notifications, unread first (deadline reminders come from a sweep, never from reading this list)."""
        rows = db.exec(select(Notification, WorkingGroup)
                       .join(WorkingGroup, col(WorkingGroup.id) == col(Notification.group_id))
                       .join(Membership, (col(Membership.group_id) == col(Notification.group_id))
                             & (col(Membership.user_id) == user.id))
                       .where(Notification.user_id == user.id)
                       .order_by(col(Notification.read_at).is_not(None), col(Notification.id).desc()).limit(200)).all()
        return [NotificationOut(id=n.id or 0, group=g.slug, kind=n.kind, message=n.message, link=n.link,
                                created_at=n.created_at, read=n.read_at is not None) for n, g in rows]

    @post("/read", sync_to_thread=True, status_code=204, responses=api_errors(401, 403))
    def read_all(self, db: DbSession, user: CurrentUser) -> None:
        """Mark every notification read."""
        now = utcnow()
        for note in db.exec(select(Notification).where(Notification.user_id == user.id,
                                                       col(Notification.read_at).is_(None))).all():
            note.read_at = now
            db.add(note)
        db.commit()
