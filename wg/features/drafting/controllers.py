"""Pages for drafting: the report outline, sections, recommendations, the editor, history, diffs and comments."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from sqlmodel import Session

from wg.features.drafting import operations as ops
from wg.features.drafting import presence as presence_ops
from wg.features.drafting.queries import (
    comment_counts,
    comment_threads,
    paragraph_comment_counts,
    report_outline,
    revisions_with_authors,
)
from wg.features.drafting.targets import (
    RECOMMENDATION,
    SECTION,
    Target,
    head_revision,
    recommendation_target,
    revision,
    section_target,
)
from wg.features.groups.context import GroupContext
from wg.features.groups.queries import roster, subgroups_with_people
from wg.features.report.loader import report_numbers
from wg.features.review.panels import review_panel_context, section_panel_context
from wg.features.review.queries import review_board
from wg.lib.deps import DbSession, Group, provide_group, provide_user
from wg.lib.errors import NotAllowed, ValidationFailed
from wg.lib.submissions import begin_submission, remember_submission
from wg.lib.web import AnyRequest, client_ip, is_htmx, render, see_other, settings_of
from wg.policy import (
    can_comment,
    can_create_section,
    can_draft,
    can_reorder_sections,
    can_resolve_comment,
)

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
#: What the editor counts characters against (the same limits ``operations`` enforces).
EDITOR_LIMITS = {"title": ops.MAX_TITLE, "text": ops.MAX_TEXT, "note": ops.MAX_NOTE}


def _base(ctx: GroupContext) -> dict[str, Any]:
    return {"group": ctx.group, "actor": ctx.actor, "membership": ctx.membership,
            "can_comment": can_comment(ctx.actor)}


def _target_context(db: DbSession, ctx: GroupContext, target: Target) -> dict[str, Any]:
    head = head_revision(db, target)
    threads = comment_threads(db, target)
    return {
        **_base(ctx), "target": target, "head": head, "base_url": f"/g/{ctx.group.slug}{target.url}",
        "can_draft": can_draft(ctx.actor, target.subgroup_id) and not target.withdrawn,
        "can_draft_any": can_draft(ctx.actor, target.subgroup_id),
        "threads": threads, "paragraph_counts": paragraph_comment_counts(threads),
        "mention_handles": {ops.mention_handle(e.user.display_name) for e in roster(db, ctx.group_id)},
        "mentions_url": f"/g/{ctx.group.slug}/mentions", "max_comment": ops.MAX_COMMENT,
        "can_resolve": lambda comment: can_resolve_comment(ctx.actor, comment.author_id, target.subgroup_id),
    }


def _editor_context(db: DbSession, ctx: GroupContext, target: Target | None, values: dict[str, Any],
                    errors: dict[str, str], action: str, kind: str, base_rev_no: int, heading: str
                    ) -> dict[str, Any]:
    return {**_base(ctx), "target": target, "values": values, "errors": errors, "action": action, "kind": kind,
            "base_rev_no": base_rev_no, "heading": heading, "targets": ops.target_options(ctx.group.countries),
            "subgroups": [v.subgroup for v in subgroups_with_people(db, ctx.group_id)
                          if can_create_section(ctx.actor, v.subgroup.id)],
            "autosave_key": _autosave_key(ctx, target, kind, action),
            "limits": EDITOR_LIMITS}


def _paragraph_choice(paragraph: str | None) -> dict[str, Any]:
    """The comment form's values when a ¶N link chose a paragraph (``?paragraph=N``); the form checks the range."""
    raw = (paragraph or "").strip()
    return {"comment_values": {"paragraph": raw}} if raw.isdigit() else {}


def _new_recommendation_context(db: Session, ctx: GroupContext, section: Target, values: dict[str, Any],
                                errors: dict[str, str]) -> dict[str, Any]:
    """The new-recommendation form, headed and breadcrumbed with the section it is for."""
    head = head_revision(db, section)
    title = head.title if head else section.label
    base = f"/g/{ctx.group.slug}"
    context = _editor_context(db, ctx, None, values, errors, f"{base}/sections/{section.id}/recommendations",
                              RECOMMENDATION, 0, f"New recommendation in “{title}”")
    context["breadcrumbs"] = [("Report", f"{base}/report"), (title, f"{base}{section.url}"),
                              ("New recommendation", "")]
    return context


def section_page_context(db: Session, ctx: GroupContext, target: Target) -> dict[str, Any]:
    """Everything the section page shows: text, recommendations with their review states, approval, comments."""
    board = review_board(db, ctx.group)
    section = board.section(target.id)
    assert section is not None
    return {
        **_target_context(db, ctx, target), "view": section.view,
        "comment_counts": comment_counts(db, ctx.group_id, RECOMMENDATION),
        "other_sections": [s.view for s in board.sections if s.view.section.id != target.id],
        "can_reorder_sections": can_reorder_sections(ctx.actor),
        "numbers": report_numbers(db, ctx.group, board),
        **section_panel_context(db, ctx, target, board),
    }


def recommendation_page_context(db: Session, ctx: GroupContext, target: Target) -> dict[str, Any]:
    """Everything the recommendation page shows: text, rationale, review, positions, comments."""
    board = review_board(db, ctx.group)
    return {
        **_target_context(db, ctx, target),
        "sections": [s.view for s in board.sections if can_draft(ctx.actor, s.view.section.subgroup_id)],
        "numbers": report_numbers(db, ctx.group, board),
        **review_panel_context(db, ctx, target, board),
    }


def _autosave_key(ctx: GroupContext, target: Target | None, kind: str, action: str) -> str:
    """The browser-side key under which unsaved typing is kept (a new item's key names its section)."""
    if target is not None:
        return f"{ctx.group.slug}:{target.kind}:{target.id}"
    where = action.rstrip("/").split("/")[-2] if kind == RECOMMENDATION else "group"
    return f"{ctx.group.slug}:new:{kind}:{where}"


def _presence_context(request: AnyRequest, db: Session, ctx: GroupContext, target: Target, base_rev_no: int
                      ) -> dict[str, Any]:
    """What the editor's presence line shows (reading only: the heartbeat itself is a POST)."""
    interval = settings_of(request).presence_interval
    return {"presence": presence_ops.presence(db, target, ctx.user.id or 0, base_rev_no, interval),
            "presence_interval": interval, "presence_url": f"/g/{ctx.group.slug}{target.url}/presence",
            "diff_url": f"/g/{ctx.group.slug}{target.url}/diff"}


def _draft_values(rev: Any) -> dict[str, Any]:
    return {"title": rev.title, "text": rev.text, "rationale": rev.rationale, "target": rev.target} if rev else {}


class DraftingPages(Controller):
    """Everything about drafting under /g/{slug}."""

    path = "/g/{slug:str}"
    include_in_schema = False
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @get("/report", sync_to_thread=True)
    def outline(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """The report as it stands: sections in order with their recommendations."""
        return render(request, "drafting/outline.html", {
            **_base(ctx), "outline": report_outline(db, ctx.group_id), "numbers": report_numbers(db, ctx.group),
            "comment_counts": comment_counts(db, ctx.group_id, RECOMMENDATION),
            "can_add_section": any(can_create_section(ctx.actor, s) for s in [None, *ctx.actor.chairs]),
            "can_reorder": can_reorder_sections(ctx.actor)})

    @post("/preview", sync_to_thread=False)
    def preview(self, request: AnyRequest, ctx: Group, data: FormBody) -> Response[Any]:
        """The live preview: the server's sanitised rendering of the Markdown being typed."""
        text = str(data.get("text") or "")[: ops.MAX_TEXT]
        return render(request, "drafting/_preview.html", {"text": text})

    @get("/mentions", sync_to_thread=True)
    def mention_roster(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """The group's members as ``@`` completes them in a comment: display name and handle, by name."""
        names = sorted((e.user.display_name for e in roster(db, ctx.group_id)), key=str.lower)
        people = [(name, ops.mention_handle(name)) for name in names]
        return Response(content={"members": [{"name": name, "handle": handle} for name, handle in people if handle]},
                        media_type=MediaType.JSON, headers={"Cache-Control": "private, no-store"})

    # --- sections -----------------------------------------------------------------------------------------

    @get("/sections/new", sync_to_thread=True)
    def new_section(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """The form for a new section."""
        if not any(can_create_section(ctx.actor, s) for s in [None, *ctx.actor.chairs]):
            raise NotAllowed("Only co-chairs, organizers and subgroup chairs add sections.")
        return render(request, "drafting/edit.html", _editor_context(
            db, ctx, None, {}, {}, f"/g/{ctx.group.slug}/sections", SECTION, 0, "New section"))

    @post("/sections", sync_to_thread=True)
    def create_section(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody) -> Response[Any]:
        """Create a section with its first revision."""
        try:
            once = begin_submission(db, request, ctx.user.id or 0, data)
            if once is not None and once.earlier is not None:  # the same form sent again: where the first went
                db.rollback()
                return see_other(request, once.earlier.location)
            section = ops.create_section(db, ctx, data, client_ip(request))
            location = f"/g/{ctx.group.slug}/sections/{section.id}?saved=1&created=1"
            remember_submission(db, once, section.id, location)
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "drafting/edit.html", _editor_context(
                db, ctx, None, data, exc.errors, f"/g/{ctx.group.slug}/sections", SECTION, 0, "New section"),
                status_code=422)
        db.commit()
        return see_other(request, location)

    @get("/sections/{section_id:int}", sync_to_thread=True)
    def section_page(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                     saved: FromQuery[int | None] = None, merged: FromQuery[int | None] = None,
                     created: FromQuery[int | None] = None, paragraph: FromQuery[str | None] = None
                     ) -> Response[Any]:
        """A section: its text, its recommendations, its comments (``?paragraph=N`` ties the new comment to ¶N)."""
        target = section_target(db, ctx, section_id)
        return render(request, "drafting/section.html", {
            **section_page_context(db, ctx, target), "saved": saved, "merged": merged, "created": created,
            **_paragraph_choice(paragraph)})

    @post("/sections/{section_id:int}/move", sync_to_thread=True)
    def move_section(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                     data: FormBody) -> Response[Any]:
        """Move a section up or down in the report."""
        target = section_target(db, ctx, section_id)
        ops.move_section(db, ctx, target.section, str(data.get("direction") or ""), client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/report#section-{section_id}")

    @get("/sections/{section_id:int}/recommendations/new", sync_to_thread=True)
    def new_recommendation(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int]
                           ) -> Response[Any]:
        """The form for a new recommendation in this section."""
        target = section_target(db, ctx, section_id)
        if not can_draft(ctx.actor, target.subgroup_id):
            raise NotAllowed("Only members of this subgroup, the co-chairs and organizers add recommendations.")
        return render(request, "drafting/edit.html", _new_recommendation_context(db, ctx, target, {}, {}))

    @post("/sections/{section_id:int}/recommendations", sync_to_thread=True)
    def create_recommendation(self, request: AnyRequest, db: DbSession, ctx: Group, section_id: FromPath[int],
                              data: FormBody) -> Response[Any]:
        """Create a recommendation with the group's next stable key."""
        target = section_target(db, ctx, section_id)
        try:
            once = begin_submission(db, request, ctx.user.id or 0, data)
            if once is not None and once.earlier is not None:  # the same form sent again: where the first went
                db.rollback()
                return see_other(request, once.earlier.location)
            rec = ops.create_recommendation(db, ctx, target.section, data, client_ip(request))
            location = f"/g/{ctx.group.slug}/r/{rec.number}?saved=1&created={section_id}"
            remember_submission(db, once, rec.id, location)
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "drafting/edit.html", _new_recommendation_context(db, ctx, target, data, exc.errors),
                          status_code=422)
        db.commit()
        return see_other(request, location)

    # --- recommendations ----------------------------------------------------------------------------------

    @get("/r/{number:int}", sync_to_thread=True)
    def recommendation_page(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
                            saved: FromQuery[int | None] = None, merged: FromQuery[int | None] = None,
                            created: FromQuery[int | None] = None, asked: FromQuery[int | None] = None,
                            paragraph: FromQuery[str | None] = None) -> Response[Any]:
        """A recommendation: its text, rationale, target and comments (``?paragraph=N`` as on a section)."""
        target = recommendation_target(db, ctx, number)
        return render(request, "drafting/recommendation.html", {
            **recommendation_page_context(db, ctx, target), "saved": saved, "merged": merged, "created": created,
            "reopen_asked": bool(asked), **_paragraph_choice(paragraph)})

    @post("/r/{number:int}/move", sync_to_thread=True)
    def move_recommendation(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int],
                            data: FormBody) -> Response[Any]:
        """Move up or down, or to another section; the key stays."""
        target = recommendation_target(db, ctx, number)
        raw = str(data.get("section_id") or "").strip()
        to_section = int(raw) if raw.isdigit() else None
        ops.move_recommendation(db, ctx, target, to_section, str(data.get("direction") or "") or None,
                                client_ip(request))
        db.commit()
        back = str(data.get("back") or "")
        if back == "section":
            return see_other(request, f"/g/{ctx.group.slug}/sections/{target.section.id}#r-{number}")
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}")

    @post("/r/{number:int}/withdraw", sync_to_thread=True)
    def withdraw(self, request: AnyRequest, db: DbSession, ctx: Group, number: FromPath[int], data: FormBody
                 ) -> Response[Any]:
        """Withdraw the recommendation (or reinstate it); nothing is deleted."""
        target = recommendation_target(db, ctx, number)
        ops.set_withdrawn(db, ctx, target, str(data.get("withdrawn") or "true") != "false", client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/r/{number}")


class _TargetPages(Controller):
    """Editing, history, diffs and comments: the same for sections and recommendations (see the subclasses)."""

    include_in_schema = False
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    def load_target(self, db: DbSession, ctx: GroupContext, ident: int) -> Target:
        """The section or recommendation named by the URL."""
        raise NotImplementedError


    @get("/edit", sync_to_thread=True)
    def edit(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int]
             ) -> Response[Any]:
        """The editor, filled with the current revision."""
        target = self.load_target(db, ctx, ident)
        ops.require_draft(ctx, target)
        head = head_revision(db, target)
        base_rev_no = head.rev_no if head else 0
        context = _editor_context(
            db, ctx, target, _draft_values(head), {}, f"/g/{ctx.group.slug}{target.url}/edit", target.kind,
            base_rev_no, f"Edit {target.label if target.recommendation else 'section'}")
        return render(request, "drafting/edit.html", {**context, **_presence_context(request, db, ctx, target,
                                                                                       base_rev_no)})

    @post("/presence", sync_to_thread=True)
    def presence(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                 data: FormBody) -> Response[Any]:
        """An open editor's heartbeat (htmx, every ``WG_PRESENCE_INTERVAL`` seconds): records it and answers with
        who else is editing and whether a revision was saved since the editor opened."""
        target = self.load_target(db, ctx, ident)
        ops.require_draft(ctx, target)
        raw_base = str(data.get("base_rev_no") or "0").strip()
        base_rev_no = int(raw_base) if raw_base.isdigit() and len(raw_base) < 10 else 0
        presence_ops.beat(db, target, ctx.user.id or 0, base_rev_no)
        db.commit()
        return render(request, "drafting/_presence_status.html",
                      _presence_context(request, db, ctx, target, base_rev_no))

    @post("/edit", sync_to_thread=True)
    def save(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
             data: FormBody) -> Response[Any]:
        """Save a revision; a stale save is merged when it can be, otherwise the conflict page keeps both texts."""
        target = self.load_target(db, ctx, ident)
        ops.require_draft(ctx, target)
        action = f"/g/{ctx.group.slug}{target.url}/edit"
        raw_base = str(data.get("base_rev_no") or "0").strip()
        base_rev_no = int(raw_base) if raw_base.isdigit() else -1
        heading = f"Edit {target.label if target.recommendation else 'section'}"
        try:
            draft = ops.read_draft(data, target.kind, ctx.group.countries)
            note = ops.read_note(data)

            def save_and_leave() -> ops.SaveOutcome:
                outcome = ops.save_revision(db, ctx, target, base_rev_no, draft, note, client_ip(request))
                if outcome.kind != "conflict":  # the next page is not the editor: others stop seeing this one
                    presence_ops.leave(db, target, ctx.user.id or 0)
                return outcome

            outcome = ops.commit_with_retry(db, save_and_leave)
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "drafting/edit.html", {
                **_editor_context(db, ctx, target, data, exc.errors, action, target.kind, max(base_rev_no, 0),
                                  heading),
                **_presence_context(request, db, ctx, target, max(base_rev_no, 0))}, status_code=422)
        page = f"/g/{ctx.group.slug}{target.url}"
        if outcome.kind == "conflict":
            current = outcome.current
            assert current is not None
            return render(request, "drafting/conflict.html", {
                **_base(ctx), "target": target, "current": current, "mine": outcome.mine, "action": action,
                "fields": outcome.conflicting_fields, "targets": ops.target_options(ctx.group.countries),
                "values": {"title": outcome.mine.title, "text": outcome.mine.text,
                           "rationale": outcome.mine.rationale, "target": outcome.mine.target, "note": note},
                "autosave_key": f"{ctx.group.slug}:{target.kind}:{target.id}", "base_rev_no": current.rev_no,
                "kind": target.kind, "page_url": page, "limits": EDITOR_LIMITS}, status_code=409)
        if outcome.kind == "unchanged":
            return see_other(request, f"{page}?saved=0")
        assert outcome.revision is not None
        suffix = f"&merged={outcome.revision.merged_rev_no}" if outcome.kind == "merged" else ""
        return see_other(request, f"{page}?saved={outcome.revision.rev_no}{suffix}")

    @get("/history", sync_to_thread=True)
    def history(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int]
                ) -> Response[Any]:
        """Every revision with its author and time; choose two to compare."""
        target = self.load_target(db, ctx, ident)
        return render(request, "drafting/history.html", {
            **_target_context(db, ctx, target), "revisions": revisions_with_authors(db, target)})

    @get("/diff", sync_to_thread=True)
    def diff(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
             from_rev: FromQuery[int] = 0, to_rev: FromQuery[int] = 0
             ) -> Response[Any]:
        """A word-level difference between two revisions, shown like tracked changes."""
        target = self.load_target(db, ctx, ident)
        head = head_revision(db, target)
        assert head is not None
        old = revision(db, target, from_rev or max(head.rev_no - 1, 1))
        new = revision(db, target, to_rev or head.rev_no)
        return render(request, "drafting/diff.html", {
            **_target_context(db, ctx, target), "old": old, "new": new,
            "changed": {f for f in ("title", "text", "rationale", "target") if getattr(old, f) != getattr(new, f)}})

    @post("/restore/{rev_no:int}", sync_to_thread=True)
    def restore(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                rev_no: FromPath[int]) -> Response[Any]:
        """Make an old revision current again, as a new revision."""
        target = self.load_target(db, ctx, ident)
        rev = ops.commit_with_retry(db, lambda: ops.restore_revision(db, ctx, target, rev_no, client_ip(request)))
        return see_other(request, f"/g/{ctx.group.slug}{target.url}?saved={rev.rev_no}")

    @post("/comments", sync_to_thread=True)
    def comment(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                data: FormBody) -> Response[Any]:
        """Add a comment or a reply."""
        target = self.load_target(db, ctx, ident)
        try:
            once = begin_submission(db, request, ctx.user.id or 0, data)
            if once is not None and once.earlier is not None:  # the same comment sent again: answer as the first
                db.rollback()
                if is_htmx(request):
                    return render(request, "drafting/_comments.html", _target_context(db, ctx, target))
                return see_other(request, once.earlier.location)
            comment = ops.add_comment(db, ctx, target, data, client_ip(request))
            remember_submission(db, once, comment.id, f"/g/{ctx.group.slug}{target.url}#comment-{comment.id}")
        except ValidationFailed as exc:
            db.rollback()
            context = {**_target_context(db, ctx, target), "comment_errors": exc.errors, "comment_values": data}
            page = section_page_context if target.kind == SECTION else recommendation_page_context
            if is_htmx(request):
                return render(request, "drafting/_comments.html", context)
            template = "drafting/section.html" if target.kind == SECTION else "drafting/recommendation.html"
            context = {**page(db, ctx, target), "comment_errors": exc.errors, "comment_values": data}
            return render(request, template, context, status_code=422)
        db.commit()
        if is_htmx(request):
            return render(request, "drafting/_comments.html", {
                **_target_context(db, ctx, target), "oob_paragraph_counts": True})
        return see_other(request, f"/g/{ctx.group.slug}{target.url}#comment-{comment.id}")

    @post("/comments/{comment_id:int}/resolve", sync_to_thread=True)
    def resolve(self, request: AnyRequest, db: DbSession, ctx: Group, ident: FromPath[int],
                comment_id: FromPath[int], data: FormBody) -> Response[Any]:
        """Resolve or reopen a comment thread."""
        target = self.load_target(db, ctx, ident)
        comment = ops.load_comment(db, ctx, comment_id)
        if comment.target_type != target.kind or comment.target_id != target.id:
            raise NotAllowed("That comment belongs elsewhere.")
        ops.set_resolved(db, ctx, target, comment, str(data.get("resolved") or "true") != "false",
                         client_ip(request))
        db.commit()
        if is_htmx(request):
            return render(request, "drafting/_comments.html", _target_context(db, ctx, target))
        return see_other(request, f"/g/{ctx.group.slug}{target.url}#comment-{comment.id}")


class SectionTargetPages(_TargetPages):
    """/g/{slug}/sections/{id}/edit, /history, /diff, /restore, /comments."""

    path = "/g/{slug:str}/sections/{ident:int}"

    def load_target(self, db: DbSession, ctx: GroupContext, ident: int) -> Target:
        """The section with this id."""
        return section_target(db, ctx, ident)


class RecommendationTargetPages(_TargetPages):
    """/g/{slug}/r/{number}/edit, /history, /diff, /restore, /comments."""

    path = "/g/{slug:str}/r/{ident:int}"

    def load_target(self, db: DbSession, ctx: GroupContext, ident: int) -> Target:
        """The recommendation R-<ident>."""
        return recommendation_target(db, ctx, ident)

