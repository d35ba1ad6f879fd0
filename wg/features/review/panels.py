"""What the review panels on recommendation and section pages show and offer (used by the drafting pages)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from wg.features.drafting.targets import Target
from wg.features.groups.context import GroupContext
from wg.features.review.consensus import Stance, additional_views
from wg.features.review.operations import positions_lock_reason
from wg.features.review.queries import ReviewBoard, review_board
from wg.features.review.state import RecState, SectionState
from wg.policy import can_ask_to_reopen, can_decide, can_reopen, can_submit_for_review, can_take_position


def review_panel_context(db: Session, ctx: GroupContext, target: Target, board: ReviewBoard | None = None
                         ) -> dict[str, Any]:
    """What the review panel on a recommendation page shows and offers."""
    board = board or review_board(db, ctx.group)
    assert target.recommendation is not None
    item = board.recommendation(target.recommendation.number)
    assert item is not None
    section = board.section(target.section.id or 0)
    mine = next((p for p in item.positions if p.user_id == ctx.user.id), None)
    section_locked = section is not None and section.state is SectionState.APPROVED
    lock = positions_lock_reason(item.state, section_locked, target.label, item.verdict.label)
    by_country: dict[str, list[Any]] = {c: [] for c in ctx.group.countries}
    for p in item.positions:
        by_country.setdefault(p.country, []).append(p)
    return {
        "review": item, "section_review": section, "my_position": mine,
        "positions_by_country": by_country, "stances": list(Stance),
        "views": additional_views(item.positions, ctx.group.attribution_mode),
        "can_submit": can_submit_for_review(ctx.actor, target.subgroup_id) and item.state.can_submit,
        "can_decide": can_decide(ctx.actor, target.subgroup_id) and item.state.can_decide,
        "may_take_position": can_take_position(ctx.actor) and item.state is not RecState.WITHDRAWN,
        "can_take_position": can_take_position(ctx.actor) and not lock and item.state is not RecState.WITHDRAWN,
        "positions_lock": lock,
        "can_ask_to_reopen": can_ask_to_reopen(ctx.actor) and item.state.can_reopen,
        "can_reopen": can_reopen(ctx.actor, target.subgroup_id) and item.state.can_reopen,
        "section_locked": section_locked,
    }


def section_panel_context(db: Session, ctx: GroupContext, target: Target, board: ReviewBoard | None = None
                          ) -> dict[str, Any]:
    """What the approval panel on a section page shows and offers."""
    board = board or review_board(db, ctx.group)
    section = board.section(target.id)
    assert section is not None
    blockers = board.section_blockers(section)
    may_decide = can_decide(ctx.actor, target.subgroup_id)
    return {"section_review": section, "rec_reviews": {r.number: r for r in section.recommendations},
            "section_blockers": blockers, "may_approve_section": may_decide,
            "can_approve_section": may_decide and section.state is not SectionState.APPROVED and not blockers}
