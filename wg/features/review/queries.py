"""The review board: every section and recommendation of a group with its derived state, positions and verdict,
loaded in a fixed number of queries whatever the size of the report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from wg.features.drafting.queries import RecommendationView, SectionView, report_outline
from wg.features.review.consensus import PositionFact, Stance, Verdict, evaluate
from wg.features.review.state import (
    EventFact,
    RecState,
    SectionState,
    recommendation_state,
    section_fingerprint,
    section_state,
)
from wg.models import Membership, Position, ReviewEvent, Role, User, WorkingGroup
from wg.policy import Actor, can_draft, can_take_position

SIGNATORY_ROLES = (Role.MEMBER.value, Role.CO_CHAIR.value)
SUBMISSION_KINDS = ("submit", "reopen")


@dataclass(frozen=True)
class RecReview:
    """A recommendation with its review state, its positions and whether the group's rule is met."""

    view: RecommendationView
    state: RecState
    last_event: ReviewEvent | None
    submitted: ReviewEvent | None
    positions: tuple[PositionFact, ...]
    verdict: Verdict

    @property
    def number(self) -> int:
        """The stable number (R-<number>)."""
        return self.view.recommendation.number

    @property
    def outcome_problem(self) -> str:
        """Why an approved item has no valid outcome under the group's rule now ("" when it has one, or is not
        approved). Positions are locked while it is approved, but a member leaving the group or changing country
        can still undo the rule; finalising the report is refused then."""
        if self.state is not RecState.APPROVED or self.verdict.met:
            return ""
        return "approved, but the group's rule no longer holds: " + " ".join(self.verdict.reasons)


@dataclass(frozen=True)
class SectionReview:
    """A section with its review state and its recommendations' reviews."""

    view: SectionView
    state: SectionState
    fingerprint: str
    last_approval: ReviewEvent | None
    recommendations: tuple[RecReview, ...]

    def count(self, *states: RecState) -> int:
        """How many recommendations are in any of these states."""
        return sum(1 for r in self.recommendations if r.state in states)


@dataclass(frozen=True)
class ReviewBoard:
    """The whole group's review picture."""

    group: WorkingGroup
    sections: tuple[SectionReview, ...]
    signatory_countries: frozenset[str]

    def recommendation(self, number: int) -> RecReview | None:
        """The review of R-<number>."""
        return next((r for s in self.sections for r in s.recommendations if r.number == number), None)

    def section(self, section_id: int) -> SectionReview | None:
        """The review of one section."""
        return next((s for s in self.sections if s.view.section.id == section_id), None)

    def section_blockers(self, section: SectionReview) -> list[Blocker]:
        """What stands between this section and its approval (the one rule the section panel, the chairs' queue,
        finalising and the approval itself use): every recommendation not settled, with its state and, while the
        group's rule is unmet, the unmet conditions; every approved recommendation without a valid outcome."""
        blockers: list[Blocker] = []
        for r in section.recommendations:
            if not r.state.settled:
                unmet = () if r.verdict.met else tuple(r.verdict.reasons)
                blockers.append(_item_blocker(section, r, "item", _OPEN_REASONS[r.state], unmet))
            elif r.outcome_problem:
                blockers.append(_item_blocker(section, r, "outcome", r.outcome_problem, ()))
        return blockers

    def finalise_blockers(self) -> list[Blocker]:
        """Why the report cannot be finalised: each section not approved (then what blocks it) and each approved
        recommendation without a valid outcome, named with the reason (empty: the report can be finalised)."""
        problems: list[Blocker] = []
        for s in self.sections:
            if s.state is not SectionState.APPROVED:
                problems.append(Blocker(
                    kind="section", key="", number=None, title=s.view.head.title, state=s.state.value,
                    reason=f"{s.state.value}.", conditions=(), href=f"/sections/{s.view.section.id}#approval",
                    section_title=s.view.head.title, section_id=s.view.section.id or 0))
            problems.extend(self.section_blockers(s))
        return problems


_OPEN_REASONS = {
    RecState.DRAFT: "not yet submitted for review.",
    RecState.CHANGES_REQUESTED: "the drafters revise it and submit it again.",
    RecState.SUBMITTED: "waiting for a chair's decision.",
    RecState.APPROVED_TEXT_CHANGED: "the text changed after its approval: a chair decides on the new revision.",
}


def _item_blocker(section: SectionReview, r: RecReview, kind: str, reason: str, conditions: tuple[str, ...]
                  ) -> Blocker:
    rec = r.view.recommendation
    return Blocker(kind=kind, key=rec.key, number=rec.number, title=r.view.head.title, state=r.state.value,
                   reason=reason, conditions=conditions, href=f"/r/{rec.number}#review",
                   section_title=section.view.head.title, section_id=section.view.section.id or 0)


@dataclass(frozen=True)
class Blocker:
    """One thing standing between a section (or the report) and its approval, as pages list it.

    ``kind`` is "item" (a recommendation not yet approved or withdrawn), "outcome" (approved, but the group's rule
    no longer holds) or "section" (a section not approved, when finalising). ``href`` is relative to the group's
    pages; ``conditions`` are the group's rule's unmet conditions (which countries have not supported it …)."""

    kind: str
    key: str
    number: int | None
    title: str
    state: str
    reason: str
    conditions: tuple[str, ...]
    href: str
    section_title: str
    section_id: int

    def __str__(self) -> str:
        if self.kind == "section":
            return f"Section “{self.title}”: {self.reason}"
        why = f"{self.state} — {self.reason}" if self.kind == "item" else self.reason
        text = f"{self.key} “{self.title}”: {why}"
        if self.conditions:
            text += " The group's rule is not met yet: " + " ".join(self.conditions)
        return text


def _newest_events(db: Session, group_id: int) -> dict[tuple[str, int], ReviewEvent]:
    newest = (select(func.max(ReviewEvent.id)).where(ReviewEvent.group_id == group_id)
              .group_by(col(ReviewEvent.target_type), col(ReviewEvent.target_id)))
    rows = db.exec(select(ReviewEvent).where(col(ReviewEvent.id).in_(newest))).all()
    return {(e.target_type, e.target_id): e for e in rows}


def _newest_submissions(db: Session, group_id: int) -> dict[int, ReviewEvent]:
    # A chair's reopening starts a new review period, like a submission (it carries the new deadline).
    newest = (select(func.max(ReviewEvent.id)).where(ReviewEvent.group_id == group_id,
                                                     col(ReviewEvent.kind).in_(SUBMISSION_KINDS),
                                                     ReviewEvent.target_type == "recommendation")
              .group_by(col(ReviewEvent.target_id)))
    rows = db.exec(select(ReviewEvent).where(col(ReviewEvent.id).in_(newest))).all()
    return {e.target_id: e for e in rows}


def _reopen_counts(db: Session, group_id: int) -> dict[int, int]:
    rows = db.exec(select(ReviewEvent.target_id, func.count()).where(
        ReviewEvent.group_id == group_id, ReviewEvent.kind == "reopen", ReviewEvent.target_type == "recommendation")
        .group_by(col(ReviewEvent.target_id))).all()
    return {target_id: int(n) for target_id, n in rows}


def _positions(db: Session, group_id: int) -> dict[int, list[PositionFact]]:
    # Plain columns, not a Position and a User entity per row: building ORM objects for every position of the group
    # cost several times the query itself on every page that shows the board (benchmarks/pages.py). The signatories
    # are few, so they are loaded once.
    signatory = (col(Membership.group_id) == group_id) & col(Membership.role).in_(SIGNATORY_ROLES)
    users = {u.id: u for u in db.exec(
        select(User).join(Membership, col(Membership.user_id) == col(User.id)).where(signatory)).all()}
    rows = db.exec(
        select(Position.recommendation_id, Position.stance, Position.text, Position.user_id)
        .join(Membership, (col(Membership.user_id) == col(Position.user_id)) & signatory)
        .where(Position.group_id == group_id)
        .order_by(col(Position.updated_at))
    ).all()
    by_rec: dict[int, list[PositionFact]] = defaultdict(list)
    for rec_id, stance, text, user_id in rows:
        user = users[user_id]
        by_rec[rec_id].append(PositionFact(
            user_id=user_id, country=user.country, stance=Stance(stance), text=text, name=user.display_name,
            consents_to_attribution=user.consents_to_attribution))
    return by_rec


def signatory_countries(db: Session, group_id: int) -> frozenset[str]:
    """The countries of the group's members and co-chairs."""
    rows = db.exec(select(User.country).join(Membership, col(Membership.user_id) == col(User.id))
                   .where(Membership.group_id == group_id, col(Membership.role).in_(SIGNATORY_ROLES))).all()
    return frozenset(c for c in rows if c)


def review_board(db: Session, group: WorkingGroup, now: dt.datetime | None = None) -> ReviewBoard:
    """Load the group's review picture (about ten queries, whatever the number of items)."""
    group_id = group.id or 0
    outline = report_outline(db, group_id)
    events = _newest_events(db, group_id)
    submissions = _newest_submissions(db, group_id)
    positions = _positions(db, group_id)
    countries = signatory_countries(db, group_id)
    reopens = _reopen_counts(db, group_id)
    sections: list[SectionReview] = []
    for view in outline:
        recs: list[RecReview] = []
        for rv in view.recommendations:
            rec = rv.recommendation
            last = events.get(("recommendation", rec.id or 0))
            fact = EventFact(last.kind, last.rev_no) if last else None
            state = recommendation_state(fact, rv.head.rev_no, rec.withdrawn_at is not None)
            submitted = submissions.get(rec.id or 0)
            facts = tuple(positions.get(rec.id or 0, ()))
            verdict = evaluate(group.consensus_rule, group.countries, facts, countries,
                               deadline=submitted.deadline if submitted else None, now=now)
            recs.append(RecReview(rv, state, last, submitted, facts, verdict))
        fingerprint = section_fingerprint(view.head.rev_no, [
            (r.view.recommendation.number, r.view.head.rev_no, r.state is RecState.WITHDRAWN) for r in recs],
            {r.number: reopens[r.view.recommendation.id or 0] for r in recs if r.view.recommendation.id in reopens})
        approval = events.get(("section", view.section.id or 0))
        approval = approval if approval is not None and approval.kind == "approve" else None
        sstate = section_state(EventFact(approval.kind, approval.rev_no, approval.fingerprint) if approval else None,
                               fingerprint, [r.state for r in recs])
        sections.append(SectionReview(view, sstate, fingerprint, approval, tuple(recs)))
    return ReviewBoard(group=group, sections=tuple(sections), signatory_countries=countries)


@dataclass(frozen=True)
class SubgroupWork:
    """A subgroup's sections and what in them waits for one member (the subgroup page's "what next")."""

    sections: tuple[SectionReview, ...]
    can_draft: bool
    to_draft: tuple[RecReview, ...]
    to_revise: tuple[RecReview, ...]
    to_take_position: tuple[RecReview, ...]

    @property
    def waiting(self) -> int:
        """How many items wait for the member."""
        return len(self.to_draft) + len(self.to_revise) + len(self.to_take_position)


def subgroup_work(board: ReviewBoard, actor: Actor, user_id: int, subgroup_id: int) -> SubgroupWork:
    """The subgroup's sections, and the items in them waiting for this member: drafts to finish and submit (when they
    may draft here), changes requested to answer, and submitted items without their position (nearest deadline
    first; only signatories take positions)."""
    sections = tuple(s for s in board.sections if s.view.section.subgroup_id == subgroup_id)
    items = [r for s in sections for r in s.recommendations]
    drafting = can_draft(actor, subgroup_id)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    waiting_position = sorted(
        (r for r in items if r.state is RecState.SUBMITTED and all(p.user_id != user_id for p in r.positions)),
        key=lambda r: (r.submitted.deadline if r.submitted and r.submitted.deadline else far, r.number))
    return SubgroupWork(
        sections=sections, can_draft=drafting,
        to_draft=tuple(r for r in items if r.state is RecState.DRAFT) if drafting else (),
        to_revise=tuple(r for r in items if r.state is RecState.CHANGES_REQUESTED) if drafting else (),
        to_take_position=tuple(waiting_position) if can_take_position(actor) else ())
