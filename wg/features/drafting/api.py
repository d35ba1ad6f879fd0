"""JSON API for drafting: sections, recommendations, revisions (409 with both texts on a stale save), comments."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import Session

from wg.features.drafting import operations as ops
from wg.features.drafting.queries import CommentNode, comment_threads, report_outline, revisions_with_authors
from wg.features.drafting.targets import (
    Target,
    head_revision,
    recommendation_target,
    revision,
    section_target,
)
from wg.features.drafting.textdiff import word_diff
from wg.features.groups.context import GroupContext
from wg.features.report.loader import ReportNumbers, report_numbers
from wg.lib.deps import DbSession, Group, provide_group, provide_user
from wg.lib.errors import not_found
from wg.lib.ids import DbInt, fits_db_int
from wg.lib.markdown import render_markdown
from wg.lib.openapi import READ, WRITE, api_errors
from wg.lib.submissions import IdempotencyKey, begin_submission, remember_submission
from wg.lib.web import AnyRequest, client_ip
from wg.models import Recommendation, Revision, User


@dataclass
class RevisionOut:
    """One saved version."""

    rev_no: int
    parent_rev_no: int | None
    merged_rev_no: int | None
    restored_from: int | None
    author_id: int | None
    author: str | None
    created_at: dt.datetime
    title: str
    text: str
    rationale: str
    target: str
    note: str


@dataclass
class RecommendationSummary:
    """A recommendation in a list."""

    key: str
    number: int
    section_id: int
    position: int
    withdrawn: bool
    title: str
    target: str
    rev_no: int
    report_number: str | None = None  # "2.4": its number in the report now; None if the public report leaves it out


@dataclass
class SectionOut:
    """A section with its current revision and its recommendations in order."""

    id: int
    position: int
    subgroup_id: int | None
    current: RevisionOut
    recommendations: list[RecommendationSummary]


@dataclass
class RecommendationOut:
    """A recommendation with its current revision."""

    key: str
    number: int
    section_id: int
    position: int
    withdrawn: bool
    current: RevisionOut
    report_number: str | None = None  # "2.4": its number in the report now; None if the public report leaves it out


@dataclass
class SectionIn:
    """A new section: title, optional text, optional owning subgroup."""

    title: str
    text: str = ""
    subgroup_id: DbInt | None = None
    note: str = ""


@dataclass
class RecommendationIn:
    """A new recommendation."""

    title: str
    text: str
    rationale: str = ""
    target: str = ""
    note: str = ""


@dataclass
class SaveIn:
    """A save: the revision it started from and the full new fields."""

    base_rev_no: DbInt
    title: str
    text: str = ""
    rationale: str = ""
    target: str = ""
    note: str = ""


@dataclass
class SaveOut:
    """A save that landed: as typed ("saved"), merged with a save made meanwhile ("merged"), or "unchanged"."""

    outcome: str
    revision: RevisionOut


@dataclass
class DraftFields:
    """The fields of a text someone typed."""

    title: str
    text: str
    rationale: str
    target: str


@dataclass
class ConflictOut:
    """A stale save that could not be merged: nothing was written; both texts are here."""

    detail: str
    conflicting_fields: list[str]
    current: RevisionOut
    mine: DraftFields


@dataclass
class MoveIn:
    """Move up or down in the section, or to the end of another section."""

    direction: str | None = None
    section_id: DbInt | None = None


@dataclass
class WithdrawIn:
    """Withdraw (true) or reinstate (false)."""

    withdrawn: bool = True


@dataclass
class DiffOpOut:
    """A piece of a word-level difference."""

    kind: str
    text: str


@dataclass
class DiffOut:
    """The difference between two revisions, field by field."""

    from_rev: int
    to_rev: int
    fields: dict[str, list[DiffOpOut]]


@dataclass
class CommentIn:
    """A comment or reply, optionally about one paragraph."""

    body: str
    parent_id: DbInt | None = None
    paragraph: DbInt | None = None


@dataclass
class CommentOut:
    """A comment with its replies."""

    id: int
    author_id: int | None
    author: str | None
    body: str
    paragraph: int | None
    rev_no: int | None
    created_at: dt.datetime
    resolved: bool
    replies: list[CommentOut]


@dataclass
class ResolveIn:
    """Resolve (true) or reopen (false)."""

    resolved: bool = True


@dataclass
class PreviewIn:
    """Markdown to preview."""

    text: str


@dataclass
class PreviewOut:
    """The sanitised HTML the pages would show."""

    html: str


def revision_out(rev: Revision, author: User | None = None) -> RevisionOut:
    """A revision as the API shows it."""
    return RevisionOut(rev_no=rev.rev_no, parent_rev_no=rev.parent_rev_no, merged_rev_no=rev.merged_rev_no,
                       restored_from=rev.restored_from, author_id=rev.author_id,
                       author=author.display_name if author else None, created_at=rev.created_at, title=rev.title,
                       text=rev.text, rationale=rev.rationale, target=rev.target, note=rev.note)


def _rec_out(rec: Recommendation, head: Revision, numbers: ReportNumbers) -> RecommendationOut:
    return RecommendationOut(key=rec.key, number=rec.number, section_id=rec.section_id, position=rec.position,
                             withdrawn=rec.withdrawn_at is not None, current=revision_out(head),
                             report_number=numbers.rec(rec.number))


def _comment_out(node: CommentNode) -> CommentOut:
    c = node.comment
    return CommentOut(id=c.id or 0, author_id=c.author_id, author=node.author.display_name if node.author else None,
                      body=c.body, paragraph=c.paragraph, rev_no=c.rev_no, created_at=c.created_at,
                      resolved=c.resolved_at is not None, replies=[_comment_out(r) for r in node.replies])


def _sections(db: Session, ctx: GroupContext) -> list[SectionOut]:
    numbers = report_numbers(db, ctx.group)
    return [
        SectionOut(id=v.section.id or 0, position=v.section.position, subgroup_id=v.section.subgroup_id,
                   current=revision_out(v.head),
                   recommendations=[RecommendationSummary(
                       key=r.recommendation.key, number=r.recommendation.number, section_id=r.recommendation.section_id,
                       position=r.recommendation.position, withdrawn=r.recommendation.withdrawn_at is not None,
                       title=r.head.title, target=r.head.target, rev_no=r.head.rev_no,
                       report_number=numbers.rec(r.recommendation.number)) for r in v.recommendations])
        for v in report_outline(db, ctx.group_id)
    ]


def _save(request: AnyRequest, db: Session, ctx: GroupContext, target: Target, data: SaveIn) -> Response[Any]:
    ops.require_draft(ctx, target)
    draft = ops.read_draft(asdict(data), target.kind, ctx.group.countries)
    note = ops.read_note(asdict(data))
    outcome = ops.commit_with_retry(
        db, lambda: ops.save_revision(db, ctx, target, data.base_rev_no, draft, note, client_ip(request)))
    if outcome.kind == "conflict":
        assert outcome.current is not None
        body = ConflictOut(detail="Someone saved a revision that changes the same paragraphs; nothing was written.",
                           conflicting_fields=list(outcome.conflicting_fields), current=revision_out(outcome.current),
                           mine=DraftFields(**asdict(outcome.mine)))
        return Response(body, status_code=409)
    rev = outcome.revision or outcome.current
    assert rev is not None
    return Response(SaveOut(outcome=outcome.kind, revision=revision_out(rev)),
                    status_code=200 if outcome.kind == "unchanged" else 201)


def _diff(db: Session, target: Target, from_rev: int, to_rev: int) -> DiffOut:
    if not (fits_db_int(from_rev) and fits_db_int(to_rev)):
        raise not_found()
    old, new = revision(db, target, from_rev), revision(db, target, to_rev)
    return DiffOut(from_rev=from_rev, to_rev=to_rev, fields={
        f: [DiffOpOut(kind=op.kind, text=op.text) for op in word_diff(getattr(old, f), getattr(new, f))]
        for f in ("title", "text", "rationale")})


def _current_rec(db: Session, ctx: GroupContext, number: int) -> RecommendationOut:
    target = recommendation_target(db, ctx, number)
    head = head_revision(db, target)
    assert target.recommendation is not None and head is not None
    return _rec_out(target.recommendation, head, report_numbers(db, ctx.group))


class DraftingApi(Controller):
    """Sections and recommendations of a group."""

    path = "/api/v1/groups/{slug:str}"
    tags = ["drafting"]
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @post("/preview", sync_to_thread=False, status_code=200, responses=WRITE)
    def preview(self, ctx: Group, data: JSONBody[PreviewIn]) -> PreviewOut:
        """Render Markdown as the pages would."""
        return PreviewOut(html=render_markdown(data.text[: ops.MAX_TEXT]))

    @get("/sections", sync_to_thread=True, responses=READ)
    def list_sections(self, db: DbSession, ctx: Group) -> list[SectionOut]:
        """The report outline: sections in order with their recommendations."""
        return _sections(db, ctx)

    @post("/sections", sync_to_thread=True, status_code=201, responses=WRITE)
    def create_section(self, request: AnyRequest, db: DbSession, ctx: Group, data: JSONBody[SectionIn],
                       idempotency_key: IdempotencyKey = None) -> SectionOut:
        """Add a section."""
        payload = {**asdict(data), "subgroup_id": data.subgroup_id}
        once = begin_submission(db, request, ctx.user.id or 0, payload, idempotency_key)
        if once is not None and once.earlier is not None:
            db.rollback()
            return next(s for s in _sections(db, ctx) if s.id == once.earlier.target_id)
        section = ops.create_section(db, ctx, payload, client_ip(request))
        remember_submission(db, once, section.id)
        db.commit()
        return next(s for s in _sections(db, ctx) if s.id == section.id)

    @get("/sections/{section_id:int}", sync_to_thread=True, responses=READ)
    def get_section(self, db: DbSession, ctx: Group, section_id: FromPath[int]) -> SectionOut:
        """One section."""
        section_target(db, ctx, section_id)
        return next(s for s in _sections(db, ctx) if s.id == section_id)

    @post("/sections/{section_id:int}/recommendations", sync_to_thread=True, status_code=201, responses=WRITE)
    def create_recommendation(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                              data: JSONBody[RecommendationIn], idempotency_key: IdempotencyKey = None
                              ) -> RecommendationOut:
        """Add a recommendation; it gets the next stable key."""
        target = section_target(db, ctx, section_id)
        once = begin_submission(db, request, ctx.user.id or 0, asdict(data), idempotency_key)
        if once is not None and once.earlier is not None:
            db.rollback()
            rec = db.get(Recommendation, once.earlier.target_id)
            assert rec is not None
            return _current_rec(db, ctx, rec.number)
        rec = ops.create_recommendation(db, ctx, target.section, asdict(data), client_ip(request))
        remember_submission(db, once, rec.id)
        db.commit()
        head = head_revision(db, recommendation_target(db, ctx, rec.number))
        assert head is not None
        return _rec_out(rec, head, report_numbers(db, ctx.group))

    @get("/recommendations/{number:int}", sync_to_thread=True, responses=READ)
    def get_recommendation(self, db: DbSession, ctx: Group, number: FromPath[int]) -> RecommendationOut:
        """One recommendation by its number (R-<number>)."""
        return _current_rec(db, ctx, number)

    @post("/recommendations/{number:int}/move", sync_to_thread=True, status_code=200, responses=WRITE)
    def move(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: JSONBody[MoveIn]
             ) -> RecommendationOut:
        """Move a recommendation; its key does not change."""
        target = recommendation_target(db, ctx, number)
        ops.move_recommendation(db, ctx, target, data.section_id, data.direction, client_ip(request))
        db.commit()
        return _current_rec(db, ctx, number)

    @post("/recommendations/{number:int}/withdraw", sync_to_thread=True, status_code=200, responses=WRITE)
    def withdraw(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
                 data: JSONBody[WithdrawIn]) -> RecommendationOut:
        """Withdraw or reinstate a recommendation."""
        target = recommendation_target(db, ctx, number)
        ops.set_withdrawn(db, ctx, target, data.withdrawn, client_ip(request))
        db.commit()
        return _current_rec(db, ctx, number)

    @get("/comments/{comment_id:int}", sync_to_thread=True, include_in_schema=False)
    def comment_location(self, db: DbSession, ctx: Group, comment_id: FromPath[int]) -> dict[str, Any]:
        """Where a comment lives (for links from notifications)."""
        comment = ops.load_comment(db, ctx, comment_id)
        return {"target_type": comment.target_type, "target_id": comment.target_id}


class _TargetApi(Controller):
    """Revisions and comments of a section or recommendation (see the subclasses)."""

    tags = ["drafting"]
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    def load_target(self, db: Session, ctx: GroupContext, ident: int) -> Target:
        """The section or recommendation named by the URL."""
        raise NotImplementedError

    @get("/revisions", sync_to_thread=True, responses=READ)
    def list_revisions(self, db: DbSession, ctx: Group, ident: FromPath[int]) -> list[RevisionOut]:
        """Every revision, newest first."""
        target = self.load_target(db, ctx, ident)
        return [revision_out(r, u) for r, u in revisions_with_authors(db, target)]

    @post("/revisions", sync_to_thread=True, status_code=201,
          response_description="Saved, or merged with a save made meanwhile",
          responses={**WRITE,
                     200: ResponseSpec(data_container=SaveOut, description="Unchanged: no revision was made"),
                     409: ResponseSpec(data_container=ConflictOut, description="A conflicting save; nothing written")})
    def save(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int], data: JSONBody[SaveIn]
             ) -> Response[SaveOut]:
        """Save a revision started from ``base_rev_no``: 201 saved or merged, 200 unchanged, 409 conflict."""
        return _save(request, db, ctx, self.load_target(db, ctx, ident), data)

    @get("/revisions/{rev_no:int}", sync_to_thread=True, responses=READ)
    def get_revision(self, db: DbSession, ctx: Group, ident: FromPath[int], rev_no: FromPath[int]) -> RevisionOut:
        """One revision."""
        return revision_out(revision(db, self.load_target(db, ctx, ident), rev_no))

    @post("/revisions/{rev_no:int}/restore", sync_to_thread=True, status_code=201, responses=WRITE)
    def restore(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int], rev_no: FromPath[int]
                ) -> RevisionOut:
        """Make an old revision current again, as a new revision."""
        target = self.load_target(db, ctx, ident)
        rev = ops.commit_with_retry(db, lambda: ops.restore_revision(db, ctx, target, rev_no, client_ip(request)))
        return revision_out(rev)

    @get("/diff", sync_to_thread=True, responses=api_errors(401, 404, 422))
    def diff(self, db: DbSession, ctx: Group, ident: FromPath[int], from_rev: FromQuery[int], to_rev: FromQuery[int]
             ) -> DiffOut:
        """The word-level difference between two revisions."""
        return _diff(db, self.load_target(db, ctx, ident), from_rev, to_rev)

    @get("/comments", sync_to_thread=True, responses=READ)
    def list_comments(self, db: DbSession, ctx: Group, ident: FromPath[int]) -> list[CommentOut]:
        """Comment threads, oldest first."""
        return [_comment_out(n) for n in comment_threads(db, self.load_target(db, ctx, ident))]

    @post("/comments", sync_to_thread=True, status_code=201, responses=WRITE)
    def add_comment(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                    data: JSONBody[CommentIn], idempotency_key: IdempotencyKey = None) -> CommentOut:
        """Comment or reply; @handles mention members."""
        target = self.load_target(db, ctx, ident)
        payload = {"body": data.body, "parent_id": data.parent_id, "paragraph": data.paragraph}
        once = begin_submission(db, request, ctx.user.id or 0, payload, idempotency_key)
        if once is not None and once.earlier is not None:
            db.rollback()
            comment = ops.load_comment(db, ctx, once.earlier.target_id)
        else:
            comment = ops.add_comment(db, ctx, target, payload, client_ip(request))
            remember_submission(db, once, comment.id)
            db.commit()
        return CommentOut(id=comment.id or 0, author_id=comment.author_id, author=ctx.user.display_name,
                          body=comment.body, paragraph=comment.paragraph, rev_no=comment.rev_no,
                          created_at=comment.created_at, resolved=False, replies=[])

    @post("/comments/{comment_id:int}/resolve", sync_to_thread=True, status_code=200, responses=WRITE)
    def resolve(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                comment_id: FromPath[int], data: JSONBody[ResolveIn]) -> list[CommentOut]:
        """Resolve or reopen a thread; answers with the threads."""
        target = self.load_target(db, ctx, ident)
        comment = ops.load_comment(db, ctx, comment_id)
        if comment.target_type != target.kind or comment.target_id != target.id:
            raise not_found()
        ops.set_resolved(db, ctx, target, comment, data.resolved, client_ip(request))
        db.commit()
        return [_comment_out(n) for n in comment_threads(db, target)]


class SectionTargetApi(_TargetApi):
    """/api/v1/groups/{slug}/sections/{id}/revisions, /diff, /comments."""

    path = "/api/v1/groups/{slug:str}/sections/{ident:int}"

    def load_target(self, db: Session, ctx: GroupContext, ident: int) -> Target:
        """The section with this id."""
        return section_target(db, ctx, ident)


class RecommendationTargetApi(_TargetApi):
    """/api/v1/groups/{slug}/recommendations/{number}/revisions, /diff, /comments."""

    path = "/api/v1/groups/{slug:str}/recommendations/{ident:int}"

    def load_target(self, db: Session, ctx: GroupContext, ident: int) -> Target:
        """The recommendation R-<ident>."""
        return recommendation_target(db, ctx, ident)
