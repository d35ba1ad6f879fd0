"""What can be drafted: a section or a recommendation, loaded within one group (404 outside it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from wg.db import lock_row
from wg.features.groups.context import GroupContext
from wg.lib.errors import not_found
from wg.models import Recommendation, Revision, Section

SECTION = "section"
RECOMMENDATION = "recommendation"


@dataclass(frozen=True)
class Target:
    """A section or recommendation with what the rules and pages need to know about it."""

    kind: str
    id: int
    group_id: int
    subgroup_id: int | None
    section: Section
    recommendation: Recommendation | None

    @property
    def url(self) -> str:
        """The path of its page below /g/<slug>."""
        if self.recommendation is not None:
            return f"/r/{self.recommendation.number}"
        return f"/sections/{self.id}"

    @property
    def label(self) -> str:
        """How people refer to it."""
        return self.recommendation.key if self.recommendation is not None else "Section"

    @property
    def withdrawn(self) -> bool:
        """True for a withdrawn recommendation."""
        return self.recommendation is not None and self.recommendation.withdrawn_at is not None


def load_section(db: Session, ctx: GroupContext, section_id: int) -> Section:
    """A section of this group, or 404."""
    section = db.get(Section, section_id)
    if section is None or section.group_id != ctx.group_id:
        raise not_found()
    return section


def load_recommendation(db: Session, ctx: GroupContext, number: int) -> Recommendation:
    """The recommendation R-<number> of this group, or 404."""
    rec = db.exec(
        select(Recommendation).where(Recommendation.group_id == ctx.group_id, Recommendation.number == number)
    ).first()
    if rec is None:
        raise not_found()
    return rec


def section_target(db: Session, ctx: GroupContext, section_id: int) -> Target:
    """The section as a drafting target."""
    section = load_section(db, ctx, section_id)
    return Target(SECTION, section.id or 0, ctx.group_id, section.subgroup_id, section, None)


def recommendation_target(db: Session, ctx: GroupContext, number: int) -> Target:
    """The recommendation as a drafting target."""
    rec = load_recommendation(db, ctx, number)
    section = db.get(Section, rec.section_id)
    if section is None:
        raise not_found()
    return Target(RECOMMENDATION, rec.id or 0, ctx.group_id, section.subgroup_id, section, rec)


def lock_target(db: Session, target: Target) -> None:
    """Hold the target's row until commit (:func:`wg.db.lock_row`): saves, restores, review events and positions of
    one text take turns, and each sees what the one before it wrote."""
    lock_row(db, Recommendation if target.kind == RECOMMENDATION else Section, target.id)


def head_revision(db: Session, target: Target) -> Revision | None:
    """The newest revision of a target."""
    return db.exec(
        select(Revision)
        .where(Revision.target_type == target.kind, Revision.target_id == target.id)
        .order_by(col(Revision.rev_no).desc())
        .limit(1)
    ).first()


def revision(db: Session, target: Target, rev_no: int) -> Revision:
    """One revision of a target, or 404."""
    found = db.exec(
        select(Revision).where(Revision.target_type == target.kind, Revision.target_id == target.id,
                               Revision.rev_no == rev_no)
    ).first()
    if found is None:
        raise not_found()
    return found
