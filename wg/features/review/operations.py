"""Review operations — submit, request changes, approve a revision, approve a section, record a position.

Each checks the policy and the derived state, writes the event, the audit entry and the notifications; callers
commit. Nothing here stores a state: the state is always derived again from events and revisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from wg.db import lock_row
from wg.features.audit.log import record
from wg.features.drafting.targets import Target, lock_target
from wg.features.groups.context import GroupContext
from wg.features.review.consensus import Stance
from wg.features.review.queries import ReviewBoard, review_board
from wg.features.review.state import RecState, SectionState
from wg.lib.errors import Conflict, NotAllowed, ValidationFailed
from wg.lib.fields import strip_controls
from wg.models import (
    Membership,
    Notification,
    Position,
    ReportSettings,
    ReviewEvent,
    Revision,
    Role,
    SubgroupMember,
    WorkingGroup,
    utcnow,
)
from wg.policy import can_ask_to_reopen, can_decide, can_reopen, can_submit_for_review, can_take_position

MAX_NOTE = 5000
MAX_POSITION_TEXT = 5000
DEFAULT_REVIEW_DAYS = 7


class StaleDecision(ValidationFailed):
    """The text changed after the chair opened it: the decision would land on a revision they did not read."""


class PositionsLocked(Conflict):
    """The recommendation is approved (or its section is): its consensus record cannot change (409)."""


def positions_lock_reason(state: RecState, section_approved: bool, key: str, outcome: str) -> str:
    """Why positions on an item cannot change now ("" when they can): the message the form and the API show."""
    if section_approved:
        return (f"The section is approved: positions on {key} are final. A chair can reopen {key}, which "
                "re-opens the section too.")
    if state is RecState.APPROVED:
        return (f"{key} is approved ({outcome or 'no outcome'}): positions are locked so the recorded outcome "
                "cannot change silently. To change yours, ask the chair to reopen it.")
    if state is RecState.APPROVED_TEXT_CHANGED:
        return (f"{key} was approved and its text changed since: positions stay locked until a chair decides again "
                "or it is submitted again. To change yours now, ask the chair to reopen it.")
    return ""


def _note(value: Any, required: bool, what: str) -> str:
    note = strip_controls(str(value or "")).strip()
    if required and not note:
        raise ValidationFailed({"note": f"Say what {what}."})
    if len(note) > MAX_NOTE:
        raise ValidationFailed({"note": f"The note must be {MAX_NOTE:,} characters or fewer."})
    return note


def _deadline(value: Any, tz_name: str, now: dt.datetime) -> dt.datetime:
    """A deadline typed as a date (YYYY-MM-DD, the end of that day in the user's time zone) or nothing (7 days)."""
    raw = str(value or "").strip()
    if not raw:
        return now + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    try:
        day = dt.date.fromisoformat(raw[:10])
        zone = ZoneInfo(tz_name or "UTC")
    except (ValueError, KeyError):
        raise ValidationFailed({"deadline": "Enter the deadline as a date, like 2026-12-31."}) from None
    deadline = dt.datetime.combine(day, dt.time(23, 59), tzinfo=zone).astimezone(dt.UTC)
    if deadline <= now:
        raise ValidationFailed({"deadline": "The deadline must be in the future."})
    if deadline > now + dt.timedelta(days=366):
        raise ValidationFailed({"deadline": "The deadline must be within a year."})
    return deadline


def _notify(db: Session, ctx: GroupContext, user_ids: set[int], kind: str, message: str, link: str) -> None:
    for uid in sorted(user_ids - {ctx.user.id or 0}):
        db.add(Notification(user_id=uid, group_id=ctx.group_id, kind=kind, message=message[:500], link=link))


def _chairs_of(db: Session, ctx: GroupContext, subgroup_id: int | None) -> set[int]:
    co_chairs = set(db.exec(select(Membership.user_id).where(Membership.group_id == ctx.group_id,
                                                            Membership.role == Role.CO_CHAIR.value)).all())
    if subgroup_id is None:
        return co_chairs
    chairs = set(db.exec(select(SubgroupMember.user_id).where(SubgroupMember.subgroup_id == subgroup_id,
                                                             col(SubgroupMember.is_chair).is_(True))).all())
    return chairs or co_chairs


def _authors_of(db: Session, target: Target) -> set[int]:
    rows = db.exec(select(Revision.author_id).where(Revision.target_type == target.kind,
                                                    Revision.target_id == target.id)).all()
    return {r for r in rows if r is not None}


def _link(ctx: GroupContext, target: Target) -> str:
    return f"/g/{ctx.group.slug}{target.url}"


def _board_item(db: Session, ctx: GroupContext, target: Target) -> tuple[ReviewBoard, Any]:
    board = review_board(db, ctx.group)
    assert target.recommendation is not None
    item = board.recommendation(target.recommendation.number)
    assert item is not None
    return board, item


def submit_recommendation(db: Session, ctx: GroupContext, target: Target, data: dict[str, Any], ip: str
                          ) -> ReviewEvent:
    """Put the current revision in front of the chair, with a review deadline (in UTC)."""
    if not can_submit_for_review(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only members of this subgroup, the co-chairs and organizers can submit this.")
    lock_target(db, target)  # submitted twice at once: the second finds it submitted
    board, item = _board_item(db, ctx, target)
    if not item.state.can_submit:
        raise NotAllowed(f"This recommendation is {item.state.value}; it cannot be submitted now.")
    now = utcnow()
    deadline = _deadline(data.get("deadline"), ctx.user.time_zone, now)
    note = _note(data.get("note"), False, "")
    event = ReviewEvent(group_id=ctx.group_id, target_type=target.kind, target_id=target.id,
                        rev_no=item.view.head.rev_no, kind="submit", actor_id=ctx.user.id, note=note,
                        deadline=deadline, created_at=now)
    db.add(event)
    db.flush()
    key = target.label
    _notify(db, ctx, _chairs_of(db, ctx, target.subgroup_id), "submitted",
            f"{key} “{item.view.head.title[:200]}” was submitted for your review.", _link(ctx, target))
    record(db, "recommendation.submitted", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, key=key, rev_no=event.rev_no, deadline=deadline.isoformat())
    return event


def _check_revision(item: Any, rev_no: int) -> None:
    if rev_no != item.view.head.rev_no:
        raise StaleDecision({"rev_no": f"The text changed while you were reading it: revision "
                                       f"{item.view.head.rev_no} is now current. Read it, then decide."})


def request_changes(db: Session, ctx: GroupContext, target: Target, rev_no: int, data: dict[str, Any], ip: str
                    ) -> ReviewEvent:
    """Send a revision back to its drafters with a note saying what to change."""
    if not can_decide(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only the subgroup's chair and the co-chairs decide on this.")
    lock_target(db, target)  # decided twice at once: the second finds nothing left to decide
    board, item = _board_item(db, ctx, target)
    if not item.state.can_decide:
        raise NotAllowed(f"This recommendation is {item.state.value}; there is nothing to decide.")
    _check_revision(item, rev_no)
    note = _note(data.get("note"), True, "should change")
    event = ReviewEvent(group_id=ctx.group_id, target_type=target.kind, target_id=target.id, rev_no=rev_no,
                        kind="request-changes", actor_id=ctx.user.id, note=note)
    db.add(event)
    _notify(db, ctx, _authors_of(db, target), "changes-requested",
            f"Changes were requested on {target.label} “{item.view.head.title[:200]}”.", _link(ctx, target))
    record(db, "recommendation.changes_requested", actor_id=ctx.user.id, group_id=ctx.group_id,
           object_type=target.kind, object_id=target.id, ip=ip, key=target.label, rev_no=rev_no)
    return event


def approve_revision(db: Session, ctx: GroupContext, target: Target, rev_no: int, data: dict[str, Any], ip: str
                     ) -> ReviewEvent:
    """Approve this revision of a recommendation; refused while the group's consensus rule is not met."""
    if not can_decide(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only the subgroup's chair and the co-chairs decide on this.")
    lock_target(db, target)  # a position recorded meanwhile waits: the rule is checked on what is approved
    board, item = _board_item(db, ctx, target)
    if not item.state.can_decide:
        raise NotAllowed(f"This recommendation is {item.state.value}; there is nothing to approve.")
    _check_revision(item, rev_no)
    if not item.verdict.met:
        raise ValidationFailed({"consensus": "The group's rule is not met: " + " ".join(item.verdict.reasons)})
    note = _note(data.get("note"), False, "")
    event = ReviewEvent(group_id=ctx.group_id, target_type=target.kind, target_id=target.id, rev_no=rev_no,
                        kind="approve", actor_id=ctx.user.id, note=note)
    db.add(event)
    _notify(db, ctx, _authors_of(db, target), "approved",
            f"{target.label} “{item.view.head.title[:200]}” was approved ({item.verdict.label}).", _link(ctx, target))
    record(db, "recommendation.approved", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, key=target.label, rev_no=rev_no, outcome=item.verdict.label)
    return event


def decide_on_revision(db: Session, ctx: GroupContext, target: Target, decision: str, rev_no: int,
                       data: dict[str, Any], ip: str) -> ReviewEvent:
    """A chair's decision, as the forms and the API name it: "approve" or "request-changes"."""
    if decision == "approve":
        return approve_revision(db, ctx, target, rev_no, data, ip)
    if decision == "request-changes":
        return request_changes(db, ctx, target, rev_no, data, ip)
    raise ValidationFailed({"decision": "Choose approve or request changes."})


def approve_section(db: Session, ctx: GroupContext, target: Target, rev_no: int, data: dict[str, Any], ip: str
                    ) -> ReviewEvent:
    """Approve a section whose recommendations are all approved or withdrawn; any later edit re-opens it."""
    if not can_decide(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only the subgroup's chair and the co-chairs approve this section.")
    lock_target(db, target)  # approved twice at once: the second finds it approved
    board = review_board(db, ctx.group)
    section = board.section(target.id)
    assert section is not None
    if section.state is SectionState.APPROVED:
        raise NotAllowed("This section is already approved as it stands.")
    if rev_no != section.view.head.rev_no:
        raise StaleDecision({"rev_no": f"The section text changed while you were reading it: revision "
                                       f"{section.view.head.rev_no} is now current."})
    blockers = board.section_blockers(section)  # the list the approval panel shows, checked again under the lock
    open_items = [b.key for b in blockers if b.kind == "item"]
    if open_items:
        raise ValidationFailed({"section": "Every recommendation must be approved or withdrawn first; still open: "
                                           + ", ".join(open_items) + "."})
    lost = [f"{b.key} is {b.reason}" for b in blockers if b.kind == "outcome"]
    if lost:
        raise ValidationFailed({"section": "Every approved recommendation needs a valid outcome; reopen it first. "
                                           + " ".join(lost)})
    note = _note(data.get("note"), False, "")
    event = ReviewEvent(group_id=ctx.group_id, target_type=target.kind, target_id=target.id, rev_no=rev_no,
                        kind="approve", actor_id=ctx.user.id, note=note, fingerprint=section.fingerprint)
    db.add(event)
    members = set(db.exec(select(SubgroupMember.user_id).where(SubgroupMember.subgroup_id == target.subgroup_id)
                          ).all()) if target.subgroup_id else set()
    _notify(db, ctx, members | _authors_of(db, target), "approved",
            f"The section “{section.view.head.title[:200]}” was approved.", _link(ctx, target))
    record(db, "section.approved", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, rev_no=rev_no, fingerprint=section.fingerprint)
    return event


def record_position(db: Session, ctx: GroupContext, target: Target, data: dict[str, Any], ip: str) -> Position:
    """Record or change the member's position; reservations and objections must say what they are."""
    if not can_take_position(ctx.actor):
        raise NotAllowed("Only members and co-chairs record positions; advisers and observers do not sign.")
    # Takes turns with a double-clicked "support" (the second changes the position the first recorded) and with
    # approvals and reopenings of this item.
    lock_target(db, target)
    rec = target.recommendation
    assert rec is not None
    board = review_board(db, ctx.group)
    section = board.section(target.section.id or 0)
    if rec.withdrawn_at is not None:
        raise NotAllowed("This recommendation was withdrawn.")
    item = board.recommendation(rec.number)
    assert item is not None
    reason = positions_lock_reason(item.state, section is not None and section.state is SectionState.APPROVED,
                                   target.label, item.verdict.label)
    if reason:
        raise PositionsLocked(reason)
    raw = str(data.get("stance") or "").strip()
    if raw not in {s.value for s in Stance}:
        raise ValidationFailed({"stance": "Choose support, support with a reservation, abstain or object."})
    stance = Stance(raw)
    text = strip_controls(str(data.get("text") or "")).strip()
    if stance.needs_text and not text:
        what = "your reservation" if stance is Stance.RESERVATION else "why you object"
        raise ValidationFailed({"text": f"Say {what}: it is printed as an additional view."})
    if len(text) > MAX_POSITION_TEXT:
        raise ValidationFailed({"text": f"Keep it to {MAX_POSITION_TEXT:,} characters."})
    if not stance.needs_text:
        text = ""
    position = db.exec(select(Position).where(Position.recommendation_id == rec.id,
                                              Position.user_id == ctx.user.id)).first()
    old = position.stance if position else None
    if position is None:
        position = Position(group_id=ctx.group_id, recommendation_id=rec.id or 0, user_id=ctx.user.id or 0,
                            stance=stance.value, text=text)
    else:
        position.stance, position.text, position.updated_at = stance.value, text, utcnow()
    db.add(position)
    record(db, "position.recorded", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, key=target.label, old=old, new=stance.value)
    return position




def _reason(value: Any, what: str) -> str:
    reason = strip_controls(str(value or "")).strip()
    if not reason:
        raise ValidationFailed({"reason": f"Say why {what}: the chair and the audit log keep it."})
    if len(reason) > MAX_NOTE:
        raise ValidationFailed({"reason": f"The reason must be {MAX_NOTE:,} characters or fewer."})
    return reason


def ask_to_reopen(db: Session, ctx: GroupContext, target: Target, data: dict[str, Any], ip: str) -> None:
    """A signatory asks the chair to reopen an approved recommendation so that they can change their position.

    Nothing changes on the item: the chairs (or the co-chairs) get a notification with the reason, and the audit log
    keeps the request."""
    if not can_ask_to_reopen(ctx.actor):
        raise NotAllowed("Only members and co-chairs take positions, so only they ask to reopen one.")
    board, item = _board_item(db, ctx, target)
    if not item.state.can_reopen:
        raise Conflict(f"{target.label} is {item.state.value}: positions can change now, there is nothing to "
                       "reopen.")
    reason = _reason(data.get("reason"), "it should be reopened")
    who = ctx.user.display_name
    _notify(db, ctx, _chairs_of(db, ctx, target.subgroup_id), "reopen-requested",
            f"{who} asks to reopen {target.label} “{item.view.head.title[:120]}”: {reason[:250]}", _link(ctx, target))
    record(db, "recommendation.reopen_requested", actor_id=ctx.user.id, group_id=ctx.group_id,
           object_type=target.kind, object_id=target.id, ip=ip, key=target.label, reason=reason[:1000])


def reopen_recommendation(db: Session, ctx: GroupContext, target: Target, data: dict[str, Any], ip: str
                          ) -> ReviewEvent:
    """A chair moves an approved recommendation back to review: positions unlock, a new review period starts (its
    deadline as on a submission), the section needs a new approval, and the signatories and drafters are told.

    Refused while the report is final: the organizer re-opens the report first, so a final report never loses an
    item silently."""
    if not can_reopen(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only the subgroup's chair and the co-chairs reopen this.")
    lock_target(db, target)
    lock_row(db, WorkingGroup, ctx.group_id)  # takes turns with finalising the report
    board, item = _board_item(db, ctx, target)
    if not item.state.can_reopen:
        raise Conflict(f"{target.label} is {item.state.value}: only an approved recommendation can be reopened.")
    settings = db.exec(select(ReportSettings).where(ReportSettings.group_id == ctx.group_id)).first()
    if settings is not None and settings.finalised_at is not None:
        raise Conflict("The report is final. An organizer must re-open the report as a draft before an approved "
                       "recommendation can be reopened.")
    reason = _reason(data.get("reason"), "you reopen it")
    now = utcnow()
    deadline = _deadline(data.get("deadline"), ctx.user.time_zone, now)
    event = ReviewEvent(group_id=ctx.group_id, target_type=target.kind, target_id=target.id,
                        rev_no=item.view.head.rev_no, kind="reopen", actor_id=ctx.user.id, note=reason,
                        deadline=deadline, created_at=now)
    db.add(event)
    signatories = {p.user_id for p in item.positions}
    _notify(db, ctx, signatories | _authors_of(db, target) | _chairs_of(db, ctx, target.subgroup_id), "reopened",
            f"{target.label} “{item.view.head.title[:150]}” was reopened for review; positions can change until "
            f"it is approved again. Reason: {reason[:200]}", _link(ctx, target))
    record(db, "recommendation.reopened", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, key=target.label, rev_no=event.rev_no, previous_outcome=item.verdict.label,
           reason=reason[:1000], deadline=deadline.isoformat())
    return event
