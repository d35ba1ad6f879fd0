"""Pages for working groups: the dashboard, members, subgroups, and group creation by platform admins."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from wg.features.groups import operations as ops
from wg.features.groups.queries import pending_invitations, roster, roster_by_country, subgroups_with_people
from wg.features.report.loader import report_numbers
from wg.features.review.queries import review_board, subgroup_work
from wg.lib.deps import CurrentUser, DbSession, Group, form_ints, provide_group, provide_user
from wg.lib.errors import NotAllowed, ValidationFailed
from wg.lib.submissions import begin_submission, remember_submission
from wg.lib.web import AnyRequest, client_ip, render, see_other, settings_of
from wg.models import AttributionMode, ConsensusRule, Role
from wg.policy import Actor, can_create_group, can_manage_members, can_manage_subgroups

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
ROLES = [r.value for r in Role]


def _base(ctx: Group) -> dict[str, Any]:
    return {"group": ctx.group, "actor": ctx.actor, "membership": ctx.membership,
            "can_manage_members": can_manage_members(ctx.actor),
            "can_manage_subgroups": can_manage_subgroups(ctx.actor)}


class AdminPages(Controller):
    """Platform administration: creating working groups and naming their organizers."""

    path = "/admin"
    include_in_schema = False
    dependencies = {"user": Provide(provide_user, sync_to_thread=False)}

    @get("/groups/new", sync_to_thread=False)
    def new_group_page(self, request: AnyRequest, user: CurrentUser) -> Response[Any]:
        """The form for a new working group."""
        if not can_create_group(Actor(user_id=user.id, is_admin=user.is_admin)):
            raise NotAllowed("Only platform administrators create working groups.")
        return render(request, "groups/new_group.html", _new_group_context({"countries": "US, JP, KR"}, {}))

    @post("/groups", sync_to_thread=True)
    def create_group(self, request: AnyRequest, db: DbSession, user: CurrentUser, data: FormBody
                     ) -> Response[Any]:
        """Create the group; show the organizer's invitation link when they have no account yet."""
        actor = Actor(user_id=user.id, is_admin=user.is_admin)
        try:
            group, issued = ops.create_group(db, actor, settings_of(request), data, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "groups/new_group.html", _new_group_context(data, exc.errors), status_code=422)
        db.commit()
        if issued is None:
            return see_other(request, "/")
        link = f"{settings_of(request).base_url}/invite/{issued.token}"
        return render(request, "groups/group_created.html", {"new_group": group, "link": link,
                                                             "invitation": issued.invitation})


def _new_group_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "attribution_modes": [m.value for m in AttributionMode],
            "consensus_rules": [r.value for r in ConsensusRule]}


class GroupPages(Controller):
    """Everything under /g/{slug}: non-members get 404 for all of it."""

    path = "/g/{slug:str}"
    include_in_schema = False
    dependencies = {
        "user": Provide(provide_user, sync_to_thread=False),
        "ctx": Provide(provide_group, sync_to_thread=True),
    }

    @get("/", sync_to_thread=True)
    def dashboard(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """Subgroups and the roster by country."""
        entries = roster(db, ctx.group_id)
        board = review_board(db, ctx.group)
        return render(request, "groups/dashboard.html", {
            **_base(ctx), "subgroups": subgroups_with_people(db, ctx.group_id),
            "roster": roster_by_country(entries, ctx.group.countries), "member_count": len(entries),
            "board": board, "numbers": report_numbers(db, ctx.group, board)})

    @get("/members", sync_to_thread=True)
    def members_page(self, request: AnyRequest, db: DbSession, ctx: Group) -> Response[Any]:
        """The member list; organizers also see the invitation form and pending invitations."""
        return render(request, "groups/members.html", _members_context(db, ctx, {"role": "member"}, {}))

    @post("/members/invite", sync_to_thread=True)
    def invite(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody
               ) -> Response[Any]:
        """Invite someone; the one-time link is shown once, to the organizer."""
        try:
            once = begin_submission(db, request, ctx.user.id or 0, data)
            if once is not None and once.earlier is not None:  # the same form sent again: the same invitation
                reissued = ops.reissue_invitation(db, ctx, once.earlier.target_id)
                db.commit()
                context = _members_context(db, ctx, {"role": "member"}, {})
                if reissued is not None:
                    context["new_link"] = f"{settings_of(request).base_url}/invite/{reissued.token}"
                    context["new_invitation"] = reissued.invitation
                return render(request, "groups/members.html", context)
            issued = ops.invite_member(db, ctx, settings_of(request), data, client_ip(request))
            remember_submission(db, once, issued.invitation.id)
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "groups/members.html", _members_context(db, ctx, data, exc.errors),
                          status_code=422)
        db.commit()
        link = f"{settings_of(request).base_url}/invite/{issued.token}"
        context = _members_context(db, ctx, {"role": "member"}, {})
        context["new_link"] = link
        context["new_invitation"] = issued.invitation
        return render(request, "groups/members.html", context)

    @post("/members/{user_id:int}/role", sync_to_thread=True)
    def set_role(self, request: AnyRequest, db: DbSession, ctx: Group, user_id: FromPath[int],
                 data: FormBody) -> Response[Any]:
        """Change a member's role."""
        try:
            ops.change_role(db, ctx, user_id, str(data.get("role") or ""), client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "groups/members.html",
                          _members_context(db, ctx, {"role": "member"}, {f"role-{user_id}": exc.errors["role"]}),
                          status_code=422)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/members")

    @post("/members/{user_id:int}/remove", sync_to_thread=True)
    def remove(self, request: AnyRequest, db: DbSession, ctx: Group, user_id: FromPath[int]
               ) -> Response[Any]:
        """Remove a member from the group."""
        ops.remove_member(db, ctx, user_id, client_ip(request))
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/members")

    @get("/subgroups/new", sync_to_thread=False)
    def new_subgroup_page(self, request: AnyRequest, ctx: Group) -> Response[Any]:
        """The form for a new subgroup."""
        if not can_manage_subgroups(ctx.actor):
            raise NotAllowed("Only organizers create subgroups.")
        return render(request, "groups/subgroup_form.html", {**_base(ctx), "values": {}, "errors": {},
                                                             "subgroup": None})

    @post("/subgroups", sync_to_thread=True)
    def create_subgroup(self, request: AnyRequest, db: DbSession, ctx: Group, data: FormBody
                        ) -> Response[Any]:
        """Create a subgroup, then go to it to choose chairs and members."""
        try:
            once = begin_submission(db, request, ctx.user.id or 0, data)
            if once is not None and once.earlier is not None:  # the same form sent again: where the first went
                db.rollback()
                return see_other(request, once.earlier.location)
            subgroup = ops.create_subgroup(db, ctx, data, client_ip(request))
            location = f"/g/{ctx.group.slug}/subgroups/{subgroup.id}"
            remember_submission(db, once, subgroup.id, location)
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "groups/subgroup_form.html",
                          {**_base(ctx), "values": data, "errors": exc.errors, "subgroup": None}, status_code=422)
        db.commit()
        return see_other(request, location)

    @get("/subgroups/{subgroup_id:int}", sync_to_thread=True)
    def subgroup_page(self, request: AnyRequest, db: DbSession, ctx: Group, subgroup_id: FromPath[int]
                      ) -> Response[Any]:
        """A subgroup: mandate, chairs, members; organizers edit it here."""
        return render(request, "groups/subgroup.html", _subgroup_context(db, ctx, subgroup_id, None, {}))

    @post("/subgroups/{subgroup_id:int}", sync_to_thread=True)
    def update_subgroup(self, request: AnyRequest, db: DbSession, ctx: Group, subgroup_id: FromPath[int],
                        data: FormBody) -> Response[Any]:
        """Rename a subgroup or change its mandate."""
        subgroup = ops.get_subgroup(db, ctx, subgroup_id)
        try:
            ops.update_subgroup(db, ctx, subgroup, data, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "groups/subgroup.html", _subgroup_context(db, ctx, subgroup_id, data, exc.errors),
                          status_code=422)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/subgroups/{subgroup_id}")

    @post("/subgroups/{subgroup_id:int}/members", sync_to_thread=True)
    def set_subgroup_members(self, request: AnyRequest, db: DbSession, ctx: Group,
                             subgroup_id: FromPath[int], data: FormBody) -> Response[Any]:
        """Choose the subgroup's members and chairs."""
        subgroup = ops.get_subgroup(db, ctx, subgroup_id)
        members, chairs = form_ints(data, "members"), form_ints(data, "chairs")
        try:
            ops.set_subgroup_members(db, ctx, subgroup, members, chairs, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            context = _subgroup_context(db, ctx, subgroup_id, None, exc.errors)
            # The boxes stay as the organizer ticked them, so fixing the mistake does not mean ticking them again.
            context["member_ids"], context["chair_ids"] = set(members), set(chairs)
            return render(request, "groups/subgroup.html", context, status_code=422)
        db.commit()
        return see_other(request, f"/g/{ctx.group.slug}/subgroups/{subgroup_id}")


def _members_context(db: DbSession, ctx: Group, values: dict[str, Any], errors: dict[str, str]
                     ) -> dict[str, Any]:
    entries = roster(db, ctx.group_id)
    manage = can_manage_members(ctx.actor)
    return {**_base(ctx), "roster": entries, "values": values, "errors": errors, "roles": ROLES,
            "invitations": pending_invitations(db, ctx.group_id) if manage else []}


def _subgroup_context(db: DbSession, ctx: Group, subgroup_id: FromPath[int], values: dict[str, Any] | None,
                      errors: dict[str, str]) -> dict[str, Any]:
    subgroup = ops.get_subgroup(db, ctx, subgroup_id)
    view = next(v for v in subgroups_with_people(db, ctx.group_id) if v.subgroup.id == subgroup.id)
    board = review_board(db, ctx.group)
    return {**_base(ctx), "view": view, "subgroup": subgroup, "roster": roster(db, ctx.group_id),
            "work": subgroup_work(board, ctx.actor, ctx.user.id or 0, subgroup.id or 0),
            "numbers": report_numbers(db, ctx.group, board),
            "member_ids": {u.id for u in view.members}, "chair_ids": {u.id for u in view.chairs},
            "values": values or {"name": subgroup.name, "mandate": subgroup.mandate}, "errors": errors}
