"""JSON API under /api/v1 for sessions, groups, members and subgroups: the same operations and policy as the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlmodel import select

from wg.features.accounts import operations as account_ops
from wg.features.accounts.middleware import set_session_cookie
from wg.features.accounts.sessions import csrf_token, end_session, session_id_for
from wg.features.groups import operations as ops
from wg.features.groups.queries import groups_for_user, roster, subgroups_with_people
from wg.lib.deps import CurrentUser, DbSession, Group, provide_group, provide_user
from wg.lib.errors import ValidationFailed
from wg.lib.ids import DbInt
from wg.lib.openapi import READ, WRITE, api_errors
from wg.lib.submissions import IdempotencyKey, begin_submission, remember_submission
from wg.lib.web import AnyRequest, auth_state, client_ip, csrf_for, settings_of
from wg.models import Membership, User, WorkingGroup
from wg.policy import Actor
from wg.settings import Settings


@dataclass
class LoginIn:
    """Credentials."""

    email: str
    password: str


@dataclass
class SessionOut:
    """Who is logged in, and the CSRF token to send as ``x-csrftoken`` on every change."""

    authenticated: bool
    csrf_token: str
    user_id: int | None = None


@dataclass
class UserOut:
    """A person as other members see them."""

    id: int
    display_name: str
    native_name: str
    country: str
    affiliation: str
    sector: str


@dataclass
class MeOut(UserOut):
    """The logged-in user, with private fields."""

    email: str = ""
    time_zone: str = "UTC"
    is_admin: bool = False


@dataclass
class GroupOut:
    """A working group."""

    slug: str
    name: str
    host_organisation: str
    countries: list[str]
    attribution_mode: str
    consensus_rule: str
    state: str
    my_role: str | None = None


@dataclass
class GroupCreateIn:
    """A new working group and its first organizer."""

    name: str
    slug: str
    countries: list[str]
    organizer_email: str
    organizer_name: str = ""
    host_organisation: str = ""
    attribution_mode: str = "none"
    consensus_rule: str = "each-country"


@dataclass
class GroupCreatedOut:
    """The new group, and the organizer's invitation link when they had no account."""

    group: GroupOut
    organizer_invitation_link: str | None = None


@dataclass
class MemberOut:
    """A member of a group."""

    user: UserOut
    role: str
    listed_in_report: bool


@dataclass
class InvitationIn:
    """Whom to invite, and in which role."""

    email: str
    display_name: str
    country: str
    role: str = "member"


@dataclass
class InvitationOut:
    """A one-time invitation link (shown once)."""

    id: int
    email: str
    role: str
    link: str
    expires_at: dt.datetime


@dataclass
class RoleIn:
    """A new role."""

    role: str


@dataclass
class SubgroupIn:
    """A subgroup's name and mandate."""

    name: str
    mandate: str = ""


@dataclass
class SubgroupMembersIn:
    """The complete list of a subgroup's members and chairs (chairs are members too)."""

    members: list[DbInt]
    chairs: list[DbInt]


@dataclass
class SubgroupOut:
    """A subgroup with its people."""

    id: int
    name: str
    mandate: str
    chairs: list[UserOut]
    members: list[UserOut]


def user_out(user: CurrentUser) -> UserOut:
    """The public fields of a user."""
    return UserOut(id=user.id or 0, display_name=user.display_name, native_name=user.native_name,
                   country=user.country, affiliation=user.affiliation, sector=user.sector)


def group_out(group: WorkingGroup, role: str | None) -> GroupOut:
    """A group as the API shows it."""
    return GroupOut(slug=group.slug, name=group.name, host_organisation=group.host_organisation,
                    countries=list(group.countries), attribution_mode=group.attribution_mode,
                    consensus_rule=group.consensus_rule, state=group.state, my_role=role)


def _invitation_out(settings: Settings, issued: ops.InvitationIssued) -> InvitationOut:
    inv = issued.invitation
    return InvitationOut(id=inv.id or 0, email=inv.email, role=inv.role,
                         link=f"{settings.base_url}/invite/{issued.token}", expires_at=inv.expires_at)


def _role(ctx: Group) -> str | None:
    membership: Membership | None = ctx.membership
    return membership.role if membership else None


class SessionApi(Controller):
    """Log in and out from scripts; GET gives the CSRF token for later requests."""

    path = "/api/v1/session"
    tags = ["session"]

    @get("/", sync_to_thread=False)
    def show(self, request: AnyRequest) -> SessionOut:
        """Whether this client is logged in, and its CSRF token."""
        state = auth_state(request)
        return SessionOut(authenticated=state.user is not None, csrf_token=csrf_for(request),
                          user_id=state.user.id if state.user else None)

    @post("/", sync_to_thread=True, status_code=200, responses={
        **api_errors(403, 422),
        401: ResponseSpec(data_container=SessionOut, generate_examples=False,
                          description="Refused: wrong e-mail address or password (the x-wg-error header says why)"),
        429: ResponseSpec(data_container=SessionOut, generate_examples=False,
                          description="Refused unchecked: too many failed logins from this address; try again after "
                                      "Retry-After seconds (x-wg-error says so)")})
    def login(self, request: AnyRequest, db: DbSession, data: JSONBody[LoginIn]) -> Response[SessionOut]:
        """Log in; the answer sets a new session cookie and carries the new CSRF token."""
        settings = settings_of(request)
        try:
            user, token = account_ops.log_in(db, settings, data.email, data.password, client_ip(request))
        except account_ops.LoginRefused as refused:
            db.commit()
            headers = {"x-wg-error": str(refused)}
            if isinstance(refused, account_ops.LoginThrottled):
                headers["retry-after"] = str(refused.retry_after)
            return Response(SessionOut(authenticated=False, csrf_token=csrf_for(request)),
                            status_code=429 if "retry-after" in headers else 401, headers=headers)
        end_session(db, auth_state(request).session_id)
        db.commit()
        new_csrf = csrf_token(settings.secret_key, auth_state(request).csrf_seed, session_id_for(token))
        response = Response(SessionOut(authenticated=True, csrf_token=new_csrf, user_id=user.id), status_code=200)
        set_session_cookie(response, settings, token)
        return response

    @delete("/", sync_to_thread=True, status_code=204, responses=api_errors(403, no_content=204),
            opt={"ends_session": True})
    def logout(self, request: AnyRequest, db: DbSession) -> Response[None]:
        """Log out: the session is deleted on the server."""
        end_session(db, auth_state(request).session_id)
        db.commit()
        response: Response[None] = Response(None, status_code=204)
        set_session_cookie(response, settings_of(request), None)
        return response


class GroupApi(Controller):
    """Groups, members and subgroups."""

    path = "/api/v1"
    tags = ["groups"]
    dependencies = {"user": Provide(provide_user, sync_to_thread=False)}

    @get("/me", sync_to_thread=False, responses=api_errors(401))
    def me(self, user: CurrentUser) -> MeOut:
        """The logged-in user."""
        base = asdict(user_out(user))
        return MeOut(**base, email=user.email, time_zone=user.time_zone, is_admin=user.is_admin)

    @get("/groups", sync_to_thread=True, responses=api_errors(401))
    def list_groups(self, db: DbSession, user: CurrentUser) -> list[GroupOut]:
        """The groups the user belongs to."""
        return [group_out(g, role) for g, role in groups_for_user(db, user)]

    @post("/groups", sync_to_thread=True, status_code=201, responses=api_errors(401, 403, 422))
    def create_group(self, request: AnyRequest, db: DbSession, user: CurrentUser, data: JSONBody[GroupCreateIn]
                     ) -> GroupCreatedOut:
        """Create a group (platform admins only)."""
        group, issued = ops.create_group(db, Actor(user_id=user.id, is_admin=user.is_admin), settings_of(request),
                                         asdict(data), client_ip(request))
        db.commit()
        link = _invitation_out(settings_of(request), issued).link if issued else None
        # my_role is the caller's: an admin who names someone else as organizer is not a member of the new group.
        role = db.exec(select(Membership.role).where(Membership.group_id == group.id,
                                                     Membership.user_id == user.id)).first()
        return GroupCreatedOut(group=group_out(group, role), organizer_invitation_link=link)

    @get("/groups/{slug:str}", sync_to_thread=True, responses=READ,
         dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def get_group(self, ctx: Group) -> GroupOut:
        """One group (404 for non-members)."""
        return group_out(ctx.group, _role(ctx))

    @get("/groups/{slug:str}/members", sync_to_thread=True, responses=READ,
         dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def list_members(self, db: DbSession, ctx: Group) -> list[MemberOut]:
        """The roster."""
        return [MemberOut(user=user_out(e.user), role=e.role, listed_in_report=e.listed_in_report)
                for e in roster(db, ctx.group_id)]

    @post("/groups/{slug:str}/invitations", sync_to_thread=True, status_code=201, responses=WRITE,
          dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def invite(self, request: AnyRequest, db: DbSession, ctx: Group, data: JSONBody[InvitationIn],
               idempotency_key: IdempotencyKey = None) -> InvitationOut:
        """Invite a member (organizers). Sent again with the same ``Idempotency-Key``: the same invitation, with a
        new link (the first link stops working), while it is unused."""
        once = begin_submission(db, request, ctx.user.id or 0, asdict(data), idempotency_key)
        if once is not None and once.earlier is not None:
            issued = ops.reissue_invitation(db, ctx, once.earlier.target_id)
            if issued is None:
                raise ValidationFailed({"Idempotency-Key": "The invitation made with this key has been used."})
        else:
            issued = ops.invite_member(db, ctx, settings_of(request), asdict(data), client_ip(request))
            remember_submission(db, once, issued.invitation.id)
        db.commit()
        return _invitation_out(settings_of(request), issued)

    @patch("/groups/{slug:str}/members/{user_id:int}", sync_to_thread=True, responses=WRITE,
           dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def set_role(self, request: AnyRequest, db: DbSession, ctx: Group, user_id: FromPath[int], data: JSONBody[RoleIn]
                 ) -> MemberOut:
        """Change a member's role (organizers)."""
        membership = ops.change_role(db, ctx, user_id, data.role, client_ip(request))
        db.commit()
        user = db.get(User, user_id)
        assert user is not None
        return MemberOut(user=user_out(user), role=membership.role, listed_in_report=membership.listed_in_report)

    @delete("/groups/{slug:str}/members/{user_id:int}", sync_to_thread=True, status_code=204,
            responses=api_errors(401, 403, 404), dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def remove_member(self, request: AnyRequest, db: DbSession, ctx: Group, user_id: FromPath[int]) -> None:
        """Remove a member (organizers)."""
        ops.remove_member(db, ctx, user_id, client_ip(request))
        db.commit()

    @get("/groups/{slug:str}/subgroups", sync_to_thread=True, responses=READ,
         dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def list_subgroups(self, db: DbSession, ctx: Group) -> list[SubgroupOut]:
        """Every subgroup with chairs and members."""
        return [_subgroup_out(v) for v in subgroups_with_people(db, ctx.group_id)]

    @post("/groups/{slug:str}/subgroups", sync_to_thread=True, status_code=201, responses=WRITE,
          dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def create_subgroup(self, request: AnyRequest, db: DbSession, ctx: Group, data: JSONBody[SubgroupIn],
                        idempotency_key: IdempotencyKey = None) -> SubgroupOut:
        """Create a subgroup (organizers)."""
        once = begin_submission(db, request, ctx.user.id or 0, asdict(data), idempotency_key)
        if once is not None and once.earlier is not None:
            db.rollback()
            return _one_subgroup(db, ctx, once.earlier.target_id)
        subgroup = ops.create_subgroup(db, ctx, asdict(data), client_ip(request))
        remember_submission(db, once, subgroup.id)
        db.commit()
        return _one_subgroup(db, ctx, subgroup.id or 0)

    @get("/groups/{slug:str}/subgroups/{subgroup_id:int}", sync_to_thread=True, responses=READ,
         dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def get_subgroup(self, db: DbSession, ctx: Group, subgroup_id: FromPath[int]) -> SubgroupOut:
        """One subgroup."""
        return _one_subgroup(db, ctx, subgroup_id)

    @patch("/groups/{slug:str}/subgroups/{subgroup_id:int}", sync_to_thread=True, responses=WRITE,
           dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def update_subgroup(self, request: AnyRequest, db: DbSession, ctx: Group, subgroup_id: FromPath[int],
                        data: JSONBody[SubgroupIn]) -> SubgroupOut:
        """Rename a subgroup or change its mandate (organizers)."""
        ops.update_subgroup(db, ctx, ops.get_subgroup(db, ctx, subgroup_id), asdict(data), client_ip(request))
        db.commit()
        return _one_subgroup(db, ctx, subgroup_id)

    @put("/groups/{slug:str}/subgroups/{subgroup_id:int}/members", sync_to_thread=True, responses=WRITE,
         dependencies={"ctx": Provide(provide_group, sync_to_thread=True)})
    def set_subgroup_members(self, request: AnyRequest, db: DbSession, ctx: Group,
                             subgroup_id: FromPath[int], data: JSONBody[SubgroupMembersIn]) -> SubgroupOut:
        """Replace a subgroup's members and chairs (organizers)."""
        ops.set_subgroup_members(db, ctx, ops.get_subgroup(db, ctx, subgroup_id), data.members, data.chairs,
                                 client_ip(request))
        db.commit()
        return _one_subgroup(db, ctx, subgroup_id)


def _subgroup_out(view: Any) -> SubgroupOut:
    s = view.subgroup
    return SubgroupOut(id=s.id or 0, name=s.name, mandate=s.mandate, chairs=[user_out(u) for u in view.chairs],
                       members=[user_out(u) for u in view.members])


def _one_subgroup(db: DbSession, ctx: Group, subgroup_id: FromPath[int]) -> SubgroupOut:
    subgroup = ops.get_subgroup(db, ctx, subgroup_id)
    view = next(v for v in subgroups_with_people(db, ctx.group_id) if v.subgroup.id == subgroup.id)
    return _subgroup_out(view)

