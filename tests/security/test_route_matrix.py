"""Every route the app registers × every kind of visitor: one table of the status each must get.

Group A is the demo group; group B is a copy of it with other people (see ``matrix_support``). Path parameters
are filled with real ids of group A's objects, state-changing requests carry a valid CSRF token and a valid body,
and before each request the object is put in the state the route needs (a recommendation submitted before a
decision, …), so a refusal in this table is the authorization rules speaking, not a missing object, a stale form
or CSRF. ``LOGIN`` is the answer a page gives a visitor who is not logged in: 303 to ``/login?next=…``.

A route without a row, or a row for a route that is gone, fails ``test_every_route_has_exactly_one_row``. A member
of group B must get 404 on every URL inside group A, and learns nothing either from OPTIONS (Litestar's own answer,
so those routes have no rows) or from a state-changing request with an empty body: both answer exactly as for a
group that does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from tests.security.matrix_support import (
    EMAILS,
    ROLES,
    SUBGROUP,
    Browser,
    World,
    add_review_event,
    add_section_revision,
    build_world,
    fill,
    head_rev,
    new_invitation,
    open_browser,
    standing_in_a,
)
from wg.app import create_app
from wg.db import Database
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import find_user_by_email
from wg.models import Export, SubgroupMember
from wg.settings import Settings, load_settings

LOGIN = "login"  # a page's answer to a visitor who is not logged in: 303 to /login?next=<the page>
Status = int | str


def row(anonymous: Status, member_b: Status, member: Status, subgroup_chair: Status, co_chair: Status,
        organizer: Status, observer: Status, admin: Status) -> dict[str, Status]:
    """One row of the table, in the order of ``ROLES``."""
    return dict(zip(ROLES, (anonymous, member_b, member, subgroup_chair, co_chair, organizer, observer, admin),
                    strict=True))


def page(member: Status, subgroup_chair: Status, co_chair: Status, organizer: Status, observer: Status
         ) -> dict[str, Status]:
    """A page inside group A: visitors are sent to log in; members of B and platform admins find nothing."""
    return row(LOGIN, 404, member, subgroup_chair, co_chair, organizer, observer, 404)


def api(member: Status, subgroup_chair: Status, co_chair: Status, organizer: Status, observer: Status
        ) -> dict[str, Status]:
    """An API route inside group A: 401 without a session; members of B and platform admins find nothing."""
    return row(401, 404, member, subgroup_chair, co_chair, organizer, observer, 404)


def everyone(status: Status) -> dict[str, Status]:
    """The same answer for every visitor."""
    return row(*(status,) * len(ROLES))


def signed_in(status: Status, anonymous: Status) -> dict[str, Status]:
    """Anyone logged in gets ``status``; a visitor gets ``anonymous``."""
    return row(anonymous, *(status,) * (len(ROLES) - 1))


def admin_only(status: Status, anonymous: Status) -> dict[str, Status]:
    """Platform administration: admins only (403 for everyone else logged in)."""
    return row(anonymous, 403, 403, 403, 403, 403, 403, status)


G = "/g/{slug:str}"
A = "/api/v1/groups/{slug:str}"
SEC = "/sections/{ident:int}"
REC = "/recommendations/{ident:int}"

#                               member  chair  co-chair organizer observer
READ_PAGE = page(200, 200, 200, 200, 200)
READ_API = api(200, 200, 200, 200, 200)

# (method, route) → {role: status}.  Roles: anonymous, member of group B, member of A (haruka.sato, in the
# subgroup "Domestic constraints"), that subgroup's chair (maya.chen), co-chair, organizer, observer, platform admin.
# Drafting routes act on a section and recommendations of that subgroup.
MATRIX: dict[tuple[str, str], dict[str, Status]] = {
    # --- outside any group -------------------------------------------------------------------------------------
    ("GET", "/"): signed_in(200, anonymous=303),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/schema"): everyone(200),
    ("GET", "/schema/openapi.json"): everyone(200),
    ("GET", "/schema/{path:str}"): everyone(404),
    ("GET", "/static/{file_path:path}"): everyone(200),
    ("HEAD", "/static/{file_path:path}"): everyone(200),
    ("GET", "/login"): signed_in(303, anonymous=200),
    ("POST", "/login"): everyone(303),
    ("POST", "/logout"): everyone(303),
    ("GET", "/profile"): signed_in(200, anonymous=LOGIN),
    ("POST", "/profile"): signed_in(303, anonymous=LOGIN),
    ("POST", "/profile/password"): signed_in(303, anonymous=LOGIN),
    ("GET", "/inbox"): signed_in(200, anonymous=LOGIN),
    ("POST", "/inbox/read"): signed_in(303, anonymous=LOGIN),
    # An invitation link is its own credential: whoever holds it may open it and accept it (as the invited person).
    ("GET", "/invite/{token:str}"): everyone(200),
    ("POST", "/invite/{token:str}"): everyone(303),
    ("GET", "/admin/groups/new"): admin_only(200, anonymous=LOGIN),
    ("POST", "/admin/groups"): admin_only(303, anonymous=LOGIN),
    ("GET", "/api/v1/session"): everyone(200),
    ("POST", "/api/v1/session"): everyone(200),
    ("DELETE", "/api/v1/session"): everyone(204),
    ("GET", "/api/v1/me"): signed_in(200, anonymous=401),
    ("GET", "/api/v1/groups"): signed_in(200, anonymous=401),
    ("POST", "/api/v1/groups"): admin_only(201, anonymous=401),
    ("GET", "/api/v1/inbox"): signed_in(200, anonymous=401),
    ("POST", "/api/v1/inbox/read"): signed_in(204, anonymous=401),
    # --- group pages: dashboard, members, subgroups ------------------------------------------------------------
    #                                                          member  chair  co-chair organizer observer
    ("GET", G): READ_PAGE,
    ("GET", G + "/members"): READ_PAGE,
    ("POST", G + "/members/invite"): page(403, 403, 403, 200, 403),
    ("POST", G + "/members/{user_id:int}/role"): page(403, 403, 403, 303, 403),
    ("POST", G + "/members/{user_id:int}/remove"): page(403, 403, 403, 303, 403),
    ("GET", G + "/subgroups/new"): page(403, 403, 403, 200, 403),
    ("POST", G + "/subgroups"): page(403, 403, 403, 303, 403),
    ("GET", G + "/subgroups/{subgroup_id:int}"): READ_PAGE,
    ("POST", G + "/subgroups/{subgroup_id:int}"): page(403, 403, 403, 303, 403),
    ("POST", G + "/subgroups/{subgroup_id:int}/members"): page(403, 403, 403, 303, 403),
    # --- drafting pages ----------------------------------------------------------------------------------------
    ("GET", G + "/report"): READ_PAGE,
    ("POST", G + "/preview"): page(200, 200, 200, 200, 200),
    ("GET", G + "/mentions"): READ_PAGE,
    ("GET", G + "/sections/new"): page(403, 200, 200, 200, 403),
    ("POST", G + "/sections"): page(403, 303, 303, 303, 403),
    ("GET", G + "/sections/{section_id:int}"): READ_PAGE,
    ("POST", G + "/sections/{section_id:int}/move"): page(403, 403, 303, 303, 403),
    ("GET", G + "/sections/{section_id:int}/recommendations/new"): page(200, 200, 200, 200, 403),
    ("POST", G + "/sections/{section_id:int}/recommendations"): page(303, 303, 303, 303, 403),
    ("GET", G + "/sections/{ident:int}/edit"): page(200, 200, 200, 200, 403),
    ("POST", G + "/sections/{ident:int}/edit"): page(303, 303, 303, 303, 403),
    ("POST", G + "/sections/{ident:int}/presence"): page(200, 200, 200, 200, 403),  # the editor's heartbeat
    ("GET", G + "/sections/{ident:int}/history"): READ_PAGE,
    ("GET", G + "/sections/{ident:int}/diff"): READ_PAGE,
    ("POST", G + "/sections/{ident:int}/restore/{rev_no:int}"): page(303, 303, 303, 303, 403),
    ("POST", G + "/sections/{ident:int}/comments"): page(303, 303, 303, 303, 403),
    ("POST", G + "/sections/{ident:int}/comments/{comment_id:int}/resolve"): page(403, 303, 303, 303, 403),
    ("GET", G + "/r/{number:int}"): READ_PAGE,
    ("POST", G + "/r/{number:int}/move"): page(303, 303, 303, 303, 403),
    ("POST", G + "/r/{number:int}/withdraw"): page(303, 303, 303, 303, 403),
    ("GET", G + "/r/{ident:int}/edit"): page(200, 200, 200, 200, 403),
    ("POST", G + "/r/{ident:int}/edit"): page(303, 303, 303, 303, 403),
    ("POST", G + "/r/{ident:int}/presence"): page(200, 200, 200, 200, 403),
    ("GET", G + "/r/{ident:int}/history"): READ_PAGE,
    ("GET", G + "/r/{ident:int}/diff"): READ_PAGE,
    ("POST", G + "/r/{ident:int}/restore/{rev_no:int}"): page(303, 303, 303, 303, 403),
    ("POST", G + "/r/{ident:int}/comments"): page(303, 303, 303, 303, 403),
    ("POST", G + "/r/{ident:int}/comments/{comment_id:int}/resolve"): page(403, 303, 303, 303, 403),
    # --- review pages ------------------------------------------------------------------------------------------
    ("POST", G + "/r/{number:int}/submit"): page(303, 303, 303, 303, 403),
    ("POST", G + "/r/{number:int}/decision"): page(403, 303, 303, 403, 403),
    ("POST", G + "/r/{number:int}/position"): page(303, 303, 303, 403, 403),
    # An approved item: signatories ask to reopen it; its subgroup's chair and the co-chairs reopen it.
    ("POST", G + "/r/{number:int}/reopen-request"): page(303, 303, 303, 403, 403),
    ("POST", G + "/r/{number:int}/reopen"): page(403, 303, 303, 403, 403),
    ("POST", G + "/sections/{section_id:int}/approve"): page(403, 303, 303, 403, 403),
    ("GET", G + "/queue"): page(403, 200, 200, 403, 403),
    ("GET", G + "/audit"): page(403, 403, 403, 200, 403),
    # --- report pages ------------------------------------------------------------------------------------------
    ("GET", G + "/exports"): READ_PAGE,
    ("POST", G + "/exports"): page(403, 403, 303, 303, 403),
    ("GET", G + "/exports/{export_id:int}/file"): READ_PAGE,
    ("GET", G + "/report/settings"): page(403, 403, 403, 200, 403),
    ("POST", G + "/report/settings"): page(403, 403, 403, 303, 403),
    ("POST", G + "/report/finalise"): page(403, 403, 403, 303, 403),
    # --- API: groups, members, subgroups -----------------------------------------------------------------------
    #                                                          member  chair  co-chair organizer observer
    ("GET", A): READ_API,
    ("GET", A + "/members"): READ_API,
    ("POST", A + "/invitations"): api(403, 403, 403, 201, 403),
    ("PATCH", A + "/members/{user_id:int}"): api(403, 403, 403, 200, 403),
    ("DELETE", A + "/members/{user_id:int}"): api(403, 403, 403, 204, 403),
    ("GET", A + "/subgroups"): READ_API,
    ("POST", A + "/subgroups"): api(403, 403, 403, 201, 403),
    ("GET", A + "/subgroups/{subgroup_id:int}"): READ_API,
    ("PATCH", A + "/subgroups/{subgroup_id:int}"): api(403, 403, 403, 200, 403),
    ("PUT", A + "/subgroups/{subgroup_id:int}/members"): api(403, 403, 403, 200, 403),
    # --- API: drafting -----------------------------------------------------------------------------------------
    ("POST", A + "/preview"): api(200, 200, 200, 200, 200),
    ("GET", A + "/sections"): READ_API,
    ("POST", A + "/sections"): api(403, 201, 201, 201, 403),
    ("GET", A + "/sections/{section_id:int}"): READ_API,
    ("POST", A + "/sections/{section_id:int}/recommendations"): api(201, 201, 201, 201, 403),
    ("GET", A + SEC + "/revisions"): READ_API,
    ("POST", A + SEC + "/revisions"): api(201, 201, 201, 201, 403),
    ("GET", A + SEC + "/revisions/{rev_no:int}"): READ_API,
    ("POST", A + SEC + "/revisions/{rev_no:int}/restore"): api(201, 201, 201, 201, 403),
    ("GET", A + SEC + "/diff"): READ_API,
    ("GET", A + SEC + "/comments"): READ_API,
    ("POST", A + SEC + "/comments"): api(201, 201, 201, 201, 403),
    ("POST", A + SEC + "/comments/{comment_id:int}/resolve"): api(403, 200, 200, 200, 403),
    ("GET", A + "/recommendations/{number:int}"): READ_API,
    ("POST", A + "/recommendations/{number:int}/move"): api(200, 200, 200, 200, 403),
    ("POST", A + "/recommendations/{number:int}/withdraw"): api(200, 200, 200, 200, 403),
    ("GET", A + REC + "/revisions"): READ_API,
    ("POST", A + REC + "/revisions"): api(201, 201, 201, 201, 403),
    ("GET", A + REC + "/revisions/{rev_no:int}"): READ_API,
    ("POST", A + REC + "/revisions/{rev_no:int}/restore"): api(201, 201, 201, 201, 403),
    ("GET", A + REC + "/diff"): READ_API,
    ("GET", A + REC + "/comments"): READ_API,
    ("POST", A + REC + "/comments"): api(201, 201, 201, 201, 403),
    ("POST", A + REC + "/comments/{comment_id:int}/resolve"): api(403, 200, 200, 200, 403),
    ("GET", A + "/comments/{comment_id:int}"): READ_API,
    # --- API: review -------------------------------------------------------------------------------------------
    ("GET", A + "/review"): READ_API,
    ("GET", A + "/exports"): READ_API,
    ("GET", A + "/exports/{export_id:int}"): READ_API,
    ("GET", A + "/recommendations/{number:int}/review"): READ_API,
    ("POST", A + "/recommendations/{number:int}/submit"): api(200, 200, 200, 200, 403),
    ("POST", A + "/recommendations/{number:int}/decisions"): api(403, 200, 200, 403, 403),
    ("PUT", A + "/recommendations/{number:int}/positions/me"): api(200, 200, 200, 403, 403),
    ("POST", A + "/recommendations/{number:int}/reopen-requests"): api(202, 202, 202, 403, 403),
    ("POST", A + "/recommendations/{number:int}/reopen"): api(403, 200, 200, 403, 403),
    ("POST", A + "/sections/{section_id:int}/approve"): api(403, 200, 200, 403, 403),
    ("GET", A + "/queue"): api(403, 200, 200, 403, 403),
    ("GET", A + "/audit"): api(403, 403, 403, 200, 403),
}

# Litestar answers OPTIONS for every path itself (no handler of ours, no data): those routes need no rows.
UNLISTED_METHODS = {"OPTIONS"}


# --- the requests --------------------------------------------------------------------------------------------------


@dataclass
class Req:
    """One request of the matrix: where, with what body, and whether it needs a browser of its own."""

    url: str
    form: dict[str, Any] | None = None
    json: Any = None
    # Sent from a new browser of the same role: the request ends or replaces the session (login, logout,
    # accepting an invitation, changing the password), which the role's main browser must keep.
    fresh: bool = False


def path_values(w: World, template: str) -> dict[str, Any]:
    """Real ids of group A's objects for the parameters of a route."""
    in_section = "/sections/{ident" in template
    return {
        "slug": w.a.slug, "section_id": w.s_edit, "ident": w.s_edit if in_section else w.r_edit,
        "number": w.r_edit, "comment_id": w.s_edit_comment if in_section else w.r_edit_comment, "rev_no": 1,
        "user_id": w.users["priya.raman"], "subgroup_id": w.a.subgroup, "export_id": w.a.export,
        "token": w.invite_token, "file_path": "wg.css", "path": "no-such-schema-file",
    }


def _url(w: World, template: str, **override: Any) -> str:
    return fill(template, {**path_values(w, template), **override})


def _subgroup_people(w: World) -> tuple[list[int], list[int]]:
    with w.db.session() as s:
        rows = s.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == w.a.subgroup)
                      .order_by(col(SubgroupMember.user_id))).all()
        return [r.user_id for r in rows], [r.user_id for r in rows if r.is_chair]


def _profile(w: World, role: str) -> dict[str, Any]:
    with w.db.session() as s:
        user = find_user_by_email(s, EMAILS[role])
        assert user is not None
        return {"display_name": user.display_name, "native_name": user.native_name, "country": user.country or "US",
                "affiliation": user.affiliation, "sector": user.sector, "time_zone": user.time_zone,
                **({"consents_to_attribution": "on"} if user.consents_to_attribution else {})}


def _login_email(role: str) -> str:
    return EMAILS.get(role, EMAILS["member"])  # the visitor logs in with a member's account


def _invite(w: World, role: str) -> Req:
    if role == "anonymous":  # a newcomer: the link makes their account
        n = w.next()
        token = new_invitation(w.db, f"newcomer{n}@example.org", w.a.group_id)
        return Req(f"/invite/{token}", form={"display_name": f"Newcomer {n}", "country": "JP",
                                             "time_zone": "Asia/Tokyo", "password": "newcomer-password",
                                             "password_confirm": "newcomer-password"}, fresh=True)
    token = new_invitation(w.db, EMAILS[role], w.a.group_id)  # an invitation addressed to this person
    return Req(f"/invite/{token}", form={}, fresh=True)


def _decision(w: World, template: str, as_json: bool) -> Req:
    add_review_event(w.db, w.r_decide, "submit")  # the chair has something to decide on
    body = {"decision": "request-changes", "rev_no": head_rev(w.db, "recommendation", w.r_decide),
            "note": "Please name the mechanism."}
    url = _url(w, template, number=w.r_decide)
    return Req(url, json=body) if as_json else Req(url, form=body)


def _reopen(w: World, template: str, as_json: bool) -> Req:
    add_review_event(w.db, w.r_decide, "approve")  # approved, so it can be reopened (or asked to be)
    body = {"reason": "A member must change her position."}
    url = _url(w, template, number=w.r_decide)
    return Req(url, json=body) if as_json else Req(url, form=body)


def _submit(w: World, template: str, as_json: bool) -> Req:
    add_review_event(w.db, w.r_submit, "request-changes")  # sent back, so it can be submitted again
    url = _url(w, template, number=w.r_submit)
    return Req(url, json={}) if as_json else Req(url, form={})


def _approve_section(w: World, template: str, as_json: bool) -> Req:
    add_section_revision(w.db, w.s_approve)  # changed since any earlier approval, so it can be approved again
    body = {"rev_no": head_rev(w.db, "section", w.s_approve)}
    url = _url(w, template, section_id=w.s_approve)
    return Req(url, json=body) if as_json else Req(url, form=body)


def _save(w: World, template: str, as_json: bool) -> Req:
    kind = "section" if "/sections/" in template else "recommendation"
    ident = w.s_edit if kind == "section" else w.r_edit
    body = {"base_rev_no": head_rev(w.db, kind, ident), "title": "Matrix text", "text": f"Edited ({w.next()})."}
    url = _url(w, template)
    return Req(url, json=body) if as_json else Req(url, form=body)


Builder = Callable[[World, str], Req]
WRITES: dict[tuple[str, str], Builder] = {
    ("POST", "/login"): lambda w, r: Req("/login", form={"email": _login_email(r), "password": DEMO_PASSWORD},
                                         fresh=True),
    ("POST", "/logout"): lambda w, r: Req("/logout", form={}, fresh=True),
    ("POST", "/profile"): lambda w, r: Req("/profile", form=_profile(w, r) if r != "anonymous" else {}),
    ("POST", "/profile/password"): lambda w, r: Req("/profile/password", form={
        "current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD}, fresh=True),
    ("POST", "/inbox/read"): lambda w, r: Req("/inbox/read", form={}),
    ("POST", "/invite/{token:str}"): _invite,
    ("POST", "/admin/groups"): lambda w, r: Req("/admin/groups", form={
        "name": f"New group {w.next()}", "slug": f"new-group-{w.counter}", "countries": "US, JP",
        "organizer_email": "priya.raman@example.org"}),
    ("POST", "/api/v1/session"): lambda w, r: Req("/api/v1/session", json={
        "email": _login_email(r), "password": DEMO_PASSWORD}, fresh=True),
    ("DELETE", "/api/v1/session"): lambda w, r: Req("/api/v1/session", fresh=True),
    ("POST", "/api/v1/groups"): lambda w, r: Req("/api/v1/groups", json={
        "name": f"New group {w.next()}", "slug": f"new-group-{w.counter}", "countries": ["US", "JP"],
        "organizer_email": "priya.raman@example.org"}),
    ("POST", "/api/v1/inbox/read"): lambda w, r: Req("/api/v1/inbox/read", json={}),
    # group pages
    ("POST", G + "/members/invite"): lambda w, r: Req(_url(w, G + "/members/invite"), form={
        "email": f"invitee{w.next()}@example.org", "display_name": "Invited Person", "country": "KR",
        "role": "member"}),
    ("POST", G + "/members/{user_id:int}/role"): lambda w, r: Req(
        _url(w, G + "/members/{user_id:int}/role"), form={"role": "member"}),
    ("POST", G + "/members/{user_id:int}/remove"): lambda w, r: Req(
        _url(w, G + "/members/{user_id:int}/remove", user_id=w.users["park.sungho"]), form={}),
    ("POST", G + "/subgroups"): lambda w, r: Req(_url(w, G + "/subgroups"), form={
        "name": f"Subgroup {w.next()}", "mandate": "A new mandate."}),
    ("POST", G + "/subgroups/{subgroup_id:int}"): lambda w, r: Req(_url(w, G + "/subgroups/{subgroup_id:int}"),
                                                                   form={"name": SUBGROUP, "mandate": "Same work."}),
    ("POST", G + "/subgroups/{subgroup_id:int}/members"): lambda w, r: Req(
        _url(w, G + "/subgroups/{subgroup_id:int}/members"),
        form=dict(zip(("members", "chairs"), _subgroup_people(w), strict=True))),
    # drafting pages
    ("POST", G + "/preview"): lambda w, r: Req(_url(w, G + "/preview"), form={"text": "**Bold** text"}),
    ("POST", G + "/sections"): lambda w, r: Req(_url(w, G + "/sections"), form={
        "title": f"New section {w.next()}", "subgroup_id": str(w.a.subgroup)}),
    ("POST", G + "/sections/{section_id:int}/move"): lambda w, r: Req(
        _url(w, G + "/sections/{section_id:int}/move"), form={"direction": "up"}),
    ("POST", G + "/sections/{section_id:int}/recommendations"): lambda w, r: Req(
        _url(w, G + "/sections/{section_id:int}/recommendations"), form={
            "title": f"New item {w.next()}", "text": "Do the new thing."}),
    ("POST", G + "/sections/{ident:int}/edit"): lambda w, r: _save(w, G + "/sections/{ident:int}/edit", False),
    ("POST", G + "/sections/{ident:int}/presence"): lambda w, r: Req(
        _url(w, G + "/sections/{ident:int}/presence"), form={"base_rev_no": head_rev(w.db, "section", w.s_edit)}),
    ("POST", G + "/sections/{ident:int}/restore/{rev_no:int}"): lambda w, r: Req(
        _url(w, G + "/sections/{ident:int}/restore/{rev_no:int}"), form={}),
    ("POST", G + "/sections/{ident:int}/comments"): lambda w, r: Req(
        _url(w, G + "/sections/{ident:int}/comments"), form={"body": "A comment.", "paragraph": "1"}),
    ("POST", G + "/sections/{ident:int}/comments/{comment_id:int}/resolve"): lambda w, r: Req(
        _url(w, G + "/sections/{ident:int}/comments/{comment_id:int}/resolve"), form={"resolved": "true"}),
    ("POST", G + "/r/{number:int}/move"): lambda w, r: Req(_url(w, G + "/r/{number:int}/move"),
                                                           form={"direction": "down"}),
    ("POST", G + "/r/{number:int}/withdraw"): lambda w, r: Req(
        _url(w, G + "/r/{number:int}/withdraw", number=w.r_withdraw), form={"withdrawn": "true"}),
    ("POST", G + "/r/{ident:int}/edit"): lambda w, r: _save(w, G + "/r/{ident:int}/edit", False),
    ("POST", G + "/r/{ident:int}/presence"): lambda w, r: Req(
        _url(w, G + "/r/{ident:int}/presence"), form={"base_rev_no": head_rev(w.db, "recommendation", w.r_edit)}),
    ("POST", G + "/r/{ident:int}/restore/{rev_no:int}"): lambda w, r: Req(
        _url(w, G + "/r/{ident:int}/restore/{rev_no:int}"), form={}),
    ("POST", G + "/r/{ident:int}/comments"): lambda w, r: Req(_url(w, G + "/r/{ident:int}/comments"),
                                                              form={"body": "A comment."}),
    ("POST", G + "/r/{ident:int}/comments/{comment_id:int}/resolve"): lambda w, r: Req(
        _url(w, G + "/r/{ident:int}/comments/{comment_id:int}/resolve"), form={"resolved": "true"}),
    # review pages
    ("POST", G + "/r/{number:int}/submit"): lambda w, r: _submit(w, G + "/r/{number:int}/submit", False),
    ("POST", G + "/r/{number:int}/decision"): lambda w, r: _decision(w, G + "/r/{number:int}/decision", False),
    ("POST", G + "/r/{number:int}/position"): lambda w, r: Req(_url(w, G + "/r/{number:int}/position"),
                                                               form={"stance": "support"}),
    ("POST", G + "/r/{number:int}/reopen-request"): lambda w, r: _reopen(w, G + "/r/{number:int}/reopen-request",
                                                                       False),
    ("POST", G + "/r/{number:int}/reopen"): lambda w, r: _reopen(w, G + "/r/{number:int}/reopen", False),
    ("POST", G + "/sections/{section_id:int}/approve"): lambda w, r: _approve_section(
        w, G + "/sections/{section_id:int}/approve", False),
    # report pages
    ("POST", G + "/exports"): lambda w, r: Req(_url(w, G + "/exports"), form={"profile": "internal",
                                                                              "format": "docx"}),
    ("POST", G + "/report/settings"): lambda w, r: Req(_url(w, G + "/report/settings"), form={
        "title": "Reinvesting in U.S.–Japan–ROK Strategic Relations", "paper_size": "A4"}),
    ("POST", G + "/report/finalise"): lambda w, r: Req(_url(w, G + "/report/finalise"), form={"action": "reopen"}),
    # API: groups
    ("POST", A + "/invitations"): lambda w, r: Req(_url(w, A + "/invitations"), json={
        "email": f"invitee{w.next()}@example.org", "display_name": "Invited Person", "country": "KR"}),
    ("PATCH", A + "/members/{user_id:int}"): lambda w, r: Req(_url(w, A + "/members/{user_id:int}"),
                                                              json={"role": "member"}),
    ("DELETE", A + "/members/{user_id:int}"): lambda w, r: Req(
        _url(w, A + "/members/{user_id:int}", user_id=w.users["robert.lindqvist"])),
    ("POST", A + "/subgroups"): lambda w, r: Req(_url(w, A + "/subgroups"), json={"name": f"Subgroup {w.next()}"}),
    ("PATCH", A + "/subgroups/{subgroup_id:int}"): lambda w, r: Req(
        _url(w, A + "/subgroups/{subgroup_id:int}"), json={"name": SUBGROUP, "mandate": "Same work."}),
    ("PUT", A + "/subgroups/{subgroup_id:int}/members"): lambda w, r: Req(
        _url(w, A + "/subgroups/{subgroup_id:int}/members"),
        json=dict(zip(("members", "chairs"), _subgroup_people(w), strict=True))),
    # API: drafting
    ("POST", A + "/preview"): lambda w, r: Req(_url(w, A + "/preview"), json={"text": "**Bold** text"}),
    ("POST", A + "/sections"): lambda w, r: Req(_url(w, A + "/sections"), json={
        "title": f"New section {w.next()}", "subgroup_id": w.a.subgroup}),
    ("POST", A + "/sections/{section_id:int}/recommendations"): lambda w, r: Req(
        _url(w, A + "/sections/{section_id:int}/recommendations"), json={
            "title": f"New item {w.next()}", "text": "Do the new thing."}),
    ("POST", A + SEC + "/revisions"): lambda w, r: _save(w, A + SEC + "/revisions", True),
    ("POST", A + SEC + "/revisions/{rev_no:int}/restore"): lambda w, r: Req(
        _url(w, A + SEC + "/revisions/{rev_no:int}/restore"), json={}),
    ("POST", A + SEC + "/comments"): lambda w, r: Req(_url(w, A + SEC + "/comments"), json={"body": "A comment."}),
    ("POST", A + SEC + "/comments/{comment_id:int}/resolve"): lambda w, r: Req(
        _url(w, A + SEC + "/comments/{comment_id:int}/resolve"), json={"resolved": True}),
    ("POST", A + "/recommendations/{number:int}/move"): lambda w, r: Req(
        _url(w, A + "/recommendations/{number:int}/move"), json={"direction": "down"}),
    ("POST", A + "/recommendations/{number:int}/withdraw"): lambda w, r: Req(
        _url(w, A + "/recommendations/{number:int}/withdraw", number=w.r_withdraw), json={"withdrawn": True}),
    ("POST", A + REC + "/revisions"): lambda w, r: _save(w, A + REC + "/revisions", True),
    ("POST", A + REC + "/revisions/{rev_no:int}/restore"): lambda w, r: Req(
        _url(w, A + REC + "/revisions/{rev_no:int}/restore"), json={}),
    ("POST", A + REC + "/comments"): lambda w, r: Req(_url(w, A + REC + "/comments"), json={"body": "A comment."}),
    ("POST", A + REC + "/comments/{comment_id:int}/resolve"): lambda w, r: Req(
        _url(w, A + REC + "/comments/{comment_id:int}/resolve"), json={"resolved": True}),
    # API: review
    ("POST", A + "/recommendations/{number:int}/submit"): lambda w, r: _submit(
        w, A + "/recommendations/{number:int}/submit", True),
    ("POST", A + "/recommendations/{number:int}/decisions"): lambda w, r: _decision(
        w, A + "/recommendations/{number:int}/decisions", True),
    ("PUT", A + "/recommendations/{number:int}/positions/me"): lambda w, r: Req(
        _url(w, A + "/recommendations/{number:int}/positions/me"), json={"stance": "support"}),
    ("POST", A + "/recommendations/{number:int}/reopen-requests"): lambda w, r: _reopen(
        w, A + "/recommendations/{number:int}/reopen-requests", True),
    ("POST", A + "/recommendations/{number:int}/reopen"): lambda w, r: _reopen(
        w, A + "/recommendations/{number:int}/reopen", True),
    ("POST", A + "/sections/{section_id:int}/approve"): lambda w, r: _approve_section(
        w, A + "/sections/{section_id:int}/approve", True),
}
QUERIES = {("GET", A + SEC + "/diff"): "?from_rev=1&to_rev=1", ("GET", A + REC + "/diff"): "?from_rev=1&to_rev=1"}
# Requests that end or replace a session go last, in this order (the password change ends every session of the user;
# accepting the invitation makes the member of B and the admin members of group A).
LAST = [("POST", "/login"), ("POST", "/api/v1/session"), ("POST", "/logout"), ("DELETE", "/api/v1/session"),
        ("POST", "/invite/{token:str}"), ("POST", "/profile/password")]
# Within a row, those who should be refused go first, so a wrongly accepted request shows before the state moves on.
ROLE_ORDER = ("anonymous", "admin", "member_b", "observer", "member", "subgroup_chair", "co_chair", "organizer")


def app_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path template) the app answers, OPTIONS aside."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) - UNLISTED_METHODS:
                found.add((method, route.path))
    return found


def in_group_a(template: str) -> bool:
    """True for a URL inside group A (a page under /g/<slug> or the API under /api/v1/groups/<slug>)."""
    return template.startswith((G, A))


def seen(response: Any) -> Status:
    """The status as the table writes it: a redirect to the login page is ``LOGIN``."""
    if response.status_code == 303 and response.headers.get("location", "").startswith("/login?next="):
        return LOGIN
    return int(response.status_code)


def build_request(w: World, method: str, template: str, role: str) -> Req:
    """The request for one cell of the table."""
    builder = WRITES.get((method, template))
    if builder is not None:
        return builder(w, role)
    assert method in {"GET", "HEAD"}, f"no request body defined for {method} {template}"
    return Req(_url(w, template) + QUERIES.get((method, template), ""))


def send(w: World, browsers: dict[str, Browser], make_client: Any, method: str, template: str, role: str) -> Any:
    """Send one cell's request as ``role``."""
    req = build_request(w, method, template, role)
    browser = open_browser(w.db, make_client, role) if req.fresh else browsers[role]
    return browser.request(method, req.url, form=req.form, body=req.json)


def wait_for_exports(w: World, timeout: float = 60) -> None:
    """Exports started by the matrix render in worker threads: let them finish before the database goes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with w.db.session() as s:
            if not s.exec(select(Export.id).where(col(Export.status).in_(["queued", "running"]))).first():
                return
        time.sleep(0.1)
    pytest.fail("exports started by the matrix did not finish")


def nothing_told_to_member_b(app: Any, w: World, browser: Browser) -> list[str]:
    """Where a member of B learns anything about group A: every group-A path answers OPTIONS (Litestar's own
    handler) and a state-changing request with an empty body exactly as the same path of a group that does not
    exist."""
    told = []
    for route in app.routes:
        if not in_group_a(route.path):
            continue
        methods = {m for h in getattr(route, "route_handlers", []) for m in h.http_methods} - {"GET", "HEAD"}
        for method in sorted(methods):
            url = _url(w, route.path)
            answers = []
            for where in (url, url.replace(f"/{w.a.slug}", "/no-such-group", 1)):
                empty: dict[str, Any] = {"body": {}} if where.startswith("/api/") else {"form": {}}
                response = browser.request(method, where, **({} if method == "OPTIONS" else empty))
                shown = response.json() if "json" in response.headers.get("content-type", "") else None
                answers.append((response.status_code, response.headers.get("allow"), shown))
            if answers[0] != answers[1] or answers[0][0] in range(200, 400) and method != "OPTIONS":
                told.append(f"{method} {route.path}: {answers[0]} (a missing group: {answers[1]})")
    return told


# --- tests ---------------------------------------------------------------------------------------------------------


def test_every_route_has_exactly_one_row(tmp_path: Path) -> None:
    app = create_app(load_settings({"WG_ENV": "test", "WG_DATA_DIR": str(tmp_path),
                                    "WG_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                                    "WG_SECRET_KEY": "test-secret-key-" + "x" * 32}))
    routes = app_routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes without a row in MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "rows in MATRIX for routes the app no longer has"
    assert all(set(expected) == set(ROLES) for expected in MATRIX.values())
    writes = {key for key in MATRIX if key[0] not in {"GET", "HEAD"}}
    assert sorted(writes - WRITES.keys()) == [], "state-changing routes without a request body"
    assert sorted(WRITES.keys() - writes) == []
    # The rule the issue states: a member of another group finds nothing inside group A, HTML and API alike.
    assert {key: cells["member_b"] for key, cells in MATRIX.items() if in_group_a(key[1])
            and cells["member_b"] != 404} == {}


def test_every_route_answers_every_role_as_the_table_says(app: Any, db: Database, settings: Settings,
                                                         make_client: Any) -> None:
    world = build_world(db, settings.exports_dir)
    assert standing_in_a(db) == {  # the people behind the table's columns
        "member_b": (None, ""), "member": ("member", "member"), "subgroup_chair": ("member", "chair"),
        "co_chair": ("co-chair", ""), "organizer": ("organizer", ""), "observer": ("observer", ""),
        "admin": (None, "")}
    browsers = {role: open_browser(db, make_client, role) for role in ROLES}
    assert nothing_told_to_member_b(app, world, browsers["member_b"]) == []
    reads = [key for key in MATRIX if key[0] in {"GET", "HEAD"}]
    writes = [key for key in MATRIX if key[0] not in {"GET", "HEAD"} and key not in LAST]
    got: dict[tuple[str, str], dict[str, Status]] = {}
    for method, template in [*reads, *writes, *LAST]:
        got[method, template] = {role: seen(send(world, browsers, make_client, method, template, role))
                                 for role in ROLE_ORDER}
    wait_for_exports(world)
    wrong = [f"{method} {template} as {role}: expected {MATRIX[method, template][role]}, got {status}"
             for (method, template), cells in got.items() for role, status in cells.items()
             if status != MATRIX[method, template][role]]
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(wrong)
    b_saw = [f"{method} {template}: {cells['member_b']}" for (method, template), cells in got.items()
             if in_group_a(template) and cells["member_b"] != 404]
    assert not b_saw, "a member of group B got something other than 404 inside group A:\n" + "\n".join(b_saw)
