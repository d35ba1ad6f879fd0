"""Working groups through the browser: the dashboard, members, subgroups, group creation, and who may do what.

Everything is done as a user would: open a page, fill in the form it shows, submit it, read the page that comes back.
Rows are counted before and after every refused change, so a refusal that still wrote something fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import csrf_from, login, post_form
from wg.demo import DEMO_PASSWORD, PEOPLE
from wg.features.accounts.operations import create_user
from wg.lib.countries import country_name
from wg.models import (
    AuditEvent,
    Invitation,
    Membership,
    Role,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)

ORGANIZER = "organizer@example.org"
CO_CHAIR = "eleanor.hayes@example.org"
CHAIR = "maya.chen@example.org"  # chairs "Domestic constraints"
MEMBER = "haruka.sato@example.org"
MEMBER_KR = "kim.minjun@example.org"
OBSERVER = "takeshi.ono@example.org"
ADVISER = "robert.lindqvist@example.org"
ADMIN = "admin@example.org"
OUTSIDER = "outsider@example.org"
DOMESTIC = "Domestic constraints"


# --- arranging and reading rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OtherGroup:
    """A second working group, with its own organizer and subgroup, that has nothing to do with the demo group."""

    group_id: int
    slug: str
    name: str
    subgroup_id: int
    user_id: int
    email: str


@pytest.fixture
def other_group(db: Any) -> OtherGroup:
    """A Franco-German group whose organizer is in no other group."""
    with db.transaction() as s:
        user = create_user(s, email=OUTSIDER, display_name="Ulrike Weber", password=DEMO_PASSWORD, country="DE",
                           time_zone="Europe/Berlin")
        group = WorkingGroup(slug="euro-dialogue", name="Franco-German Energy Dialogue", countries=["DE", "FR"])
        s.add(group)
        s.flush()
        s.add(Membership(group_id=group.id or 0, user_id=user.id or 0, role=Role.ORGANIZER.value))
        subgroup = Subgroup(group_id=group.id or 0, name="Gas storage", mandate="Winter security.")
        s.add(subgroup)
        s.flush()
        s.add(SubgroupMember(subgroup_id=subgroup.id or 0, user_id=user.id or 0, is_chair=True))
        return OtherGroup(group_id=group.id or 0, slug=group.slug, name=group.name, subgroup_id=subgroup.id or 0,
                          user_id=user.id or 0, email=OUTSIDER)


def user_id(db: Any, email: str) -> int:
    """The id of the user with this e-mail address."""
    with db.session() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return user.id or 0


def subgroup_id(db: Any, name: str) -> int:
    """The id of the demo group's subgroup with this name."""
    with db.session() as s:
        return s.exec(select(Subgroup.id).where(Subgroup.name == name)).one() or 0


def membership(db: Any, email: str, slug: str = "trilateral") -> Membership | None:
    """The user's membership row in a group, if any."""
    with db.session() as s:
        return s.exec(
            select(Membership).join(User, col(User.id) == col(Membership.user_id))
            .join(WorkingGroup, col(WorkingGroup.id) == col(Membership.group_id))
            .where(User.email == email, WorkingGroup.slug == slug)
        ).first()


def subgroup_people(db: Any, sid: int) -> dict[str, bool]:
    """A subgroup's members (by e-mail) and whether each chairs it."""
    with db.session() as s:
        rows = s.exec(select(User.email, SubgroupMember.is_chair)
                      .join(SubgroupMember, col(SubgroupMember.user_id) == col(User.id))
                      .where(SubgroupMember.subgroup_id == sid)).all()
        return dict(rows)


COUNTED = (WorkingGroup, Membership, Subgroup, SubgroupMember, Invitation, AuditEvent)


def row_counts(db: Any) -> dict[str, int]:
    """How many rows each group-related table holds."""
    with db.session() as s:
        return {m.__tablename__: s.exec(select(func.count()).select_from(m)).one() for m in COUNTED}  # type: ignore


def group_state(db: Any) -> dict[str, Any]:
    """Row counts plus the content of every group-related row, to prove a refused change wrote nothing."""
    with db.session() as s:
        return {
            "counts": row_counts(db),
            "groups": sorted((g.id, g.slug, g.name, tuple(g.countries)) for g in s.exec(select(WorkingGroup))),
            "memberships": sorted((m.group_id, m.user_id, m.role, m.listed_in_report)
                                  for m in s.exec(select(Membership))),
            "subgroups": sorted((g.id, g.group_id, g.name, g.mandate) for g in s.exec(select(Subgroup))),
            "subgroup_members": sorted((m.subgroup_id, m.user_id, m.is_chair) for m in s.exec(select(SubgroupMember))),
            "auth_versions": sorted((u.id, u.auth_version) for u in s.exec(select(User))),
        }


def last_audit_id(db: Any) -> int:
    """The newest audit event's id (0 when there is none)."""
    with db.session() as s:
        return s.exec(select(func.max(AuditEvent.id))).one() or 0


def audit_since(db: Any, mark: int) -> list[AuditEvent]:
    """Audit events written after ``mark``, oldest first."""
    with db.session() as s:
        return list(s.exec(select(AuditEvent).where(col(AuditEvent.id) > mark).order_by(col(AuditEvent.id))).all())


# --- driving pages --------------------------------------------------------------------------------------------


def soup(response: Any) -> BeautifulSoup:
    """The parsed HTML of a response."""
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def open_browser(app: Any) -> Iterator[Callable[[str | None], Any]]:
    """Open a new browser, logged in as an e-mail address (anonymous for None).

    The browsers are closed newest first: Litestar test clients sharing one app hang at shutdown when the oldest
    is closed first (which is what conftest's ``make_client`` does with two or more).
    """
    with ExitStack() as stack:

        def _open(email: str | None) -> Any:
            browser = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            return login(browser, email) if email else browser

        yield _open


def form_on(page: BeautifulSoup, action: str) -> Tag:
    """The form on a page that posts to ``action``."""
    form = page.find("form", attrs={"action": action})
    assert isinstance(form, Tag), f"no form posting to {action}"
    return form


def submit(client: Any, page_url: str, action: str, values: dict[str, str] | None = None,
           ticked: dict[str, list[int]] | None = None) -> Any:
    """Open ``page_url``, fill in the form that posts to ``action`` and submit it, as a browser would.

    ``values`` replaces what is typed or chosen in fields that must exist in the form; ``ticked`` gives, for a set
    of checkboxes, the values that are checked (a value the form does not offer is a forged request).
    """
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    form = form_on(soup(page), action)
    data: dict[str, list[str]] = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name:
            continue
        field = data.setdefault(name, [])
        if element.name == "textarea":
            field.append(element.get_text())
        elif element.name == "select":
            option = element.find("option", selected=True) or element.find("option")
            field.append(option.get("value", "") if option else "")
        elif element.get("type") in {"checkbox", "radio"}:
            if element.has_attr("checked"):
                field.append(element.get("value", "on"))
        elif element.get("type") not in {"submit", "button"}:
            field.append(element.get("value", ""))
    for name, value in (values or {}).items():
        assert name in data, f"the form has no field {name!r}"
        data[name] = [value]
    for name, ids in (ticked or {}).items():
        assert name in data, f"the form has no checkboxes {name!r}"
        data[name] = [str(i) for i in ids]
    return client.post(action, data={k: v for k, v in data.items() if v}, follow_redirects=False)


def assert_field_error(response: Any, field: str, kept: str | None = None, status: int = 422) -> str:
    """The form came back with an error summary linking to ``field``, the error beside it, and the typed value.

    "Beside" means what a screen reader and a sighted user both get: the message is in the same form as the field,
    the field points at it with ``aria-describedby`` and is marked ``aria-invalid``.
    """
    assert response.status_code == status, response.text
    page = soup(response)
    summary = page.select_one(".error-summary")
    assert summary is not None, "no error summary"
    link = summary.select_one(f'a[href="#field-{field}"]')
    assert link is not None, f"the error summary does not link to {field}: {summary}"
    target = page.find(id=f"field-{field}")
    assert target is not None, f"the summary links to #field-{field}, which is not on the page"
    beside = page.find(id=f"error-{field}")
    assert beside is not None, f"no error message beside {field}"
    message = beside.get_text(" ", strip=True)
    assert link.get_text(strip=True) in message
    assert beside.find_parent("form") is target.find_parent("form") is not None
    assert f"error-{field}" in target.get("aria-describedby", "").split()
    assert target.get("aria-invalid") == "true"
    if kept is not None:
        if target.name == "textarea":
            assert target.get_text() == kept
        else:
            assert target.get("value") == kept
    return message


def assert_status_everywhere(client: Any, requests: list[tuple[str, str, dict[str, Any] | None]],
                             expected: int) -> None:
    """Every (method, url, form data) answers ``expected``; the POSTs carry a valid CSRF token."""
    token = csrf_from(client.get("/").text)
    wrong = []
    for method, url, data in requests:
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.post(url, data={**(data or {}), "_csrf_token": token}, follow_redirects=False)
        if response.status_code != expected:
            wrong.append((method, url, response.status_code))
    assert wrong == []


# --- what members see ---------------------------------------------------------------------------------------


def test_dashboard_lists_subgroups_with_their_chairs(open_browser, db):
    client = open_browser(MEMBER)
    page = soup(client.get("/g/trilateral"))
    cards = page.select("section[aria-labelledby=subgroups-title] li.card")
    shown = {card.h3.a.get_text(strip=True): card for card in cards}
    assert list(shown) == [DOMESTIC, "Non-traditional security: pandemics and climate", "New areas of cooperation"]
    meta = {name: " ".join(card.select_one("p.meta").get_text(" ", strip=True).split()) for name, card in shown.items()}
    assert meta[DOMESTIC] == "Chair: Maya Chen · 4 members"
    assert meta["Non-traditional security: pandemics and climate"] == "Chair: Ren Nakamura 中村蓮 · 4 members"
    assert meta["New areas of cooperation"] == "Chair: Lee Seo-yeon 이서연 · 4 members"
    assert shown[DOMESTIC].h3.a["href"] == f"/g/trilateral/subgroups/{subgroup_id(db, DOMESTIC)}"
    # Haruka is in "Domestic constraints" only, and the dashboard says so.
    assert [n for n, card in shown.items() if card.select_one(".badge")] == [DOMESTIC]
    assert "limit trilateral cooperation" in shown[DOMESTIC].get_text()


def test_dashboard_roster_is_grouped_by_country_with_native_script_names(open_browser):
    client = open_browser(MEMBER)
    page = soup(client.get("/g/trilateral"))
    section = page.select_one("section[aria-labelledby=roster-title]")
    assert section is not None
    headings = section.find_all("h3")
    assert [h.get_text(strip=True) for h in headings] == ["United States", "Japan", "Republic of Korea"]
    shown: dict[str, set[str]] = {}
    for heading in headings:
        roster = heading.find_next_sibling("ul")
        names = {li.select_one(".person").contents[0].strip() for li in roster.find_all("li")}
        shown[heading.get_text(strip=True)] = names
    expected: dict[str, set[str]] = {}
    for person in PEOPLE:
        expected.setdefault(country_name(person.country), set()).add(person.name)
    assert shown == expected
    assert "(16)" in section.h2.get_text()
    native = {span.get_text(strip=True): span.get("lang") for span in section.select(".person .native")}
    assert native["佐藤遥"] == "ja"
    assert native["小野武"] == "ja"
    assert native["김민준"] == "ko"
    assert native["박성호"] == "ko"
    assert len(native) == sum(1 for p in PEOPLE if p.native)
    # Roles other than "member" are shown next to the name.
    takeshi = next(li for li in section.find_all("li") if "Takeshi Ono" in li.get_text())
    assert takeshi.select_one(".role").get_text(strip=True) == "observer"


def test_home_page_lists_only_the_users_own_groups(open_browser, other_group):
    haruka = soup(open_browser(MEMBER).get("/"))
    assert [(a.get_text(strip=True), a["href"]) for a in haruka.select("li.card h2 a")] == [
        ("U.S.–Japan–ROK Trilateral Working Group", "/g/trilateral")]
    assert "Your role: member" in haruka.select_one("li.card").get_text()
    outsider = soup(open_browser(OUTSIDER).get("/"))
    assert [(a.get_text(strip=True), a["href"]) for a in outsider.select("li.card h2 a")] == [
        (other_group.name, f"/g/{other_group.slug}")]
    assert "Trilateral" not in outsider.get_text()
    # The platform admin belongs to no group: no group cards, only the administration list.
    admin = soup(open_browser(ADMIN).get("/"))
    assert admin.select("li.card") == []
    assert "not in any working group" in admin.get_text()


# --- what non-members get: 404, exactly like a group that does not exist -------------------------------------


def _everything_in_trilateral(db: Any) -> list[tuple[str, str, dict | None]]:
    sid = subgroup_id(db, DOMESTIC)
    kim = user_id(db, MEMBER_KR)
    base = "/g/trilateral"
    return [
        ("GET", base, None),
        ("GET", f"{base}/members", None),
        ("GET", f"{base}/subgroups/new", None),
        ("GET", f"{base}/subgroups/{sid}", None),
        ("POST", f"{base}/members/invite", {"email": "new@example.org", "display_name": "New", "country": "US",
                                            "role": "member"}),
        ("POST", f"{base}/members/{kim}/role", {"role": "co-chair"}),
        ("POST", f"{base}/members/{kim}/remove", {}),
        ("POST", f"{base}/subgroups", {"name": "Intruders", "mandate": ""}),
        ("POST", f"{base}/subgroups/{sid}", {"name": "Renamed", "mandate": ""}),
        ("POST", f"{base}/subgroups/{sid}/members", {"members": [str(kim)], "chairs": [str(kim)]}),
    ]


@pytest.mark.parametrize("email", [OUTSIDER, ADMIN], ids=["member-of-another-group", "platform-admin"])
def test_non_members_get_404_for_everything_inside_the_group(open_browser, db, other_group, email):
    client = open_browser(email)
    before = group_state(db)
    assert_status_everywhere(client, _everything_in_trilateral(db), 404)
    assert group_state(db) == before
    # A 404 for a group that exists says exactly what a 404 for one that does not exist says.
    assert client.get("/g/trilateral/members").text == client.get("/g/no-such-group/members").text


def test_subgroup_ids_of_another_group_are_not_found(open_browser, db, other_group):
    client = open_browser(ORGANIZER)
    theirs = other_group.subgroup_id
    base = "/g/trilateral"
    before = group_state(db)
    assert_status_everywhere(client, [
        ("GET", f"{base}/subgroups/{theirs}", None),
        ("POST", f"{base}/subgroups/{theirs}", {"name": "Taken over", "mandate": ""}),
        ("POST", f"{base}/subgroups/{theirs}/members", {"members": [str(user_id(db, MEMBER))]}),
        # Members of another group are not members here either.
        ("POST", f"{base}/members/{other_group.user_id}/role", {"role": "member"}),
        ("POST", f"{base}/members/{other_group.user_id}/remove", {}),
        # Ids that exist nowhere, including ones too large for a database integer, are simply not found.
        ("GET", f"{base}/subgroups/0", None),
        ("GET", f"{base}/subgroups/99999999999999999999", None),
        ("POST", f"{base}/subgroups/99999999999999999999", {"name": "X"}),
        ("POST", f"{base}/members/99999999999999999999/role", {"role": "member"}),
        ("POST", f"{base}/members/99999999999999999999/remove", {}),
    ], 404)
    assert group_state(db) == before
    # The organizer of the other group sees their subgroup unchanged, under their own group's address.
    theirs_page = open_browser(OUTSIDER).get(f"/g/{other_group.slug}/subgroups/{theirs}")
    assert soup(theirs_page).h1.get_text(strip=True) == "Gas storage"


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/g/trilateral/members", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# --- the organizer manages members ----------------------------------------------------------------------------


def test_organizer_invites_someone_and_gets_a_one_time_link(open_browser, db, settings):
    organizer = open_browser(ORGANIZER)
    mark = last_audit_id(db)
    before = row_counts(db)
    response = submit(organizer, "/g/trilateral/members", "/g/trilateral/members/invite", {
        "email": "Hana.Yoshida@Example.org", "display_name": "Hana Yoshida", "country": "JP", "role": "adviser"})
    assert response.status_code == 200, response.text
    page = soup(response)
    link = page.select_one("#invite-link")["value"]
    assert link.startswith(f"{settings.base_url}/invite/")
    assert "hana.yoshida@example.org" in page.select_one(".notice").get_text()
    assert "Hana Yoshida (hana.yoshida@example.org), adviser" in page.get_text()
    after = row_counts(db)
    assert after["invitations"] == before["invitations"] + 1
    assert after["memberships"] == before["memberships"]
    [event] = audit_since(db, mark)
    assert (event.action, event.actor_id, event.detail) == ("member.invited", user_id(db, ORGANIZER),
                                                             {"role": "adviser"})
    # The link is the invitation: whoever opens it sees it (and the token is stored only as a hash).
    assert open_browser(None).get(link.removeprefix(settings.base_url)).status_code == 200
    with db.session() as s:
        invitation = s.exec(select(Invitation).where(Invitation.email == "hana.yoshida@example.org")).one()
        assert link.rsplit("/", 1)[1] not in invitation.token_hash


def test_organizer_makes_a_member_co_chair(open_browser, db):
    organizer = open_browser(ORGANIZER)
    haruka_client = open_browser(MEMBER)
    haruka = user_id(db, MEMBER)
    mark = last_audit_id(db)
    response = submit(organizer, "/g/trilateral/members", f"/g/trilateral/members/{haruka}/role", {"role": "co-chair"})
    assert response.status_code == 303
    assert response.headers["location"] == "/g/trilateral/members"
    page = soup(organizer.get("/g/trilateral/members"))
    assert page.select_one(f"#field-role-{haruka} option[selected]")["value"] == "co-chair"
    assert membership(db, MEMBER).role == "co-chair"
    [event] = audit_since(db, mark)
    assert (event.action, event.object_id, event.detail) == ("member.role_changed", str(haruka),
                                                             {"old": "member", "new": "co-chair"})
    # Haruka's own pages show the new role on her next request.
    facts = soup(haruka_client.get("/g/trilateral")).select_one("dl.facts").get_text(" ", strip=True)
    assert "Your role co-chair" in facts


def test_an_observer_is_left_off_the_report_and_listed_again_when_made_a_member(open_browser, db):
    organizer = open_browser(ORGANIZER)
    kim = user_id(db, MEMBER_KR)
    assert membership(db, MEMBER_KR).listed_in_report is True
    response = submit(organizer, "/g/trilateral/members", f"/g/trilateral/members/{kim}/role", {"role": "observer"})
    assert response.status_code == 303
    after = membership(db, MEMBER_KR)
    assert (after.role, after.listed_in_report) == ("observer", False)
    response = submit(organizer, "/g/trilateral/members", f"/g/trilateral/members/{kim}/role", {"role": "member"})
    assert response.status_code == 303
    after = membership(db, MEMBER_KR)
    assert (after.role, after.listed_in_report) == ("member", True)


def test_organizer_removes_a_member_who_loses_access_at_once(open_browser, db):
    organizer = open_browser(ORGANIZER)
    kim_client = open_browser(MEMBER_KR)
    sid = subgroup_id(db, DOMESTIC)
    assert kim_client.get(f"/g/trilateral/subgroups/{sid}").status_code == 200
    kim = user_id(db, MEMBER_KR)
    mark = last_audit_id(db)
    response = submit(organizer, "/g/trilateral/members", f"/g/trilateral/members/{kim}/remove")
    assert response.status_code == 303
    assert membership(db, MEMBER_KR) is None
    assert MEMBER_KR not in subgroup_people(db, sid)
    roster = soup(organizer.get("/g/trilateral/members")).select_one("table.members").get_text()
    assert "Kim Min-jun" not in roster
    [event] = audit_since(db, mark)
    assert (event.action, event.object_id, event.detail) == ("member.removed", str(kim), {"role": "member"})
    # Kim's very next request finds nothing, and the group is gone from Kim's home page.
    assert kim_client.get("/g/trilateral").status_code == 404
    assert kim_client.get(f"/g/trilateral/subgroups/{sid}").status_code == 404
    assert soup(kim_client.get("/")).select("li.card") == []


def test_organizer_can_neither_change_their_own_role_nor_remove_themselves(open_browser, db):
    organizer = open_browser(ORGANIZER)
    me = user_id(db, ORGANIZER)
    page = soup(organizer.get("/g/trilateral/members"))
    assert page.find("form", attrs={"action": f"/g/trilateral/members/{me}/role"}) is None
    assert page.find("form", attrs={"action": f"/g/trilateral/members/{me}/remove"}) is None
    before = group_state(db)
    for action, data in [(f"/g/trilateral/members/{me}/role", {"role": "member"}),
                         (f"/g/trilateral/members/{me}/remove", {})]:
        response = post_form(organizer, "/g/trilateral/members", action, data)
        assert response.status_code == 403, action
        assert "ask another organizer" in response.text
    assert group_state(db) == before
    assert membership(db, ORGANIZER).role == "organizer"


# --- the organizer manages subgroups --------------------------------------------------------------------------


def test_organizer_creates_a_subgroup(open_browser, db):
    organizer = open_browser(ORGANIZER)
    dashboard = soup(organizer.get("/g/trilateral"))
    assert dashboard.find("a", href="/g/trilateral/subgroups/new") is not None
    mark = last_audit_id(db)
    response = submit(organizer, "/g/trilateral/subgroups/new", "/g/trilateral/subgroups", {
        "name": "  Economic   security ", "mandate": "Supply chains,\nexport controls and 経済安全保障."})
    assert response.status_code == 303
    with db.session() as s:
        created = s.exec(select(Subgroup).where(Subgroup.name == "Economic security")).one()
    assert response.headers["location"] == f"/g/trilateral/subgroups/{created.id}"
    page = soup(organizer.get(response.headers["location"]))
    assert page.h1.get_text(strip=True) == "Economic security"
    assert page.select_one("p.lede").get_text() == "Supply chains,\nexport controls and 経済安全保障."
    cards = soup(organizer.get("/g/trilateral")).select("section[aria-labelledby=subgroups-title] li.card h3 a")
    assert cards[-1].get_text(strip=True) == "Economic security"
    [event] = audit_since(db, mark)
    assert (event.action, event.object_type, event.object_id) == ("subgroup.created", "subgroup", str(created.id))


def test_organizer_renames_a_subgroup_and_changes_its_mandate(open_browser, db):
    organizer = open_browser(ORGANIZER)
    sid = subgroup_id(db, DOMESTIC)
    url = f"/g/trilateral/subgroups/{sid}"
    mark = last_audit_id(db)
    response = submit(organizer, url, url, {"name": "Domestic politics", "mandate": "Congress, the Diet and the "
                                                                                    "National Assembly."})
    assert response.status_code == 303
    assert response.headers["location"] == url
    page = soup(organizer.get(url))
    assert page.h1.get_text(strip=True) == "Domestic politics"
    assert page.select_one("p.lede").get_text(strip=True) == "Congress, the Diet and the National Assembly."
    assert page.select_one("#field-name")["value"] == "Domestic politics"
    [event] = audit_since(db, mark)
    assert (event.action, event.object_id) == ("subgroup.updated", str(sid))
    # Saving again without changes is fine: a subgroup does not clash with its own name.
    assert submit(organizer, url, url).status_code == 303


def test_organizer_sets_members_and_chairs_with_the_checkboxes(open_browser, db):
    organizer = open_browser(ORGANIZER)
    sid = subgroup_id(db, DOMESTIC)
    url = f"/g/trilateral/subgroups/{sid}"
    haruka, kim, ren, maya = (user_id(db, e) for e in (MEMBER, MEMBER_KR, "ren.nakamura@example.org", CHAIR))
    page = soup(organizer.get(url))
    ticked_members = {int(box["value"]) for box in page.select("input[name=members][checked]")}
    ticked_chairs = {int(box["value"]) for box in page.select("input[name=chairs][checked]")}
    assert ticked_chairs == {maya}
    assert {haruka, kim, maya} <= ticked_members
    mark = last_audit_id(db)
    # Ren is ticked only as a chair: chairs are members too.
    response = submit(organizer, url, f"{url}/members", ticked={"members": [haruka, kim], "chairs": [kim, ren]})
    assert response.status_code == 303
    assert subgroup_people(db, sid) == {MEMBER: False, MEMBER_KR: True, "ren.nakamura@example.org": True}
    page = soup(organizer.get(url))
    chairs = [li.get_text(" ", strip=True) for li in page.find("h2", string="Chairs").find_next_sibling("ul")("li")]
    assert chairs == ["Kim Min-jun 김민준 , East Asia Peace Institute",
                      "Ren Nakamura 中村蓮 , Japan Forum on Security Policy"]
    assert {int(b["value"]) for b in page.select("input[name=members][checked]")} == {haruka, kim, ren}
    assert {int(b["value"]) for b in page.select("input[name=chairs][checked]")} == {kim, ren}
    [event] = audit_since(db, mark)
    assert event.action == "subgroup.members_set"
    assert event.detail == {"members": sorted([haruka, kim, ren]), "chairs": sorted([kim, ren])}
    # The dashboard shows the new chairs, and Maya is no longer told she chairs it.
    meta = soup(organizer.get("/g/trilateral")).select_one("li.card p.meta").get_text(" ", strip=True)
    assert " ".join(meta.split()) == "Chair: Kim Min-jun 김민준 , Ren Nakamura 中村蓮 · 3 members"
    assert "You chair this subgroup" not in open_browser(CHAIR).get(url).text


@pytest.mark.parametrize("field", ["members", "chairs"])
def test_someone_outside_the_group_cannot_be_put_in_a_subgroup(open_browser, db, other_group, field):
    organizer = open_browser(ORGANIZER)
    sid = subgroup_id(db, DOMESTIC)
    url = f"/g/trilateral/subgroups/{sid}"
    haruka, kim = user_id(db, MEMBER), user_id(db, MEMBER_KR)
    before = group_state(db)
    # A forged form: the outsider's id is not among the checkboxes the page offers.
    ticked = {"members": [haruka, kim], "chairs": [kim]}
    ticked[field] = [*ticked[field], other_group.user_id]
    response = submit(organizer, url, f"{url}/members", ticked=ticked)
    message = assert_field_error(response, field)
    assert "Only members of the working group" in message
    assert group_state(db) == before
    # What the organizer ticked is still ticked, so nothing they chose is lost.
    page = soup(response)
    assert {int(b["value"]) for b in page.select("input[name=members][checked]")} == {haruka, kim}
    assert {int(b["value"]) for b in page.select("input[name=chairs][checked]")} == {kim}


# --- bad input comes back with the error beside the field, and changes nothing ---------------------------------


LONG_NAME = "N" * 201
LONG_MANDATE = "m" * 5001


@pytest.mark.parametrize(("field", "values", "expected"), [
    ("name", {"name": "", "mandate": "Keep this mandate."}, "Enter the subgroup's name."),
    ("name", {"name": "   ", "mandate": "Keep this mandate."}, "Enter the subgroup's name."),
    ("name", {"name": DOMESTIC, "mandate": "Keep this mandate."}, "Another subgroup already has this name."),
    ("name", {"name": LONG_NAME, "mandate": "Keep this mandate."}, "200 characters or fewer"),
    ("mandate", {"name": "Keep this name", "mandate": LONG_MANDATE}, "5000 characters or fewer"),
], ids=["empty", "blank", "duplicate", "201-chars", "long-mandate"])
def test_new_subgroup_with_bad_input_shows_the_form_again(open_browser, db, field, values, expected):
    organizer = open_browser(ORGANIZER)
    before = group_state(db)
    response = submit(organizer, "/g/trilateral/subgroups/new", "/g/trilateral/subgroups", values)
    assert expected in assert_field_error(response, field, kept=values[field])
    other = "mandate" if field == "name" else "name"
    page = soup(response)
    kept = page.select_one(f"#field-{other}")
    assert (kept.get_text() if kept.name == "textarea" else kept["value"]) == values[other]
    assert group_state(db) == before


@pytest.mark.parametrize(("field", "values", "expected"), [
    ("name", {"name": ""}, "Enter the subgroup's name."),
    ("name", {"name": "New areas of cooperation"}, "Another subgroup already has this name."),
    ("name", {"name": LONG_NAME}, "200 characters or fewer"),
    ("mandate", {"mandate": LONG_MANDATE}, "5000 characters or fewer"),
], ids=["empty", "duplicate", "201-chars", "long-mandate"])
def test_subgroup_edit_with_bad_input_shows_the_form_again(open_browser, db, field, values, expected):
    organizer = open_browser(ORGANIZER)
    url = f"/g/trilateral/subgroups/{subgroup_id(db, DOMESTIC)}"
    before = group_state(db)
    response = submit(organizer, url, url, values)
    assert expected in assert_field_error(response, field, kept=values[field])
    # The heading still shows the subgroup as it is saved.
    assert soup(response).h1.get_text(strip=True) == DOMESTIC
    assert group_state(db) == before


def test_unknown_role_is_refused_beside_that_members_role(open_browser, db):
    organizer = open_browser(ORGANIZER)
    kim = user_id(db, MEMBER_KR)
    before = group_state(db)
    response = submit(organizer, "/g/trilateral/members", f"/g/trilateral/members/{kim}/role", {"role": "boss"})
    message = assert_field_error(response, f"role-{kim}")
    assert "Choose a role" in message
    assert group_state(db) == before
    # Kim's saved role is what the form shows.
    assert soup(response).select_one(f"#field-role-{kim} option[selected]")["value"] == "member"


@pytest.mark.parametrize(("field", "values", "expected"), [
    ("email", {"email": "not-an-address"}, "Enter an e-mail address in the right format"),
    ("email", {"email": "kim.minjun@example.org"}, "already a member"),
    ("display_name", {"display_name": ""}, "Enter the person's name."),
    ("country", {"country": "XX"}, "Choose a country"),
    ("role", {"role": "boss"}, "Choose a role"),
], ids=["bad-email", "already-member", "no-name", "unknown-country", "unknown-role"])
def test_invitation_with_bad_input_shows_the_form_again(open_browser, db, field, values, expected):
    organizer = open_browser(ORGANIZER)
    typed = {"email": "hana@example.org", "display_name": "Hana Yoshida", "country": "JP", "role": "member", **values}
    before = group_state(db)
    response = submit(organizer, "/g/trilateral/members", "/g/trilateral/members/invite", typed)
    assert expected in assert_field_error(response, field, kept=typed[field] if field in {"email",
                                                                                        "display_name"} else None)
    page = soup(response)
    assert page.select_one("#field-email")["value"] == typed["email"]
    assert page.select_one("#field-display_name")["value"] == typed["display_name"]
    if field != "country":
        assert page.select_one("#field-country option[selected]")["value"] == "JP"
    assert group_state(db) == before


# --- nobody but the organizer manages anything ----------------------------------------------------------------


NOT_ORGANIZERS = [MEMBER, CO_CHAIR, CHAIR, OBSERVER, ADVISER]


def _management_requests(db: Any) -> list[tuple[str, str, dict | None]]:
    return [r for r in _everything_in_trilateral(db) if r[0] == "POST"] + [("GET", "/g/trilateral/subgroups/new",
                                                                             None)]


def _management_forms_shown(client: Any, db: Any) -> list[bool]:
    sid = subgroup_id(db, DOMESTIC)
    kim = user_id(db, MEMBER_KR)
    dashboard = soup(client.get("/g/trilateral"))
    members = soup(client.get("/g/trilateral/members"))
    subgroup = soup(client.get(f"/g/trilateral/subgroups/{sid}"))
    # Everyone in the group reads the roster and the subgroup.
    assert "Kim Min-jun" in members.select_one("table.members").get_text()
    assert subgroup.h1.get_text(strip=True) == DOMESTIC
    return [
        dashboard.find("a", href="/g/trilateral/subgroups/new") is not None,
        members.find("form", attrs={"action": "/g/trilateral/members/invite"}) is not None,
        members.find("form", attrs={"action": f"/g/trilateral/members/{kim}/role"}) is not None,
        members.find("form", attrs={"action": f"/g/trilateral/members/{kim}/remove"}) is not None,
        subgroup.find("form", attrs={"action": f"/g/trilateral/subgroups/{sid}"}) is not None,
        subgroup.find("form", attrs={"action": f"/g/trilateral/subgroups/{sid}/members"}) is not None,
        bool(subgroup.select("input[type=checkbox]")),
    ]


@pytest.mark.parametrize("email", NOT_ORGANIZERS)
def test_only_organizers_see_and_use_the_management_forms(open_browser, db, email):
    client = open_browser(email)
    assert not any(_management_forms_shown(client, db))
    before = group_state(db)
    assert_status_everywhere(client, _management_requests(db), 403)
    assert group_state(db) == before


def test_organizer_sees_every_management_form(open_browser, db):
    assert all(_management_forms_shown(open_browser(ORGANIZER), db))


def test_a_subgroup_chair_sees_that_they_chair_it(open_browser, db):
    page = soup(open_browser(CHAIR).get(f"/g/trilateral/subgroups/{subgroup_id(db, DOMESTIC)}"))
    assert page.select_one(".badge").get_text(strip=True) == "You chair this subgroup"


# --- platform admins create groups ----------------------------------------------------------------------------


NEW_GROUP = {
    "name": "U.S.–Philippines–Japan Maritime Group",
    "slug": "maritime",
    "host_organisation": "Pacific Alliance Forum",
    "countries": "US, PH, jp",
    "attribution_mode": "country",
    "consensus_rule": "no-objection",
}


def test_admin_creates_a_group_whose_organizer_already_has_an_account(open_browser, db):
    admin = open_browser(ADMIN)
    mark = last_audit_id(db)
    response = submit(admin, "/admin/groups/new", "/admin/groups", {**NEW_GROUP, "organizer_email": MEMBER})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "maritime")).one()
    assert (group.name, group.countries, group.attribution_mode, group.consensus_rule) == (
        NEW_GROUP["name"], ["US", "PH", "JP"], "country", "no-objection")
    assert membership(db, MEMBER, "maritime").role == "organizer"
    [event] = audit_since(db, mark)
    assert (event.action, event.actor_id, event.group_id, event.detail) == (
        "group.created", user_id(db, ADMIN), group.id, {"slug": "maritime"})
    # The admin sees it in the platform list, but not inside it.
    admin_home = soup(admin.get("/")).select_one("section.admin table").get_text()
    assert "/g/maritime" in admin_home
    assert admin.get("/g/maritime").status_code == 404
    # Haruka is its organizer at once.
    haruka = open_browser(MEMBER)
    assert {a["href"] for a in soup(haruka.get("/")).select("li.card h2 a")} == {"/g/trilateral", "/g/maritime"}
    dashboard = soup(haruka.get("/g/maritime"))
    assert dashboard.h1.get_text(strip=True) == NEW_GROUP["name"]
    assert "Your role organizer" in dashboard.select_one("dl.facts").get_text(" ", strip=True)
    assert dashboard.find("a", href="/g/maritime/subgroups/new") is not None


def test_admin_creates_a_group_for_a_new_organizer_and_gets_an_invitation_link(open_browser, db, settings):
    admin = open_browser(ADMIN)
    before = row_counts(db)
    response = submit(admin, "/admin/groups/new", "/admin/groups",
                      {**NEW_GROUP, "organizer_email": "Dana.Reyes@Example.org", "organizer_name": "Dana Reyes"})
    assert response.status_code == 200, response.text
    page = soup(response)
    assert page.h1.get_text(strip=True) == f"{NEW_GROUP['name']} is ready"
    assert "Dana Reyes (dana.reyes@example.org) has no account yet" in page.get_text()
    link = page.select_one("#invite-link")["value"]
    assert link.startswith(f"{settings.base_url}/invite/")
    after = row_counts(db)
    assert after["working_groups"] == before["working_groups"] + 1
    assert after["invitations"] == before["invitations"] + 1
    assert after["memberships"] == before["memberships"]
    with db.session() as s:
        invitation = s.exec(select(Invitation).where(Invitation.email == "dana.reyes@example.org")).one()
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "maritime")).one()
    assert (invitation.role, invitation.group_id, invitation.used_at) == ("organizer", group.id, None)
    invited = open_browser(None).get(link.removeprefix(settings.base_url))
    assert invited.status_code == 200
    assert NEW_GROUP["name"] in invited.text


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("slug", "Bad Slug!", "lower-case letters, digits and hyphens"),
    ("slug", "trilateral", "Another group already uses this address."),
    ("slug", "", "Enter a short address"),
    ("countries", "US, XX", "Unknown country code: XX"),
    ("countries", "", "Enter the participating countries"),
    ("organizer_email", "organizer-at-example.org", "Enter an e-mail address in the right format"),
    ("name", "", "Enter the group's name."),
    ("name", "G" * 201, "200 characters or fewer"),
], ids=["bad-slug", "duplicate-slug", "no-slug", "unknown-country", "no-countries", "bad-email", "no-name",
        "long-name"])
def test_group_creation_with_bad_input_shows_the_form_again(open_browser, db, field, value, expected):
    admin = open_browser(ADMIN)
    typed = {**NEW_GROUP, "organizer_email": "dana@example.org", "organizer_name": "Dana Reyes", field: value}
    before = group_state(db)
    response = submit(admin, "/admin/groups/new", "/admin/groups", typed)
    assert expected in assert_field_error(response, field, kept=value)
    page = soup(response)
    for name in ("name", "slug", "host_organisation", "countries", "organizer_email", "organizer_name"):
        assert page.select_one(f"#field-{name}")["value"] == typed[name], name
    assert page.select_one("#field-attribution_mode option[selected]")["value"] == "country"
    assert page.select_one("#field-consensus_rule option[selected]")["value"] == "no-objection"
    assert group_state(db) == before


@pytest.mark.parametrize("email", [ORGANIZER, MEMBER])
def test_only_platform_admins_create_groups(open_browser, db, email):
    client = open_browser(email)
    assert soup(client.get("/")).find("a", href="/admin/groups/new") is None
    before = group_state(db)
    assert_status_everywhere(client, [
        ("GET", "/admin/groups/new", None),
        ("POST", "/admin/groups", {**NEW_GROUP, "organizer_email": email}),
    ], 403)
    assert group_state(db) == before



def test_an_adviser_cannot_be_made_a_subgroup_chair(client: Any, db: Any) -> None:
    from sqlmodel import select as _select

    from wg.models import SubgroupMember as _SubgroupMember
    from wg.models import User as _User

    login(client, "organizer@example.org")
    with db.session() as s:
        adviser = s.exec(_select(_User).where(_User.email == "robert.lindqvist@example.org")).one()
        before = s.exec(_select(_SubgroupMember).where(_SubgroupMember.subgroup_id == 1)).all()
    page = client.get("/g/trilateral/subgroups/1")
    response = client.post("/g/trilateral/subgroups/1/members", data={
        "members": [str(adviser.id)], "chairs": [str(adviser.id)], "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "must have the role member" in response.text
    with db.session() as s:
        after = s.exec(_select(_SubgroupMember).where(_SubgroupMember.subgroup_id == 1)).all()
    assert sorted((m.user_id, m.is_chair) for m in after) == sorted((m.user_id, m.is_chair) for m in before)
