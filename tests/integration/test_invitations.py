"""Invitations: an organizer makes a one-time link, a new person opens it, joins and is logged in."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlmodel import func, select

from tests.conftest import api_token, csrf_from, login, post_form
from wg.demo import DEMO_PASSWORD
from wg.models import AuditEvent, Invitation, Membership, User

ORGANIZER = "organizer@example.org"
MEMBER = "maya.chen@example.org"
GROUP_NAME = "U.S.–Japan–ROK Trilateral Working Group"
MEMBERS_PAGE = "/g/trilateral/members"
INVITE_ACTION = "/g/trilateral/members/invite"
NEWCOMER = {"email": "ada.newcomer@example.org", "display_name": "Ada Newcomer", "country": "KR", "role": "adviser"}
NEW_PASSWORD = "newcomer-password-1"


@pytest.fixture
def organizer(make_client) -> TestClient:
    """The demo group's organizer, logged in."""
    return login(make_client(), ORGANIZER)


# --- helpers -------------------------------------------------------------------------------------------------------


def page(response) -> BeautifulSoup:
    """The response parsed as HTML."""
    return BeautifulSoup(response.text, "html.parser")


def count(db, model, *where) -> int:
    """How many rows of ``model`` match."""
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def error_beside(soup: BeautifulSoup, name: str) -> str:
    """The error message shown in the same form field as the control ``name``."""
    control = soup.select_one(f"#field-{name}")
    assert control is not None, f"no control #field-{name}"
    message = control.find_parent("div", class_="field").select_one(".error-message")
    assert message is not None, f"no error message beside {name}"
    assert control.get("aria-invalid") == "true"
    return message.get_text(" ", strip=True).removeprefix("Error:").strip()


def summary_links(soup: BeautifulSoup) -> dict[str, str]:
    """The error summary's links: target → text."""
    return {a["href"]: a.get_text(strip=True) for a in soup.select(".error-summary a")}


def shown_value(form, name: str) -> str | None:
    """What a form's text input or select shows for ``name``."""
    control = form.select_one(f"[name={name}]")
    assert control is not None, f"no control named {name}"
    if control.name == "select":
        chosen = control.select_one("option[selected]")
        return chosen["value"] if chosen else None
    return control.get("value")


def invite_form(soup: BeautifulSoup):
    """The organizer's invitation form on the members page."""
    form = soup.select_one(f"form[action='{INVITE_ACTION}']")
    assert form is not None
    return form


def invite(organizer: TestClient, data: dict[str, str] = NEWCOMER) -> str:
    """Invite someone through the members page; return the link's path."""
    response = post_form(organizer, MEMBERS_PAGE, INVITE_ACTION, data)
    assert response.status_code == 200, response.text
    link = page(response).select_one("#invite-link")
    assert link is not None
    return urlsplit(link["value"]).path


def accept(browser: TestClient, path: str, **changes: str):
    """Fill in the invitation form as the new person and submit it."""
    form = browser.get(path)
    assert form.status_code == 200, form.text
    data = {"display_name": "Ada Newcomer", "native_name": "에이다", "country": "KR", "affiliation": "Busan Institute",
            "sector": "academia", "time_zone": "Asia/Seoul", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD, "_csrf_token": csrf_from(form.text), **changes}
    return browser.post(path, data=data, follow_redirects=False)


def assert_link_does_not_work(response) -> None:
    """The page every unusable invitation link shows."""
    assert response.status_code == 404
    soup = page(response)
    assert soup.h1.get_text(strip=True) == "This invitation link does not work"
    assert soup.select_one("header.site-header") is not None
    assert soup.select_one("input[name=password]") is None


# --- the organizer invites -----------------------------------------------------------------------------------------


def test_organizer_invites_and_sees_the_link_once(organizer, db, settings):
    before = count(db, Invitation)
    response = post_form(organizer, MEMBERS_PAGE, INVITE_ACTION, NEWCOMER)
    assert response.status_code == 200
    soup = page(response)
    notice = soup.select_one("[role=status]")
    assert "Invitation ready for ada.newcomer@example.org" in notice.get_text(" ", strip=True)
    link = soup.select_one("#invite-link")["value"]
    assert link.startswith(f"{settings.base_url}/invite/")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 32
    # The form is empty again for the next invitation.
    form = invite_form(soup)
    assert shown_value(form, "email") == "" and shown_value(form, "display_name") == ""
    assert count(db, Invitation) == before + 1
    with db.session() as s:
        row = s.exec(select(Invitation).where(Invitation.email == NEWCOMER["email"])).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert (row.role, row.country, row.display_name, row.used_at) == ("adviser", "KR", "Ada Newcomer", None)
    # Shown once: the members page lists the invitation as pending, never the link again.
    again = organizer.get(MEMBERS_PAGE)
    assert token not in again.text
    assert page(again).select_one("#invite-link") is None
    pending = page(again).find("h3", string="Waiting for an answer").find_next("ul").get_text(" ", strip=True)
    assert "Ada Newcomer (ada.newcomer@example.org), adviser" in pending


def test_the_link_names_this_site_whatever_host_the_request_claims(organizer, settings):
    page_ = organizer.get(MEMBERS_PAGE)
    response = organizer.post(INVITE_ACTION, data={**NEWCOMER, "_csrf_token": csrf_from(page_.text)},
                              headers={"host": "evil.example"})
    assert response.status_code == 200
    assert page(response).select_one("#invite-link")["value"].startswith(f"{settings.base_url}/invite/")


def test_members_do_not_see_the_invitation_form_and_cannot_post_it(make_client, db):
    member = login(make_client(), MEMBER)
    members = member.get(MEMBERS_PAGE)
    assert members.status_code == 200
    assert page(members).select_one(f"form[action='{INVITE_ACTION}']") is None
    before = count(db, Invitation)
    refused = member.post(INVITE_ACTION, data={**NEWCOMER, "_csrf_token": csrf_from(members.text)})
    assert refused.status_code == 403
    assert count(db, Invitation) == before


# --- the new person joins ------------------------------------------------------------------------------------------


def test_new_person_joins_and_lands_logged_in_on_the_dashboard(organizer, make_client, db):
    path = invite(organizer)
    newcomer = make_client()
    form_page = newcomer.get(path)
    assert form_page.status_code == 200
    soup = page(form_page)
    assert soup.h1.get_text(strip=True) == f"Join {GROUP_NAME}"
    assert "adviser" in soup.select_one("main").get_text() and NEWCOMER["email"] in soup.select_one("main").get_text()
    form = soup.select_one(f"form[action='{path}']")
    assert shown_value(form, "display_name") == "Ada Newcomer"
    assert shown_value(form, "country") == "KR"
    response = accept(newcomer, path)
    assert response.status_code == 303
    assert response.headers["location"] == "/g/trilateral"
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("wg_session=")]
    assert cookie and "HttpOnly" in cookie[0]
    dashboard = newcomer.get("/g/trilateral")
    assert dashboard.status_code == 200
    board = page(dashboard)
    assert board.h1.get_text(strip=True) == GROUP_NAME
    assert "Ada Newcomer" in board.select_one("nav[aria-label=Account]").get_text()
    me = newcomer.get("/api/v1/me").json()
    assert (me["email"], me["display_name"], me["native_name"], me["time_zone"]) == (
        NEWCOMER["email"], "Ada Newcomer", "에이다", "Asia/Seoul")
    assert newcomer.get("/api/v1/groups/trilateral").json()["my_role"] == "adviser"
    # The organizer sees the new person on the roster and no longer as pending.
    roster = organizer.get(MEMBERS_PAGE)
    assert "Ada Newcomer" in page(roster).select_one("table.members").get_text()
    assert page(roster).find("h3", string="Waiting for an answer") is None
    with db.session() as s:
        user = s.exec(select(User).where(User.email == NEWCOMER["email"])).one()
        assert user.password_hash and NEW_PASSWORD not in user.password_hash
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "invitation.accepted")).all()
    assert [e.actor_id for e in events] == [user.id]
    # And the password works for logging in later.
    assert login(make_client(), NEWCOMER["email"], NEW_PASSWORD)


def test_the_link_works_only_once(organizer, make_client, db):
    path = invite(organizer)
    assert accept(make_client(), path).status_code == 303
    users = count(db, User)
    assert_link_does_not_work(make_client().get(path))
    late = make_client()
    token_page = late.get("/login")  # any page gives this browser a CSRF token
    second = late.post(path, data={"display_name": "Mallory", "country": "US", "time_zone": "UTC",
                                   "password": "mallory-password", "password_confirm": "mallory-password",
                                   "_csrf_token": csrf_from(token_page.text)}, follow_redirects=False)
    assert_link_does_not_work(second)
    assert late.get("/api/v1/session").json()["authenticated"] is False
    assert count(db, User) == users


def test_two_browsers_using_the_same_link_at_once_make_one_member(organizer, make_client, db):
    path = invite(organizer)
    browsers = [make_client(), make_client()]
    tokens = [csrf_from(b.get(path).text) for b in browsers]
    users = count(db, User)
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def use(i: int) -> None:
        start.wait()
        response = browsers[i].post(path, data={"display_name": f"Ada {i}", "country": "KR", "time_zone": "UTC",
                                                "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
                                                "_csrf_token": tokens[i]}, follow_redirects=False)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303, 404]
    assert count(db, User) == users + 1
    assert count(db, Membership, Membership.user_id.in_(select(User.id).where(User.email == NEWCOMER["email"]))) == 1


def test_an_expired_link_does_not_work(organizer, make_client, db):
    path = invite(organizer)
    with db.transaction() as s:
        row = s.exec(select(Invitation).where(Invitation.email == NEWCOMER["email"])).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        s.add(row)
    browser = make_client()
    assert_link_does_not_work(browser.get(path))
    users = count(db, User)
    token_page = browser.get("/login")
    late = browser.post(path, data={"display_name": "Ada", "country": "KR", "time_zone": "UTC",
                                    "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
                                    "_csrf_token": csrf_from(token_page.text)}, follow_redirects=False)
    assert_link_does_not_work(late)
    assert count(db, User) == users


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "y" * 300])
def test_a_made_up_link_does_not_work(client, token):
    assert_link_does_not_work(client.get(f"/invite/{token}"))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"password": "short", "password_confirm": "short"}, "password", "Use at least 10 characters."),
    ({"password_confirm": "something-else-entirely"}, "password_confirm", "The two passwords do not match."),
    ({"display_name": "  "}, "display_name", "Enter your name."),
    ({"country": "ZZ"}, "country", "Choose a country from the list"),
])
def test_joining_with_a_mistake_keeps_what_was_typed_and_the_link(organizer, make_client, db, changes, field,
                                                                   message):
    path = invite(organizer)
    users = count(db, User)
    newcomer = make_client()
    response = accept(newcomer, path, **changes)
    assert response.status_code == 422
    soup = page(response)
    assert error_beside(soup, field).startswith(message)
    assert list(summary_links(soup)) == [f"#field-{field}"]
    form = soup.select_one(f"form[action='{path}']")
    for name, typed in (("display_name", "Ada Newcomer"), ("native_name", "에이다"), ("affiliation", "Busan Institute"),
                        ("time_zone", "Asia/Seoul"), ("sector", "academia"), ("country", "KR")):
        if name == field:
            continue
        assert shown_value(form, name) == typed
    if field == "display_name":
        assert shown_value(form, "display_name") == "  "
    assert form.select_one("[name=password]").get("value") is None
    assert form.select_one("[name=password_confirm]").get("value") is None
    assert count(db, User) == users
    assert newcomer.get("/api/v1/session").json()["authenticated"] is False
    # The link still works: fix the mistake and join.
    assert accept(newcomer, path).status_code == 303


def test_someone_with_an_account_logs_in_first_then_joins(organizer, make_client, db):
    path = invite(organizer, {"email": "admin@example.org", "display_name": "Platform Administrator",
                              "country": "US", "role": "observer"})
    browser = make_client()
    invitation = page(browser.get(path))
    assert invitation.select_one("input[name=password]") is None
    login_link = invitation.select_one("main a[href^='/login']")
    assert login_link is not None
    assert parse_qs(urlsplit(login_link["href"]).query) == {"next": [path]}
    # Without logging in, the invitation cannot be taken over by setting a new password.
    refused = browser.post(path, data={"display_name": "Intruder", "country": "US", "time_zone": "UTC",
                                       "password": "intruder-password", "password_confirm": "intruder-password",
                                       "_csrf_token": csrf_from(browser.get(path).text)}, follow_redirects=False)
    assert refused.status_code == 422
    assert "Log in as the invited account" in page(refused).select_one(".error-summary").get_text()
    assert browser.get("/api/v1/session").json()["authenticated"] is False
    form = browser.get(login_link["href"])
    back = browser.post("/login", data={"email": "admin@example.org", "password": DEMO_PASSWORD,
                                        "next": page(form).select_one("input[name=next]")["value"],
                                        "_csrf_token": csrf_from(form.text)}, follow_redirects=False)
    assert back.headers["location"] == path
    join_page = browser.get(path)
    join_form = page(join_page).select_one(f"form[action='{path}']")
    assert join_form.select_one("button[type=submit]").get_text(strip=True) == "Join the group"
    joined = browser.post(path, data={"_csrf_token": csrf_from(join_page.text)}, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/g/trilateral"
    assert browser.get("/g/trilateral").status_code == 200
    assert browser.get("/api/v1/groups/trilateral").json()["my_role"] == "observer"
    with db.session() as s:
        admin = s.exec(select(User).where(User.email == "admin@example.org")).one()
        assert admin.display_name == "Platform Administrator"
        membership = s.exec(select(Membership).where(Membership.user_id == admin.id)).one()
    assert membership.listed_in_report is False
    assert login(make_client(), "admin@example.org", DEMO_PASSWORD)


# --- mistakes in the invitation form -------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", MEMBER, "This person is already a member of the group."),
    ("email", "  Maya.Chen@EXAMPLE.org ", "This person is already a member of the group."),
    ("email", "not-an-address", "Enter an e-mail address in the right format"),
    ("email", "ada@", "Enter an e-mail address in the right format"),
    ("email", "", "Enter an e-mail address."),
    ("display_name", "", "Enter the person's name."),
    ("country", "ZZ", "Choose a country from the list"),
    ("role", "emperor", "Choose a role"),
])
def test_invitation_mistakes_come_back_with_values_kept_and_nothing_written(organizer, db, field, value, message):
    invitations, events = count(db, Invitation), count(db, AuditEvent)
    typed = {**NEWCOMER, field: value}
    response = post_form(organizer, MEMBERS_PAGE, INVITE_ACTION, typed)
    assert response.status_code == 422
    soup = page(response)
    assert soup.h1.get_text(strip=True) == "Members"
    assert error_beside(soup, field).startswith(message)
    links = summary_links(soup)
    assert list(links) == [f"#field-{field}"] and links[f"#field-{field}"].startswith(message)
    assert soup.select_one("#invite-link") is None
    form = invite_form(soup)
    for name in ("email", "display_name"):
        assert shown_value(form, name) == typed[name]
    for name in ("country", "role"):
        assert shown_value(form, name) == (None if name == field else typed[name])
    assert (count(db, Invitation), count(db, AuditEvent)) == (invitations, events)


def test_every_invitation_mistake_is_listed_at_once(organizer, db):
    before = count(db, Invitation)
    response = post_form(organizer, MEMBERS_PAGE, INVITE_ACTION,
                         {"email": "nope", "display_name": "", "country": "ZZ", "role": "king"})
    assert response.status_code == 422
    soup = page(response)
    assert set(summary_links(soup)) == {"#field-email", "#field-display_name", "#field-country", "#field-role"}
    assert count(db, Invitation) == before


# --- the API -------------------------------------------------------------------------------------------------------


def test_api_invitation_gives_a_working_link(organizer, make_client, db):
    before = count(db, Invitation)
    response = organizer.post("/api/v1/groups/trilateral/invitations", json=NEWCOMER,
                              headers={"x-csrftoken": api_token(organizer)})
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"]) == (NEWCOMER["email"], "adviser")
    assert "/invite/" in body["link"] and body["expires_at"]
    assert count(db, Invitation) == before + 1
    assert accept(make_client(), urlsplit(body["link"]).path).status_code == 303


@pytest.mark.parametrize(("body", "fields"), [
    ({**NEWCOMER, "email": "not-an-address"}, {"email"}),
    ({**NEWCOMER, "email": MEMBER}, {"email"}),
    ({**NEWCOMER, "country": "ZZ"}, {"country"}),
    ({**NEWCOMER, "role": "emperor"}, {"role"}),
    ({"email": "x", "display_name": "", "country": "ZZ", "role": "king"}, {"email", "display_name", "country", "role"}),
    ({**NEWCOMER, "email": 42}, {"email"}),
    ({"email": NEWCOMER["email"], "display_name": "Ada"}, {"country"}),
])
def test_api_invitation_mistakes_answer_422_with_field_paths(organizer, db, body, fields):
    before = count(db, Invitation)
    response = organizer.post("/api/v1/groups/trilateral/invitations", json=body,
                              headers={"x-csrftoken": api_token(organizer)})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["errors"]
    assert {e["field"] for e in errors} == fields
    assert all(e["message"] for e in errors)
    assert count(db, Invitation) == before


def test_api_invitation_by_a_member_is_refused(make_client, db):
    member = login(make_client(), MEMBER)
    before = count(db, Invitation)
    response = member.post("/api/v1/groups/trilateral/invitations", json=NEWCOMER,
                           headers={"x-csrftoken": api_token(member)})
    assert response.status_code == 403
    assert response.json()["status_code"] == 403
    assert count(db, Invitation) == before


def test_api_invitation_to_a_group_one_is_not_in_is_404(make_client, db):
    admin = login(make_client(), "admin@example.org")
    response = admin.post("/api/v1/groups/trilateral/invitations", json=NEWCOMER,
                          headers={"x-csrftoken": api_token(admin)})
    assert response.status_code == 404
    assert response.json()["status_code"] == 404
    assert count(db, Invitation, Invitation.email == NEWCOMER["email"]) == 0


def test_accepting_while_logged_in_as_someone_else_asks_first(organizer, make_client, db):
    path = invite(organizer)
    browser = login(make_client(), MEMBER)  # someone else's browser, or a shared computer
    asked = browser.get(path)
    assert asked.status_code == 200
    soup = page(asked)
    assert soup.h1.get_text(strip=True) == "This invitation is for another account"
    text = soup.select_one("main").get_text(" ", strip=True)
    assert MEMBER in text and NEWCOMER["email"] in text
    assert soup.select_one("input[name=password]") is None
    users = count(db, User)
    # Posting the form anyway (it was open before this browser logged in) switches nothing either.
    data = {"display_name": "Ada Newcomer", "country": "KR", "time_zone": "UTC", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD, "_csrf_token": csrf_from(asked.text)}
    refused = browser.post(path, data=data, follow_redirects=False)
    assert refused.status_code == 409
    assert page(refused).h1.get_text(strip=True) == "This invitation is for another account"
    assert count(db, User) == users
    assert browser.get("/api/v1/me").json()["email"] == MEMBER
    # "Log out and continue" ends the member's session and comes back to the invitation, which then works.
    switch = page(browser.get(path)).select_one("main form[action^='/logout?']")
    assert switch["action"] == f"/logout?next={path}"
    out = browser.post(switch["action"], data={"_csrf_token": switch.select_one("input[name=_csrf_token]")["value"]},
                       follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == path
    assert browser.get("/api/v1/session").json()["authenticated"] is False
    assert accept(browser, path).status_code == 303
    assert browser.get("/api/v1/me").json()["email"] == NEWCOMER["email"]
    # The logout's destination stays on this site.
    other = login(make_client(), MEMBER)
    token = csrf_from(other.get("/").text)
    away = other.post("/logout?next=https://evil.example/", data={"_csrf_token": token}, follow_redirects=False)
    assert away.headers["location"] == "/login"
