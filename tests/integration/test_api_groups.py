"""The JSON API for groups, members and subgroups under /api/v1, as a script would use it.

A script logs in with POST /api/v1/session and sends the CSRF token it gets back as ``x-csrftoken`` on every change.
Refused changes are checked against the rows in the database: a 4xx that still wrote something fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from tests.conftest import api_token
from tests.integration import test_groups as pages
from tests.integration.test_groups import (
    ADMIN,
    ADVISER,
    CHAIR,
    CO_CHAIR,
    DOMESTIC,
    MEMBER,
    MEMBER_KR,
    OBSERVER,
    ORGANIZER,
    OUTSIDER,
    audit_since,
    group_state,
    last_audit_id,
    membership,
    subgroup_id,
    subgroup_people,
    user_id,
)
from wg.demo import DEMO_PASSWORD
from wg.models import Invitation, WorkingGroup

other_group = pages.other_group  # the same second working group as in the page tests

API = "/api/v1/groups/trilateral"


class ApiClient:
    """A logged-in script: every call carries the session's CSRF token."""

    def __init__(self, client: TestClient[Any], csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def call(self, method: str, url: str, json: Any = None) -> Any:
        """Send one request; a body, when given, as JSON."""
        kwargs: dict[str, Any] = {"headers": {"x-csrftoken": self.csrf}}
        if json is not None:
            kwargs["json"] = json
        return self.client.request(method, url, **kwargs)

    def get(self, url: str) -> Any:
        """GET ``url``."""
        return self.call("GET", url)


@pytest.fixture
def api(app: Any) -> Iterator[Callable[[str], ApiClient]]:
    """Log a new API client in as an e-mail address (clients are closed newest first, see ``open_browser``)."""
    with ExitStack() as stack:

        def _login(email: str) -> ApiClient:
            client = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            response = client.post("/api/v1/session", json={"email": email, "password": DEMO_PASSWORD},
                                   headers={"x-csrftoken": api_token(client)})
            assert response.status_code == 200, response.text
            assert response.json()["authenticated"] is True
            return ApiClient(client, response.json()["csrf_token"])

        yield _login


def error_fields(response: Any) -> list[str]:
    """The fields a 422 answer names, each error also carrying a message."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"} and error["message"], error
    return [error["field"] for error in body["errors"]]


USER_FIELDS = {"id", "display_name", "native_name", "country", "affiliation", "sector"}


# --- reading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "expected"), [
    (MEMBER, [("trilateral", "member")]),
    (OUTSIDER, [("euro-dialogue", "organizer")]),
    (ADMIN, []),
], ids=["member", "member-of-another-group", "platform-admin"])
def test_list_groups_shows_the_callers_own_groups_only(api, other_group, email, expected):
    groups = api(email).get("/api/v1/groups")
    assert groups.status_code == 200
    assert [(g["slug"], g["my_role"]) for g in groups.json()] == expected


def test_get_group(api):
    response = api(CO_CHAIR).get(API)
    assert response.status_code == 200
    assert response.json() == {
        "slug": "trilateral", "name": "U.S.–Japan–ROK Trilateral Working Group",
        "host_organisation": "Pacific Alliance Forum", "countries": ["US", "JP", "KR"], "attribution_mode": "none",
        "consensus_rule": "each-country", "state": "active", "my_role": "co-chair"}


def test_members_lists_the_roster_without_private_fields(api):
    response = api(MEMBER).get(f"{API}/members")
    assert response.status_code == 200
    members = response.json()
    assert len(members) == 16
    by_name = {m["user"]["display_name"]: m for m in members}
    assert by_name["Haruka Sato"]["user"]["native_name"] == "佐藤遥"
    assert by_name["Kim Min-jun"]["user"] | {"id": 0} == {
        "id": 0, "display_name": "Kim Min-jun", "native_name": "김민준", "country": "KR",
        "affiliation": "East Asia Peace Institute", "sector": "think tank"}
    assert (by_name["Takeshi Ono"]["role"], by_name["Takeshi Ono"]["listed_in_report"]) == ("observer", False)
    assert (by_name["Grace Whitfield"]["role"], by_name["Grace Whitfield"]["listed_in_report"]) == ("organizer", True)
    # Members see each other's names and affiliations, never e-mail addresses or time zones.
    assert all(set(m["user"]) == USER_FIELDS for m in members)


def test_subgroups_with_chairs_and_members(api, db):
    client = api(OBSERVER)
    response = client.get(f"{API}/subgroups")
    assert response.status_code == 200
    subgroups = response.json()
    assert [(s["name"], [c["display_name"] for c in s["chairs"]], len(s["members"])) for s in subgroups] == [
        (DOMESTIC, ["Maya Chen"], 4),
        ("Non-traditional security: pandemics and climate", ["Ren Nakamura"], 4),
        ("New areas of cooperation", ["Lee Seo-yeon"], 4),
    ]
    one = client.get(f"{API}/subgroups/{subgroup_id(db, DOMESTIC)}")
    assert one.status_code == 200
    assert one.json() == subgroups[0]
    assert {m["display_name"] for m in one.json()["members"]} == {"Maya Chen", "Haruka Sato", "Kim Min-jun",
                                                                  "Choi Ji-woo"}


# --- changing, as the organizer ------------------------------------------------------------------------------


def test_organizer_creates_and_renames_a_subgroup(api, db):
    client = api(ORGANIZER)
    mark = last_audit_id(db)
    created = client.call("POST", f"{API}/subgroups", {"name": "Economic security", "mandate": "Supply chains."})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["mandate"], body["chairs"], body["members"]) == (
        "Economic security", "Supply chains.", [], [])
    renamed = client.call("PATCH", f"{API}/subgroups/{body['id']}", {"name": "Economic security and technology"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["mandate"]) == ("Economic security and technology", "")
    names = [s["name"] for s in client.get(f"{API}/subgroups").json()]
    assert names[-1] == "Economic security and technology"
    assert [(e.action, e.object_id) for e in audit_since(db, mark)] == [
        ("subgroup.created", str(body["id"])), ("subgroup.updated", str(body["id"]))]


def test_organizer_changes_roles_and_observers_are_unlisted(api, db):
    client = api(ORGANIZER)
    haruka, kim = user_id(db, MEMBER), user_id(db, MEMBER_KR)
    mark = last_audit_id(db)
    promoted = client.call("PATCH", f"{API}/members/{haruka}", {"role": "co-chair"})
    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["user"]["id"], promoted.json()["role"], promoted.json()["listed_in_report"]) == (
        haruka, "co-chair", True)
    observing = client.call("PATCH", f"{API}/members/{kim}", {"role": "observer"})
    assert (observing.json()["role"], observing.json()["listed_in_report"]) == ("observer", False)
    roster = {m["user"]["id"]: m for m in client.get(f"{API}/members").json()}
    assert (roster[haruka]["role"], roster[kim]["role"], roster[kim]["listed_in_report"]) == (
        "co-chair", "observer", False)
    assert [(e.action, e.object_id, e.detail) for e in audit_since(db, mark)] == [
        ("member.role_changed", str(haruka), {"old": "member", "new": "co-chair"}),
        ("member.role_changed", str(kim), {"old": "member", "new": "observer"}),
    ]
    # Haruka's own client sees the new role.
    assert api(MEMBER).get(API).json()["my_role"] == "co-chair"


def test_organizer_removes_a_member_who_then_finds_nothing(api, db):
    kim_client = api(MEMBER_KR)
    assert kim_client.get(API).status_code == 200
    client = api(ORGANIZER)
    kim = user_id(db, MEMBER_KR)
    mark = last_audit_id(db)
    response = client.call("DELETE", f"{API}/members/{kim}")
    assert response.status_code == 204
    assert kim not in {m["user"]["id"] for m in client.get(f"{API}/members").json()}
    assert MEMBER_KR not in subgroup_people(db, subgroup_id(db, DOMESTIC))
    [event] = audit_since(db, mark)
    assert (event.action, event.object_id) == ("member.removed", str(kim))
    assert kim_client.get(API).status_code == 404
    assert kim_client.get(f"{API}/subgroups").status_code == 404
    assert kim_client.get("/api/v1/groups").json() == []


def test_organizer_replaces_a_subgroups_members_and_chairs(api, db):
    client = api(ORGANIZER)
    sid = subgroup_id(db, DOMESTIC)
    haruka, kim, ren = user_id(db, MEMBER), user_id(db, MEMBER_KR), user_id(db, "ren.nakamura@example.org")
    mark = last_audit_id(db)
    # Ren is named only as a chair: chairs are members too.
    response = client.call("PUT", f"{API}/subgroups/{sid}/members", {"members": [haruka, kim], "chairs": [ren]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {u["id"] for u in body["members"]} == {haruka, kim, ren}
    assert [u["id"] for u in body["chairs"]] == [ren]
    assert subgroup_people(db, sid) == {MEMBER: False, MEMBER_KR: False, "ren.nakamura@example.org": True}
    [event] = audit_since(db, mark)
    assert (event.action, event.detail) == ("subgroup.members_set",
                                            {"members": sorted([haruka, kim, ren]), "chairs": [ren]})
    # Sending the same lists again changes nothing and records nothing.
    again = client.call("PUT", f"{API}/subgroups/{sid}/members", {"members": [haruka, kim], "chairs": [ren]})
    assert again.status_code == 200
    assert audit_since(db, mark) == [event]


def test_organizer_invites_by_api(api, db, settings):
    client = api(ORGANIZER)
    mark = last_audit_id(db)
    response = client.call("POST", f"{API}/invitations", {"email": "hana@example.org", "display_name": "Hana Yoshida",
                                                          "country": "JP", "role": "member"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["email"], body["role"]) == ("hana@example.org", "member")
    assert body["link"].startswith(f"{settings.base_url}/invite/")
    [event] = audit_since(db, mark)
    assert (event.action, event.object_id) == ("member.invited", str(body["id"]))


def test_organizer_can_neither_change_their_own_role_nor_remove_themselves(api, db):
    client = api(ORGANIZER)
    me = user_id(db, ORGANIZER)
    before = group_state(db)
    assert client.call("PATCH", f"{API}/members/{me}", {"role": "member"}).status_code == 403
    assert client.call("DELETE", f"{API}/members/{me}").status_code == 403
    assert group_state(db) == before


def test_changes_need_the_csrf_token(api, db):
    client = api(ORGANIZER)
    kim = user_id(db, MEMBER_KR)
    before = group_state(db)
    for token in ("", "not-the-token"):
        client.csrf = token
        assert client.call("PATCH", f"{API}/members/{kim}", {"role": "co-chair"}).status_code == 403
        assert client.call("POST", f"{API}/subgroups", {"name": "Forged"}).status_code == 403
    assert group_state(db) == before


# --- creating groups -----------------------------------------------------------------------------------------


NEW_GROUP = {"name": "U.S.–Philippines–Japan Maritime Group", "slug": "maritime", "countries": ["US", "PH", "JP"],
             "host_organisation": "Pacific Alliance Forum", "attribution_mode": "country",
             "consensus_rule": "majority"}


def test_admin_creates_a_group_with_an_existing_user_as_organizer(api, db):
    admin = api(ADMIN)
    mark = last_audit_id(db)
    response = admin.call("POST", "/api/v1/groups", {**NEW_GROUP, "organizer_email": MEMBER})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organizer_invitation_link"] is None
    assert {k: body["group"][k] for k in NEW_GROUP} == NEW_GROUP
    # my_role is the caller's role: the admin is not a member of the group they created for someone else.
    assert body["group"]["my_role"] is None
    assert admin.get("/api/v1/groups/maritime").status_code == 404
    assert membership(db, MEMBER, "maritime").role == "organizer"
    [event] = audit_since(db, mark)
    assert (event.action, event.detail) == ("group.created", {"slug": "maritime"})
    haruka = api(MEMBER)
    assert {g["slug"]: g["my_role"] for g in haruka.get("/api/v1/groups").json()} == {
        "trilateral": "member", "maritime": "organizer"}


def test_admin_who_names_themselves_organizer_is_the_organizer(api, db):
    admin = api(ADMIN)
    response = admin.call("POST", "/api/v1/groups", {**NEW_GROUP, "organizer_email": ADMIN})
    assert response.status_code == 201, response.text
    assert response.json()["group"]["my_role"] == "organizer"
    # Joining a group rotates the admin's session, so they fetch the new CSRF token before the next change.
    admin.csrf = api_token(admin.client)
    assert admin.get("/api/v1/groups/maritime").json()["my_role"] == "organizer"
    assert admin.call("POST", "/api/v1/groups/maritime/subgroups", {"name": "Coast guards"}).status_code == 201


def test_admin_creates_a_group_for_someone_without_an_account(api, db, settings):
    admin = api(ADMIN)
    response = admin.call("POST", "/api/v1/groups", {**NEW_GROUP, "organizer_email": "dana@example.org",
                                                      "organizer_name": "Dana Reyes"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organizer_invitation_link"].startswith(f"{settings.base_url}/invite/")
    assert body["group"]["my_role"] is None
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "maritime")).one()
        invitation = s.exec(select(Invitation).where(Invitation.email == "dana@example.org")).one()
    assert (invitation.group_id, invitation.role, invitation.display_name) == (group.id, "organizer", "Dana Reyes")


@pytest.mark.parametrize("email", [ORGANIZER, MEMBER])
def test_only_platform_admins_create_groups(api, db, email):
    client = api(email)
    before = group_state(db)
    response = client.call("POST", "/api/v1/groups", {**NEW_GROUP, "organizer_email": email})
    assert response.status_code == 403
    assert group_state(db) == before


# --- who gets 404 and 403 ------------------------------------------------------------------------------------


def _every_group_request(db: Any) -> list[tuple[str, str, Any]]:
    sid = subgroup_id(db, DOMESTIC)
    kim = user_id(db, MEMBER_KR)
    return [
        ("GET", API, None),
        ("GET", f"{API}/members", None),
        ("GET", f"{API}/subgroups", None),
        ("GET", f"{API}/subgroups/{sid}", None),
        ("POST", f"{API}/invitations", {"email": "new@example.org", "display_name": "New", "country": "US"}),
        ("PATCH", f"{API}/members/{kim}", {"role": "co-chair"}),
        ("DELETE", f"{API}/members/{kim}", None),
        ("POST", f"{API}/subgroups", {"name": "Intruders"}),
        ("PATCH", f"{API}/subgroups/{sid}", {"name": "Renamed"}),
        ("PUT", f"{API}/subgroups/{sid}/members", {"members": [kim], "chairs": [kim]}),
    ]


def _statuses(client: ApiClient, requests: list[tuple[str, str, Any]], expected: int) -> list[tuple[str, str, int]]:
    """The requests that did not answer ``expected``."""
    wrong = []
    for method, url, body in requests:
        response = client.call(method, url, body)
        if response.status_code != expected:
            wrong.append((method, url, response.status_code))
    return wrong


@pytest.mark.parametrize("email", [OUTSIDER, ADMIN], ids=["member-of-another-group", "platform-admin"])
def test_non_members_get_404_for_everything_in_the_group(api, db, other_group, email):
    client = api(email)
    before = group_state(db)
    assert _statuses(client, _every_group_request(db), 404) == []
    assert group_state(db) == before
    # The answer is the same as for a group that does not exist.
    assert client.get(f"{API}/members").json() == client.get("/api/v1/groups/no-such-group/members").json()


def test_ids_from_another_group_or_nowhere_are_not_found(api, db, other_group):
    client = api(ORGANIZER)
    theirs = other_group.subgroup_id
    before = group_state(db)
    assert _statuses(client, [
        ("GET", f"{API}/subgroups/{theirs}", None),
        ("PATCH", f"{API}/subgroups/{theirs}", {"name": "Taken over"}),
        ("PUT", f"{API}/subgroups/{theirs}/members", {"members": [user_id(db, MEMBER)], "chairs": []}),
        ("PATCH", f"{API}/members/{other_group.user_id}", {"role": "member"}),
        ("DELETE", f"{API}/members/{other_group.user_id}", None),
        ("GET", f"{API}/subgroups/99999999999999999999", None),
        ("PATCH", f"{API}/members/99999999999999999999", {"role": "member"}),
        ("DELETE", f"{API}/members/99999999999999999999", None),
    ], 404) == []
    assert group_state(db) == before


@pytest.mark.parametrize("email", [MEMBER, CO_CHAIR, CHAIR, OBSERVER, ADVISER])
def test_only_organizers_change_members_and_subgroups(api, db, email):
    client = api(email)
    before = group_state(db)
    writes = [r for r in _every_group_request(db) if r[0] != "GET"]
    assert _statuses(client, writes, 403) == []
    assert group_state(db) == before


# --- bad bodies: 422 naming the field, nothing written -------------------------------------------------------


def _group(**changes: Any) -> dict[str, Any]:
    return {**NEW_GROUP, "organizer_email": "dana@example.org", "organizer_name": "Dana Reyes", **changes}


BAD_BODIES: list[tuple[str, str, str, str, Any, str]] = [
    # (id, who, method, path, body, field)
    ("group-unknown-country", ADMIN, "POST", "/api/v1/groups", _group(countries=["US", "XX"]), "countries"),
    ("group-no-countries", ADMIN, "POST", "/api/v1/groups", _group(countries=[]), "countries"),
    ("group-bad-slug", ADMIN, "POST", "/api/v1/groups", _group(slug="Bad Slug!"), "slug"),
    ("group-duplicate-slug", ADMIN, "POST", "/api/v1/groups", _group(slug="trilateral"), "slug"),
    ("group-bad-email", ADMIN, "POST", "/api/v1/groups", _group(organizer_email="dana-at-example"), "organizer_email"),
    ("group-no-name", ADMIN, "POST", "/api/v1/groups", _group(name="  "), "name"),
    ("group-long-name", ADMIN, "POST", "/api/v1/groups", _group(name="G" * 201), "name"),
    ("group-unknown-attribution", ADMIN, "POST", "/api/v1/groups", _group(attribution_mode="all"),
     "attribution_mode"),
    ("group-unknown-rule", ADMIN, "POST", "/api/v1/groups", _group(consensus_rule="unanimity"), "consensus_rule"),
    ("group-new-organizer-without-name", ADMIN, "POST", "/api/v1/groups", _group(organizer_name=""),
     "organizer_name"),
    ("group-countries-not-a-list", ADMIN, "POST", "/api/v1/groups", _group(countries="US, JP"), "countries"),
    ("group-name-not-a-string", ADMIN, "POST", "/api/v1/groups", _group(name=5), "name"),
    ("role-unknown", ORGANIZER, "PATCH", f"{API}/members/{{kim}}", {"role": "boss"}, "role"),
    ("role-not-a-string", ORGANIZER, "PATCH", f"{API}/members/{{kim}}", {"role": ["member"]}, "role"),
    ("subgroup-no-name", ORGANIZER, "POST", f"{API}/subgroups", {"name": ""}, "name"),
    ("subgroup-duplicate-name", ORGANIZER, "POST", f"{API}/subgroups", {"name": DOMESTIC}, "name"),
    ("subgroup-long-name", ORGANIZER, "POST", f"{API}/subgroups", {"name": "N" * 201}, "name"),
    ("subgroup-long-mandate", ORGANIZER, "POST", f"{API}/subgroups", {"name": "Fine", "mandate": "m" * 5001},
     "mandate"),
    ("subgroup-name-null", ORGANIZER, "POST", f"{API}/subgroups", {"name": None}, "name"),
    ("rename-to-duplicate", ORGANIZER, "PATCH", f"{API}/subgroups/{{sid}}", {"name": "New areas of cooperation"},
     "name"),
    ("members-not-a-list", ORGANIZER, "PUT", f"{API}/subgroups/{{sid}}/members", {"members": "x", "chairs": []},
     "members"),
    ("members-not-ids", ORGANIZER, "PUT", f"{API}/subgroups/{{sid}}/members", {"members": [1, "x"], "chairs": []},
     "members"),
    ("chairs-not-a-list", ORGANIZER, "PUT", f"{API}/subgroups/{{sid}}/members", {"members": [], "chairs": 3},
     "chairs"),
    ("member-outside-group", ORGANIZER, "PUT", f"{API}/subgroups/{{sid}}/members",
     {"members": ["{outsider}"], "chairs": []}, "members"),
    ("chair-outside-group", ORGANIZER, "PUT", f"{API}/subgroups/{{sid}}/members",
     {"members": ["{kim}"], "chairs": ["{outsider}"]}, "chairs"),
    ("invite-bad-email", ORGANIZER, "POST", f"{API}/invitations",
     {"email": "nope", "display_name": "Hana", "country": "JP"}, "email"),
    ("invite-unknown-country", ORGANIZER, "POST", f"{API}/invitations",
     {"email": "hana@example.org", "display_name": "Hana", "country": "XX"}, "country"),
    ("invite-unknown-role", ORGANIZER, "POST", f"{API}/invitations",
     {"email": "hana@example.org", "display_name": "Hana", "country": "JP", "role": "boss"}, "role"),
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    """Put real ids where a case names them ("{kim}" in a list becomes Kim's id)."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "method", "path", "body", "field"), [c[1:] for c in BAD_BODIES],
                         ids=[c[0] for c in BAD_BODIES])
def test_bad_bodies_are_refused_with_the_field_named_and_nothing_written(api, db, who, method, path, body, field):
    client = api(who)
    # The platform admin is a user who is not in the group.
    ids = {"kim": user_id(db, MEMBER_KR), "sid": subgroup_id(db, DOMESTIC), "outsider": user_id(db, ADMIN)}
    before = group_state(db)
    response = client.call(method, path.format(**ids), _fill(body, ids))
    fields = error_fields(response)
    # A field inside a list is named with its index, like members[1].
    assert field in {f.split("[", 1)[0] for f in fields}, fields
    assert group_state(db) == before


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("PUT", f"{API}/subgroups/{{sid}}/members", {"members": []}, "chairs"),
    ("PATCH", f"{API}/members/{{kim}}", {}, "role"),
])
def test_a_missing_field_is_named(api, db, method, path, body, field):
    client = api(ORGANIZER)
    ids = {"kim": user_id(db, MEMBER_KR), "sid": subgroup_id(db, DOMESTIC)}
    before = group_state(db)
    response = client.call(method, path.format(**ids), body)
    assert group_state(db) == before
    assert field in error_fields(response)
