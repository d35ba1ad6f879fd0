"""Read models for drafting pages: each loads what a view shows in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from wg.features.drafting.targets import RECOMMENDATION, SECTION, Target
from wg.models import Comment, Recommendation, Revision, Section, Subgroup, User


@dataclass(frozen=True)
class RecommendationView:
    """A recommendation with its current revision."""

    recommendation: Recommendation
    head: Revision


@dataclass(frozen=True)
class SectionView:
    """A section with its current revision, owning subgroup and recommendations in order."""

    section: Section
    head: Revision
    subgroup: Subgroup | None
    recommendations: list[RecommendationView]

    @property
    def active(self) -> list[RecommendationView]:
        """The recommendations that are not withdrawn."""
        return [r for r in self.recommendations if r.recommendation.withdrawn_at is None]


@dataclass
class CommentNode:
    """A comment, its author and its replies."""

    comment: Comment
    author: User | None
    replies: list[CommentNode] = field(default_factory=list)


def _heads(db: Session, group_id: int, kind: str) -> dict[int, Revision]:
    newest = (
        select(Revision.target_id, func.max(Revision.rev_no).label("rev_no"))
        .where(Revision.group_id == group_id, Revision.target_type == kind)
        .group_by(col(Revision.target_id))
        .subquery()
    )
    rows = db.exec(
        select(Revision).join(newest, (col(Revision.target_id) == newest.c.target_id)
                              & (col(Revision.rev_no) == newest.c.rev_no))
        .where(Revision.target_type == kind, Revision.group_id == group_id)
    ).all()
    return {r.target_id: r for r in rows}


def report_outline(db: Session, group_id: int) -> list[SectionView]:
    """Every section in order with its recommendations (five queries, whatever the size of the report)."""
    sections = db.exec(select(Section).where(Section.group_id == group_id)
                       .order_by(col(Section.position), col(Section.id))).all()
    recs = db.exec(select(Recommendation).where(Recommendation.group_id == group_id)
                   .order_by(col(Recommendation.position), col(Recommendation.id))).all()
    subgroups = {s.id: s for s in db.exec(select(Subgroup).where(Subgroup.group_id == group_id)).all()}
    section_heads = _heads(db, group_id, SECTION)
    rec_heads = _heads(db, group_id, RECOMMENDATION)
    by_section: dict[int, list[RecommendationView]] = defaultdict(list)
    for rec in recs:
        head = rec_heads.get(rec.id or 0)
        if head is not None:
            by_section[rec.section_id].append(RecommendationView(rec, head))
    return [
        SectionView(s, section_heads[s.id or 0], subgroups.get(s.subgroup_id), by_section[s.id or 0])
        for s in sections if (s.id or 0) in section_heads
    ]


def section_view(db: Session, group_id: int, section_id: int) -> SectionView:
    """One section as in the outline."""
    return next(v for v in report_outline(db, group_id) if v.section.id == section_id)


def revisions_with_authors(db: Session, target: Target) -> list[tuple[Revision, User | None]]:
    """Every revision of a target, newest first, with its author."""
    rows = db.exec(
        select(Revision, User).join(User, col(User.id) == col(Revision.author_id), isouter=True)
        .where(Revision.target_type == target.kind, Revision.target_id == target.id)
        .order_by(col(Revision.rev_no).desc())
    ).all()
    return [(r, u) for r, u in rows]


def comment_threads(db: Session, target: Target) -> list[CommentNode]:
    """The comments on a target as threads, oldest first, with their authors."""
    rows = db.exec(
        select(Comment, User).join(User, col(User.id) == col(Comment.author_id), isouter=True)
        .where(Comment.target_type == target.kind, Comment.target_id == target.id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    nodes = {c.id: CommentNode(c, u) for c, u in rows}
    roots: list[CommentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id) if node.comment.parent_id else None
        (parent.replies if parent else roots).append(node)
    return roots


def paragraph_comment_counts(threads: list[CommentNode]) -> dict[int, int]:
    """How many comments (a thread's first comment and all its replies) are tied to each paragraph."""

    def size(node: CommentNode) -> int:
        return 1 + sum(size(child) for child in node.replies)

    counts: dict[int, int] = {}
    for node in threads:
        if node.comment.paragraph:
            counts[node.comment.paragraph] = counts.get(node.comment.paragraph, 0) + size(node)
    return counts


def comment_counts(db: Session, group_id: int, kind: str) -> dict[int, int]:
    """Open comments per target of one kind in a group."""
    rows = db.exec(
        select(Comment.target_id, func.count())
        .where(Comment.group_id == group_id, Comment.target_type == kind, col(Comment.resolved_at).is_(None))
        .group_by(col(Comment.target_id))
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class OpenThread:
    """An unresolved comment thread on a section or one of its recommendations (``href`` relative to the group)."""

    comment: Comment
    author: User | None
    on: str
    href: str


def open_threads(db: Session, view: SectionView) -> list[OpenThread]:
    """The unresolved threads (top-level comments not resolved) on a section and its recommendations that are not
    withdrawn, oldest first (one query)."""
    recs = {r.recommendation.id: r.recommendation for r in view.active}
    on_section = (col(Comment.target_type) == SECTION) & (col(Comment.target_id) == view.section.id)
    on_recs = (col(Comment.target_type) == RECOMMENDATION) & col(Comment.target_id).in_(list(recs))
    rows = db.exec(
        select(Comment, User).join(User, col(User.id) == col(Comment.author_id), isouter=True)
        .where(Comment.group_id == view.section.group_id, col(Comment.parent_id).is_(None),
               col(Comment.resolved_at).is_(None), on_section | on_recs)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    threads: list[OpenThread] = []
    for comment, author in rows:
        if comment.target_type == SECTION:
            threads.append(OpenThread(comment, author, "the section",
                                      f"/sections/{view.section.id}#comment-{comment.id}"))
        else:
            rec = recs[comment.target_id]
            threads.append(OpenThread(comment, author, rec.key, f"/r/{rec.number}#comment-{comment.id}"))
    return threads
