"""Drafting operations: sections, recommendations, revisions, comments. Each checks the policy, writes the rows
and the audit entry; callers commit (``commit_with_retry`` re-runs a save that lost a race on PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from wg.features.audit.log import record
from wg.features.drafting.targets import (
    RECOMMENDATION,
    SECTION,
    Target,
    head_revision,
    load_section,
    revision,
)
from wg.features.drafting.textmerge import merge3, split_paragraphs
from wg.features.groups.context import GroupContext
from wg.lib.countries import country_name
from wg.lib.errors import NotAllowed, ValidationFailed, not_found
from wg.lib.fields import clean_line, strip_controls
from wg.models import (
    Comment,
    Membership,
    Mention,
    Notification,
    Recommendation,
    Revision,
    Section,
    Subgroup,
    User,
    utcnow,
)
from wg.policy import (
    can_comment,
    can_create_section,
    can_draft,
    can_move_recommendation,
    can_reorder_sections,
    can_resolve_comment,
)

MAX_TITLE = 300
MAX_TEXT = 50_000
MAX_NOTE = 300
MAX_COMMENT = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class Draft:
    """The fields of one revision as a member typed them (already cleaned)."""

    title: str
    text: str
    rationale: str = ""
    target: str = ""


@dataclass(frozen=True)
class SaveOutcome:
    """What became of a save: saved as typed, merged with a save that landed meanwhile, unchanged, or a conflict."""

    kind: Literal["saved", "merged", "unchanged", "conflict"]
    mine: Draft
    revision: Revision | None = None
    current: Revision | None = None
    conflicting_fields: tuple[str, ...] = ()


def target_options(countries: list[str]) -> list[str]:
    """Whom a recommendation can be addressed to: each country, or all of them together."""
    together = "Trilateral" if len(countries) == 3 else "All participating governments"
    return [country_name(c) for c in countries] + [together]


def read_draft(data: dict[str, Any], kind: str, countries: list[str]) -> Draft:
    """Clean and check the typed fields; raise ValidationFailed naming each bad field (nothing typed is dropped
    except control characters)."""
    title = clean_line(data.get("title"))
    text = strip_controls(str(data.get("text") or "")).strip("\n")
    rationale = strip_controls(str(data.get("rationale") or "")).strip("\n") if kind == RECOMMENDATION else ""
    target = clean_line(data.get("target")) if kind == RECOMMENDATION else ""
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title must be {MAX_TITLE} characters or fewer (it has {len(title)})."
    if len(text) > MAX_TEXT:
        errors["text"] = f"The text must be {MAX_TEXT:,} characters or fewer (it has {len(text):,})."
    if kind == RECOMMENDATION and not text.strip():
        errors["text"] = "Enter the text of the recommendation."
    if len(rationale) > MAX_TEXT:
        errors["rationale"] = f"The rationale must be {MAX_TEXT:,} characters or fewer (it has {len(rationale):,})."
    if target and target not in target_options(countries):
        errors["target"] = "Choose whom the recommendation is addressed to from the list."
    if errors:
        raise ValidationFailed(errors)
    return Draft(title=title, text=text, rationale=rationale, target=target)


def draft_of(rev: Revision | None) -> Draft:
    """The fields of a stored revision."""
    if rev is None:
        return Draft(title="", text="")
    return Draft(title=rev.title, text=rev.text, rationale=rev.rationale, target=rev.target)


def read_note(data: dict[str, Any]) -> str:
    """The optional summary of changes, checked for length."""
    note = clean_line(data.get("note"))
    if len(note) > MAX_NOTE:
        raise ValidationFailed({"note": f"The summary of changes must be {MAX_NOTE} characters or fewer."})
    return note


def require_draft(ctx: GroupContext, target: Target) -> None:
    """Refuse (403) anyone who may not edit this target, and any edit of a withdrawn recommendation.

    Callers check this before reading the form, so that a refused user is told so rather than shown field errors.
    """
    if not can_draft(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only members of this subgroup, the co-chairs and organizers can edit this.")
    if target.withdrawn:
        raise NotAllowed("This recommendation was withdrawn; reinstate it before editing.")


_require_draft = require_draft  # the name save_revision uses


def _add_revision(db: Session, ctx: GroupContext, target: Target, draft: Draft, rev_no: int, parent: int | None,
                  note: str, merged: int | None = None, restored: int | None = None) -> Revision:
    rev = Revision(group_id=ctx.group_id, target_type=target.kind, target_id=target.id, rev_no=rev_no,
                   parent_rev_no=parent, merged_rev_no=merged, restored_from=restored, author_id=ctx.user.id,
                   title=draft.title, text=draft.text, rationale=draft.rationale, target=draft.target, note=note)
    db.add(rev)
    db.flush()
    return rev


def lock_target(db: Session, target: Target) -> None:
    """Hold the target's row until commit, so saves of one text take turns (PostgreSQL: ``SELECT … FOR UPDATE``).

    Without it, concurrent saves all read the same head, all but one fail on UNIQUE(target, rev_no), and under
    load a save can lose that race more often than ``commit_with_retry`` tries again (a 500). The statement after
    the lock reads the head afresh (READ COMMITTED), so it sees the save that held the lock before. SQLite ignores
    FOR UPDATE; there the write session's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    model: Any = Recommendation if target.kind == RECOMMENDATION else Section
    db.exec(select(model.id).where(model.id == target.id).with_for_update()).first()


def save_revision(db: Session, ctx: GroupContext, target: Target, base_rev_no: int, draft: Draft, note: str,
                  ip: str) -> SaveOutcome:
    """Save a new revision started from ``base_rev_no``; never overwrite a revision saved meanwhile.

    When someone saved after ``base_rev_no``, each field is merged three-way (paragraph by paragraph); if the
    edits touch the same paragraph the outcome is a conflict and nothing is written.
    """
    _require_draft(ctx, target)
    lock_target(db, target)
    head = head_revision(db, target)
    head_no = head.rev_no if head else 0
    if base_rev_no > head_no or base_rev_no < (1 if head else 0):
        raise ValidationFailed({"base_rev_no": "The revision you started from does not exist."})
    merged_with: int | None = None
    new = draft
    if head is not None and base_rev_no != head_no:
        base = draft_of(revision(db, target, base_rev_no))
        theirs = draft_of(head)
        merged_fields: dict[str, str] = {}
        conflicts: list[str] = []
        for f in fields(Draft):
            result = merge3(getattr(base, f.name), getattr(draft, f.name), getattr(theirs, f.name))
            if result.clean and result.text is not None:
                merged_fields[f.name] = result.text
            else:
                conflicts.append(f.name)
        if conflicts:
            return SaveOutcome("conflict", mine=draft, current=head, conflicting_fields=tuple(conflicts))
        new = Draft(**merged_fields)
        merged_with = head_no
    if head is not None and new == draft_of(head):
        return SaveOutcome("unchanged", mine=draft, current=head)
    rev = _add_revision(db, ctx, target, new, head_no + 1, base_rev_no or None, note, merged=merged_with)
    record(db, "revision.saved", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, rev_no=rev.rev_no, merged_with=merged_with)
    return SaveOutcome("merged" if merged_with else "saved", mine=draft, revision=rev, current=head)


def restore_revision(db: Session, ctx: GroupContext, target: Target, rev_no: int, ip: str) -> Revision:
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    require_draft(ctx, target)
    old = revision(db, target, rev_no)
    head = head_revision(db, target)
    assert head is not None
    rev = _add_revision(db, ctx, target, draft_of(old), head.rev_no + 1, head.rev_no,
                        f"Restored revision {rev_no}", restored=rev_no)
    record(db, "revision.restored", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=target.kind,
           object_id=target.id, ip=ip, rev_no=rev.rev_no, restored_from=rev_no)
    return rev


def commit_with_retry(db: Session, operation: Callable[[], T], attempts: int = 3) -> T:
    """Run an operation and commit; if a concurrent save took the same revision number, roll back and run it
    again (it then sees the other save and merges or reports a conflict)."""
    for attempt in range(attempts):
        try:
            result = operation()
            db.commit()
            return result
        except IntegrityError:
            db.rollback()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _raw(value: Any) -> str:
    """A form or JSON value as typed; only a missing one is empty (0 is a value, and may be refused as one)."""
    return "" if value is None else str(value).strip()


def _subgroup_for(db: Session, ctx: GroupContext, value: Any) -> int | None:
    raw = _raw(value)
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed({"subgroup_id": "Choose a subgroup from the list."})
    subgroup = db.get(Subgroup, int(raw))
    if subgroup is None or subgroup.group_id != ctx.group_id:
        raise ValidationFailed({"subgroup_id": "Choose a subgroup from the list."})
    return subgroup.id


def create_section(db: Session, ctx: GroupContext, data: dict[str, Any], ip: str) -> Section:
    """Add a section at the end of the report with its first revision."""
    subgroup_id = _subgroup_for(db, ctx, data.get("subgroup_id"))
    if not can_create_section(ctx.actor, subgroup_id):
        raise NotAllowed("Only co-chairs, organizers and the subgroup's chair can add sections.")
    draft = read_draft(data, SECTION, ctx.group.countries)
    note = read_note(data)
    last = db.exec(select(func.max(Section.position)).where(Section.group_id == ctx.group_id)).one()
    section = Section(group_id=ctx.group_id, subgroup_id=subgroup_id, position=(last if last is not None else -1) + 1)
    db.add(section)
    db.flush()
    target = Target(SECTION, section.id or 0, ctx.group_id, subgroup_id, section, None)
    _add_revision(db, ctx, target, draft, 1, None, note or "Created")
    record(db, "section.created", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=SECTION,
           object_id=section.id, ip=ip)
    return section


def create_recommendation(db: Session, ctx: GroupContext, section: Section, data: dict[str, Any], ip: str
                          ) -> Recommendation:
    """Add a recommendation at the end of a section; it gets the group's next stable number (R-n)."""
    if not can_draft(ctx.actor, section.subgroup_id):
        raise NotAllowed("Only members of this subgroup, the co-chairs and organizers can add recommendations.")
    draft = read_draft(data, RECOMMENDATION, ctx.group.countries)
    note = read_note(data)
    number = (db.exec(select(func.max(Recommendation.number)).where(
        Recommendation.group_id == ctx.group_id)).one() or 0) + 1
    position = db.exec(select(func.max(Recommendation.position)).where(
        Recommendation.section_id == section.id)).one()
    rec = Recommendation(group_id=ctx.group_id, section_id=section.id or 0, number=number,
                         position=(position if position is not None else -1) + 1)
    db.add(rec)
    db.flush()
    target = Target(RECOMMENDATION, rec.id or 0, ctx.group_id, section.subgroup_id, section, rec)
    _add_revision(db, ctx, target, draft, 1, None, note or "Created")
    record(db, "recommendation.created", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=RECOMMENDATION,
           object_id=rec.id, ip=ip, key=rec.key)
    return rec


def _renumber(items: list[Any]) -> None:
    for index, item in enumerate(items):
        item.position = index


def move_recommendation(db: Session, ctx: GroupContext, target: Target, to_section_id: int | None,
                        direction: str | None, ip: str) -> None:
    """Move a recommendation up or down in its section, or to the end of another section; its key never changes."""
    rec = target.recommendation
    assert rec is not None
    # Rights before input: someone who may not move it is told so, whatever the form says.
    if not can_draft(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only members of this subgroup, the co-chairs and organizers can move this.")
    if to_section_id is not None and to_section_id != rec.section_id:
        destination = load_section(db, ctx, to_section_id)
        if not can_move_recommendation(ctx.actor, target.subgroup_id, destination.subgroup_id):
            raise NotAllowed("You need drafting rights in both sections to move a recommendation.")
        old_section = rec.section_id
        count = len(db.exec(select(Recommendation.id).where(Recommendation.section_id == destination.id)).all())
        rec.section_id = destination.id or 0
        rec.position = count
        db.add(rec)
        db.flush()
        siblings = list(db.exec(select(Recommendation).where(Recommendation.section_id == old_section)
                                .order_by(col(Recommendation.position), col(Recommendation.id))).all())
        _renumber(siblings)
        for s in siblings:
            db.add(s)
        record(db, "recommendation.moved", actor_id=ctx.user.id, group_id=ctx.group_id,
               object_type=RECOMMENDATION, object_id=rec.id, ip=ip, key=rec.key, to_section=destination.id)
        return
    if direction is None and to_section_id == rec.section_id:
        return  # "moved" to the section it is already in: nothing to do
    if direction not in {"up", "down"}:
        raise ValidationFailed({"direction": "Choose up or down, or another section."})
    siblings = list(db.exec(select(Recommendation).where(Recommendation.section_id == rec.section_id)
                            .order_by(col(Recommendation.position), col(Recommendation.id))).all())
    index = next(i for i, s in enumerate(siblings) if s.id == rec.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    _renumber(siblings)
    for s in siblings:
        db.add(s)
    record(db, "recommendation.reordered", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=RECOMMENDATION,
           object_id=rec.id, ip=ip, key=rec.key, direction=direction)


def move_section(db: Session, ctx: GroupContext, section: Section, direction: str, ip: str) -> None:
    """Move a section up or down in the report."""
    if not can_reorder_sections(ctx.actor):
        raise NotAllowed("Only co-chairs and organizers change the order of sections.")
    if direction not in {"up", "down"}:
        raise ValidationFailed({"direction": "Choose up or down."})
    sections = list(db.exec(select(Section).where(Section.group_id == ctx.group_id)
                            .order_by(col(Section.position), col(Section.id))).all())
    index = next(i for i, s in enumerate(sections) if s.id == section.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
    _renumber(sections)
    for s in sections:
        db.add(s)
    record(db, "section.reordered", actor_id=ctx.user.id, group_id=ctx.group_id, object_type=SECTION,
           object_id=section.id, ip=ip, direction=direction)


def set_withdrawn(db: Session, ctx: GroupContext, target: Target, withdrawn: bool, ip: str) -> None:
    """Withdraw a recommendation (its text and history stay) or bring it back."""
    rec = target.recommendation
    assert rec is not None
    if not can_draft(ctx.actor, target.subgroup_id):
        raise NotAllowed("Only members of this subgroup, the co-chairs and organizers can withdraw this.")
    rec.withdrawn_at = utcnow() if withdrawn else None
    rec.withdrawn_by = ctx.user.id if withdrawn else None
    db.add(rec)
    record(db, "recommendation.withdrawn" if withdrawn else "recommendation.reinstated", actor_id=ctx.user.id,
           group_id=ctx.group_id, object_type=RECOMMENDATION, object_id=rec.id, ip=ip, key=rec.key)


MENTION_RE = re.compile(r"(?<![\w.])@([a-z0-9]+(?:\.[a-z0-9]+)*)", re.IGNORECASE)


def mention_handle(display_name: str) -> str:
    """The @handle of a member: the display name lower-cased, hyphens dropped, other gaps as dots."""
    base = display_name.lower().replace("-", "")
    return ".".join(part for part in re.split(r"[^0-9a-z]+", base) if part)


def add_comment(db: Session, ctx: GroupContext, target: Target, data: dict[str, Any], ip: str) -> Comment:
    """Comment on a section or recommendation (a reply when ``parent_id`` is given); @handles notify members."""
    if not can_comment(ctx.actor):
        raise NotAllowed("Observers can read but not comment.")
    body = strip_controls(str(data.get("body") or "")).strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = "Enter a comment."
    elif len(body) > MAX_COMMENT:
        errors["body"] = f"A comment must be {MAX_COMMENT:,} characters or fewer (it has {len(body):,})."
    parent_id: int | None = None
    raw_parent = _raw(data.get("parent_id"))
    if raw_parent:
        parent = db.get(Comment, int(raw_parent)) if raw_parent.isdigit() else None
        if parent is None or parent.target_type != target.kind or parent.target_id != target.id:
            raise not_found()
        parent_id = parent.id
    paragraph: int | None = None
    raw_paragraph = _raw(data.get("paragraph"))
    head = head_revision(db, target)
    if raw_paragraph and parent_id is None:
        count = len(split_paragraphs(head.text)) if head else 0
        if not raw_paragraph.isdigit() or not 1 <= int(raw_paragraph) <= count:
            errors["paragraph"] = f"Choose a paragraph between 1 and {count}, or none."
        else:
            paragraph = int(raw_paragraph)
    if errors:
        raise ValidationFailed(errors)
    comment = Comment(group_id=ctx.group_id, target_type=target.kind, target_id=target.id, parent_id=parent_id,
                      paragraph=paragraph, rev_no=head.rev_no if head else None, author_id=ctx.user.id, body=body)
    db.add(comment)
    db.flush()
    handles = {h.lower() for h in MENTION_RE.findall(body)}
    if handles:
        members = db.exec(select(User).join(Membership, col(Membership.user_id) == col(User.id))
                          .where(Membership.group_id == ctx.group_id)).all()
        for user in members:
            if mention_handle(user.display_name) in handles and user.id != ctx.user.id:
                db.add(Mention(comment_id=comment.id or 0, user_id=user.id or 0))
                where = target.label if target.recommendation is not None else "a section"
                db.add(Notification(user_id=user.id or 0, group_id=ctx.group_id, kind="mention",
                                    message=f"{ctx.user.display_name} mentioned you in a comment on {where}.",
                                    link=f"/g/{ctx.group.slug}{target.url}#comment-{comment.id}"))
    record(db, "comment.added", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="comment",
           object_id=comment.id, ip=ip, on=target.kind, on_id=target.id)
    return comment


def load_comment(db: Session, ctx: GroupContext, comment_id: int) -> Comment:
    """A comment of this group, or 404."""
    comment = db.get(Comment, comment_id)
    if comment is None or comment.group_id != ctx.group_id:
        raise not_found()
    return comment


def set_resolved(db: Session, ctx: GroupContext, target: Target, comment: Comment, resolved: bool, ip: str) -> None:
    """Resolve or reopen a comment thread."""
    if not can_resolve_comment(ctx.actor, comment.author_id, target.subgroup_id):
        raise NotAllowed("Only the comment's author, the subgroup chair, co-chairs and organizers can do that.")
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by = ctx.user.id if resolved else None
    db.add(comment)
    record(db, "comment.resolved" if resolved else "comment.reopened", actor_id=ctx.user.id, group_id=ctx.group_id,
           object_type="comment", object_id=comment.id, ip=ip)



