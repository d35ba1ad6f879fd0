"""CSRF, GET safety and security headers on every route with REAL ids; the Host check in production; the session
gaps the accounts tests leave.

tests/integration/test_core.py walks every route with the demo group's slug, user and subgroup, and "1"/"x" for
every other path parameter, so a route about a section, a recommendation, a comment, a revision or an export was
reached with an object that may not exist. Here every path parameter is filled with an object that does exist and
belongs to the rest of the path (a comment of that very recommendation, a revision of it, a real export), and the
same requests sent with the right token prove it: none of them is a 404.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlmodel import col, select

from tests.conftest import api_token, csrf_from, login, post_form
from tests.integration.test_core import (
    WRITE_METHODS,
    _attack,
    _refused_for_csrf,
    open_invitation,
    routes,
    security_problems,
    snapshot,
)
from tests.integration.test_exports import _export
from tests.live_server import free_port
from wg.app import create_app
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.middleware import host_allowed
from wg.features.accounts.sessions import SESSION_COOKIE
from wg.models import (
    Comment,
    Membership,
    Recommendation,
    Revision,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)
from wg.settings import load_settings

HOST = "testserver.local"
ORGANIZER = "organizer@example.org"
MEMBER = "maya.chen@example.org"
CO_CHAIR = "eleanor.hayes@example.org"
ADMIN = "admin@example.org"
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
# Routes that end the session or remove the member the others are about go last in the run with a valid token.
LAST = ("/members/{user_id:int}", "/remove", "/logout", "/api/v1/session")
SECOND_MEMBER = "james.holloway@example.org"  # removed by the page's remove button, while the API removes MEMBER


# --- real ids ------------------------------------------------------------------------------------------------------


def real_ids(db: Any) -> dict[str, Any]:
    """Real objects of the demo group: a section and a recommendation that both have comments, their revisions,
    a subgroup, a member."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        section_comment = s.exec(select(Comment).where(Comment.group_id == group.id, Comment.target_type == "section",
                                                       col(Comment.parent_id).is_(None)).order_by(Comment.id)).first()
        rec_comment = s.exec(select(Comment).where(Comment.group_id == group.id,
                                                   Comment.target_type == "recommendation",
                                                   col(Comment.parent_id).is_(None)).order_by(Comment.id)).first()
        assert section_comment is not None and rec_comment is not None
        rec = s.get(Recommendation, rec_comment.target_id)
        section = s.get(Section, section_comment.target_id)
        assert rec is not None and section is not None
        subgroup = s.exec(select(Subgroup).where(Subgroup.group_id == group.id).order_by(Subgroup.id)).first()
        member = s.exec(select(User).where(User.email == MEMBER)).one()
        second = s.exec(select(User).where(User.email == SECOND_MEMBER)).one()
        revs = {kind: max(s.exec(select(Revision.rev_no).where(Revision.target_type == kind,
                                                                Revision.target_id == target_id)))
                for kind, target_id in (("section", section.id), ("recommendation", rec.id))}
    assert subgroup is not None and min(revs.values()) >= 2
    return {"slug": "trilateral", "user_id": member.id, "second_user_id": second.id, "subgroup_id": subgroup.id,
            "section": section.id,
            "section_comment": section_comment.id, "number": rec.number, "rec_comment": rec_comment.id,
            "revs": revs}


def fill_real(template: str, ids: dict[str, Any]) -> str:
    """A concrete URL for a route template, every parameter an object that exists and fits the rest of the path."""
    about_rec = "/r/" in template or "/recommendations/{" in template
    about_section = "/sections/{" in template
    values = {
        "slug": ids["slug"], "subgroup_id": ids["subgroup_id"],
        "user_id": ids["second_user_id"] if template.endswith("/remove") else ids["user_id"],
        "section_id": ids["section"], "number": ids["number"],
        "ident": ids["number"] if about_rec else ids["section"],
        "comment_id": ids["rec_comment"] if about_rec or not about_section else ids["section_comment"],
        "rev_no": (ids["revs"]["recommendation"] if about_rec else ids["revs"]["section"]) - 1,
        "export_id": ids.get("export_id"), "token": ids.get("token"),
        "file_path": "wg.css", "path": "openapi.json",
    }

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert values.get(name) is not None, f"no real value for {{{name}}} in {template}"
        return str(values[name])
    return PARAM.sub(one, template)


def page(response: Any) -> BeautifulSoup:
    """The response parsed as HTML."""
    return BeautifulSoup(response.text, "html.parser")


def run_order(route: tuple[str, str]) -> tuple[int, str, str]:
    """Routes that change the member the others are about, or end the session, come last (a role change before
    the removal)."""
    method, template = route
    rank = next((i + 1 for i, end in enumerate(LAST) if template.endswith(end)), 0)
    if rank == 1 and method == "DELETE":
        rank = 2
    elif rank > 1:
        # (Was `elif rank:`, which put the role change at rank 2 beside the removal, where DELETE sorts first. It went
        # unnoticed while the invitation form silently switched the organizer's browser to the invited account, so
        # that neither ran as the organizer; the switch now asks first, and the removal ran before the role change.)
        rank += 1
    return rank, template, method


# --- CSRF with real ids --------------------------------------------------------------------------------------------


def test_every_state_changing_route_with_real_ids_refuses_forged_requests_and_accepts_real_ones(app, db,
                                                                                                  make_client):
    organizer = login(make_client(), ORGANIZER)
    own = api_token(organizer)
    other = api_token(login(make_client(), MEMBER))
    ids = {**real_ids(db), "token": open_invitation(db)}
    writes = sorted(routes(app, WRITE_METHODS), key=run_order)
    assert len(writes) >= 40
    urls = [(method, fill_real(template, ids), template) for method, template in writes]
    before = snapshot(db)
    accepted: dict[str, list[str]] = {}
    for variant, token, headers in (
        ("no token", None, {}),
        ("another session's token", other, {}),
        ("cross-site Origin", own, {"origin": "https://evil.example"}),
        ("cross-site Origin on the same registrable domain", own, {"origin": f"http://evil.{HOST}"}),
        ("cross-site fetch metadata", own, {"sec-fetch-site": "cross-site"}),
    ):
        for method, url, template in urls:
            response = _attack(organizer, method, url, token, headers)
            if not _refused_for_csrf(response):
                accepted.setdefault(variant, []).append(f"{method} {template} → {response.status_code}")
    # Objects that do not exist get the same 403: a forged request learns nothing about which ids are real.
    for method, template in writes:
        url = PARAM.sub(lambda m: "999999" if m.group(2) == "int" else str(ids.get(m.group(1), "nope")), template)
        response = _attack(organizer, method, url, None, {})
        if not _refused_for_csrf(response):
            accepted.setdefault("no token, missing objects", []).append(f"{method} {url} → {response.status_code}")
    assert accepted == {}
    assert snapshot(db) == before
    # The same requests with the organizer's own token reach their handlers: the objects are real (no 404), and
    # nothing is refused for CSRF.
    reached = {}
    for method, url, template in urls:
        # Fetched again each time: a password change or a role change on the way rotates the session and its token.
        response = _attack(organizer, method, url, api_token(organizer), {"origin": f"http://{HOST}"})
        reached[f"{method} {template}"] = response.status_code
        assert not _refused_for_csrf(response), (method, url, response.text[:300])
    assert [r for r, status in reached.items() if status == 404] == []
    assert all(status < 500 for status in reached.values()), reached
    assert snapshot(db) != before


# --- GET never writes, with real ids -------------------------------------------------------------------------------


@pytest.fixture
def exports(make_client: Any) -> dict[str, int]:
    """A real PDF and a real DOCX export of the demo report."""
    organizer = login(make_client(), ORGANIZER)
    made = {}
    for fmt in ("pdf", "docx"):
        job = _export(organizer, "public", fmt)
        assert job.status == "done", job.error
        made[fmt] = job.id or 0
    return made


def get_routes(app: Any) -> list[str]:
    """Every GET route template."""
    return [template for _, template in routes(app, {"GET"})]


def test_a_chair_opening_the_inbox_writes_nothing(make_client, db):
    # Deadline reminders (the demo has one due within 48 hours) come from a sweep, not from opening the inbox.
    chair = login(make_client(), CO_CHAIR)
    before = snapshot(db)
    assert chair.get("/inbox").status_code == 200
    assert snapshot(db) == before


# --- headers on every response -------------------------------------------------------------------------------------


def header_problems(response: Any, logged_in: bool) -> list[str]:
    """Security-header problems of any response: the full set on HTML, nosniff and no-store on everything else."""
    if response.headers.get("content-type", "").startswith("text/html"):
        return security_problems(response, logged_in)
    problems = []
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    # JSON errors (a HEAD of a GET-only API route is a 405 from the router) carry nobody's data.
    if logged_in and response.status_code < 400 and "no-store" not in response.headers.get("cache-control", ""):
        problems.append(f"Cache-Control is {response.headers.get('cache-control')!r} for a logged-in response")
    return problems


def test_every_get_with_real_ids_changes_no_row_and_every_response_has_the_security_headers(app, db, make_client,
                                                                                           exports):
    ids = {**real_ids(db), "token": open_invitation(db), "export_id": exports["pdf"]}
    browsers = {}
    for who in (None, MEMBER, ORGANIZER):
        browsers[who] = make_client()
        if who:
            login(browsers[who], who)
    before = snapshot(db)
    swept: dict[str | None, dict[str, Any]] = {}
    for who, browser in browsers.items():
        seen = swept[who] = {}
        for template in get_routes(app):
            url = fill_real(template, ids)
            seen[url] = browser.get(url, follow_redirects=False)
            seen[f"{url} (HEAD)"] = browser.head(url, follow_redirects=False)
            seen[f"{url} (htmx)"] = browser.get(url, headers={"HX-Request": "true"}, follow_redirects=False)
        statuses = {url: r.status_code for url, r in seen.items()}
        assert all(status < 500 for status in statuses.values()), statuses
        if who:
            assert [url for url, status in statuses.items() if status == 404] == [], "real ids answered 404"
    # GET and HEAD of every route (and as htmx asks), by everyone, changed nothing.
    assert snapshot(db) == before
    for who, browser in browsers.items():
        check_headers(browser, who, ids, exports, swept[who])


def check_headers(browser: Any, who: str | None, ids: dict[str, Any], exports: dict[str, int],
                  swept: dict[str, Any]) -> None:
    """Every page, fragment, error and download this browser can get carries the security headers."""
    seen = {url: response for url, response in swept.items()
            # Neither is about anyone: no session is read, so there is nothing to keep out of caches.
            if not url.startswith(("/static", "/healthz"))}
    g = "/g/trilateral"
    seen["404 inside the group"] = browser.get(f"{g}/sections/999999", follow_redirects=False)
    seen["404 api"] = browser.get("/api/v1/groups/trilateral/sections/999999")
    seen["405"] = browser.get("/logout")
    seen["403 csrf page"] = browser.post("/profile", data={"display_name": "x"})
    seen["403 csrf api"] = browser.post("/api/v1/inbox/read", json={})
    seen["400 bad query"] = browser.get(f"{g}/r/{ids['number']}/diff?from_rev=x&to_rev=1")
    if who:
        token = csrf_from(browser.get("/").text)
        htmx = {"x-csrftoken": token, "HX-Request": "true"}
        seen["preview fragment"] = browser.post(f"{g}/preview", data={"text": "**hi**"}, headers=htmx)
        seen["comments fragment"] = browser.post(f"{g}/sections/{ids['section']}/comments",
                                                 data={"body": "A comment", "paragraph": "1"}, headers=htmx)
        seen["422 form"] = post_form(browser, "/profile", "/profile", {"display_name": ""})
        seen["422 api"] = browser.post("/api/v1/groups/trilateral/preview", json={"text": 5},
                                       headers={"x-csrftoken": token})
    if who == ORGANIZER:
        for fmt, export_id in exports.items():
            download = browser.get(f"{g}/exports/{export_id}/file")
            assert download.status_code == 200 and len(download.content) > 1000, fmt
            seen[f"{fmt} download"] = download
            seen[f"{fmt} download (HEAD)"] = browser.head(f"{g}/exports/{export_id}/file")
    problems = {key: found for key, response in seen.items()
                if (found := header_problems(response, logged_in=who is not None))}
    assert problems == {}
    if who == ORGANIZER:
        assert seen["pdf download"].headers["content-type"] == "application/pdf"
        assert seen["preview fragment"].status_code == 200 and "<strong>hi</strong>" in seen["preview fragment"].text
        assert "<html" not in seen["preview fragment"].text
    assert seen["404 inside the group"].status_code == (404 if who else 303) and seen["405"].status_code == 405
    assert seen["403 csrf page"].status_code == 403 and seen["403 csrf api"].status_code in {401, 403}


# --- Host header in production -------------------------------------------------------------------------------------


def production_settings(settings: Any, **extra: str) -> Any:
    """The test's database and folders, with production settings."""
    return load_settings({
        "WG_ENV": "production", "WG_DATA_DIR": str(settings.data_dir), "WG_DATABASE_URL": settings.database_url,
        "WG_EXPORTS_DIR": str(settings.exports_dir), "WG_SECRET_KEY": settings.secret_key, **extra})


BAD_HOSTS = ["evil.example", "wg.example.org.evil.example", "evil.example:443", "wg.example.org@evil.example",
             "127.0.0.1", "", "localhost"]
PATHS = ["/", "/login", "/healthz", "/api/v1/session", "/static/wg.css", "/g/trilateral", "/no-such-page",
         "/schema"]


def test_production_answers_400_to_an_unknown_host_and_serves_the_allowed_one(settings, db):
    prod = production_settings(settings, WG_ALLOWED_HOSTS="wg.example.org")
    assert prod.is_production and prod.allowed_hosts == ("wg.example.org",)
    app = create_app(prod, db=db)
    with TestClient(app=app, base_url="https://wg.example.org") as client:
        for path in PATHS:
            for host in ("wg.example.org", "WG.Example.org:8443", "wg.example.org."):
                good = client.get(path, headers={"host": host}, follow_redirects=False)
                assert good.status_code in {200, 303, 404}, (path, host, good.status_code)
            for host in BAD_HOSTS:
                bad = client.get(path, headers={"host": host}, follow_redirects=False)
                assert bad.status_code == 400, (path, host, bad.status_code)
                assert "set-cookie" not in bad.headers, (path, host)
                assert bad.headers.get("x-content-type-options") == "nosniff", (path, host)
        # A write from an unknown host is refused before anything else looks at it.
        refused = client.post("/login", data={"email": ORGANIZER, "password": "x"}, headers={"host": "evil.example"})
        assert refused.status_code == 400
    # The allowed host works end to end: a login sets a Secure cookie.
    with TestClient(app=app, base_url="https://wg.example.org") as client:
        form = client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        response = client.post("/login", data={"email": ORGANIZER, "password": DEMO_PASSWORD,
                                               "_csrf_token": csrf_from(form.text)}, follow_redirects=False)
        assert response.status_code == 303
        cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v]
        assert cookie and "secure" in cookie[0].lower() and "httponly" in cookie[0].lower()


@pytest.mark.parametrize(("host", "allowed"), [
    ("wg.example.org", True), ("WG.EXAMPLE.ORG", True), ("wg.example.org:8443", True), ("wg.example.org.", True),
    ("a.wg.example.org", False), ("wg.example.org.evil.example", False), ("evil.example", False), ("", False),
    ("wg.example.org@evil.example", False), ("evil.example/wg.example.org", False), ("wg.example.org:x", False),
    ("sub.example.net", True), ("example.net", False), ("deep.sub.example.net:1", True),
    ("127.0.0.1:8000", False), ("127.0.0.1:9000", True), ("[::1]:9000", True), ("[::1]", True), ("[::2]", False),
])
def test_host_matching_ignores_port_case_and_the_final_dot_and_nothing_else(host, allowed):
    hosts = ("wg.example.org", "*.example.net", "127.0.0.1:9000", "[::1]")
    assert host_allowed(host, hosts) is allowed


def test_production_without_allowed_hosts_accepts_only_loopback_names(settings, db):
    app = create_app(production_settings(settings), db=db)
    with TestClient(app=app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/login").status_code == 200
        # The port is not part of the check: the container's health check asks for 127.0.0.1:8000.
        assert client.get("/login", headers={"host": "127.0.0.1:8000"}).status_code == 200
        assert client.get("/healthz", headers={"host": "localhost:8000"}).status_code == 200
        assert client.get("/login", headers={"host": "wg.example.org"}).status_code == 400


def test_a_real_production_server_refuses_unknown_hosts(settings, tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "WG_ENV": "production", "WG_DATA_DIR": str(settings.data_dir),
           "WG_DATABASE_URL": settings.database_url, "WG_EXPORTS_DIR": str(settings.exports_dir),
           "WG_SECRET_KEY": settings.secret_key, "WG_ALLOWED_HOSTS": "wg.example.org,127.0.0.1",
           "WG_BASE_URL": "https://wg.example.org"}
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "wg", "serve", "--port", str(port)], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:  # noqa: S310
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"wg serve did not start:\n{Path(log_path).read_text()}")
                time.sleep(0.1)

            def status(host: str, path: str = "/login") -> tuple[int, dict[str, str]]:
                conn = HTTPConnection("127.0.0.1", port, timeout=5)
                conn.putrequest("GET", path, skip_host=True)
                conn.putheader("Host", host)
                conn.endheaders()
                response = conn.getresponse()
                response.read()
                headers = {k.lower(): v for k, v in response.getheaders()}
                conn.close()
                return response.status, headers

            assert status("wg.example.org")[0] == 200
            assert status(f"127.0.0.1:{port}", "/healthz")[0] == 200  # what the Dockerfile's health check sends
            for host in ("evil.example", "wg.example.org.evil.example", "localhost"):
                code, headers = status(host)
                assert code == 400, host
                assert headers.get("x-content-type-options") == "nosniff"
            code, headers = status("wg.example.org", "/g/trilateral")
            assert code == 303 and headers["location"].startswith("/login")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


# --- sessions: what the accounts tests leave open ------------------------------------------------------------------


def test_after_a_role_change_the_old_pages_token_is_dead_and_the_new_one_works(make_client, db):
    organizer = login(make_client(), ORGANIZER)
    member = login(make_client(), MEMBER)
    old_token = csrf_from(member.get("/profile").text)
    uid = real_ids(db)["user_id"]
    changed = organizer.patch(f"/api/v1/groups/trilateral/members/{uid}", json={"role": "co-chair"},
                              headers={"x-csrftoken": api_token(organizer)})
    assert changed.status_code == 200
    data = {"display_name": "Maya Chen", "country": "US", "time_zone": "UTC"}
    # The request carrying the stale token is the one that rotates the session: refused, nothing saved.
    stale = member.post("/profile", data={**data, "display_name": "Stale Form", "_csrf_token": old_token},
                        follow_redirects=False)
    assert stale.status_code == 403
    with db.session() as s:
        assert s.exec(select(User.display_name).where(User.email == MEMBER)).one() == "Maya Chen"
    fresh = member.get("/profile")
    new_token = csrf_from(fresh.text)
    assert new_token != old_token
    saved = member.post("/profile", data={**data, "display_name": "Maya Q. Chen", "_csrf_token": new_token},
                        follow_redirects=False)
    assert saved.status_code == 303


def test_removal_from_a_subgroup_takes_effect_on_the_next_request(make_client, db):
    """Drafting rights follow subgroup membership at once: the section's editor is refused on the next request."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        link, member = s.exec(select(SubgroupMember, User).join(User, col(User.id) == col(SubgroupMember.user_id))
                              .join(Membership, col(Membership.user_id) == col(User.id))
                              .where(Membership.group_id == group.id, Membership.role == "member",
                                     ~col(SubgroupMember.is_chair)).order_by(User.id)).first() or (None, None)
        assert link is not None and member is not None, "a demo member belongs to a subgroup"
        section = s.exec(select(Section).where(Section.group_id == group.id,
                                               Section.subgroup_id == link.subgroup_id)).first()
        assert section is not None
        subgroup_id, section_id = link.subgroup_id, section.id
        others = [m.user_id for m in s.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == subgroup_id))
                  if m.user_id != member.id]
        chairs = [m.user_id for m in s.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == subgroup_id,
                                                                          SubgroupMember.is_chair))]
    organizer = login(make_client(), ORGANIZER)
    browser = login(make_client(), member.email)
    editor = browser.get(f"/g/trilateral/sections/{section_id}/edit")
    assert editor.status_code == 200
    form = page(editor).select_one("form[method=post]")
    assert form is not None
    before_cookie = browser.cookies.get(SESSION_COOKIE)
    token = csrf_from(organizer.get(f"/g/trilateral/subgroups/{subgroup_id}").text)
    response = organizer.post(f"/g/trilateral/subgroups/{subgroup_id}/members",
                              data={"members": [str(u) for u in others], "chairs": [str(u) for u in chairs],
                                    "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    refused = browser.get(f"/g/trilateral/sections/{section_id}/edit")
    assert refused.status_code == 403
    assert browser.cookies.get(SESSION_COOKIE) != before_cookie, "the session id rotates on the change"
    # A save from the editor that was already open is refused too, and writes no revision.
    with db.session() as s:
        revisions = len(s.exec(select(Revision).where(Revision.target_type == "section",
                                                      Revision.target_id == section_id)).all())
    from tests.forms import form_values
    values = {**form_values(form), "text": "Written after removal."}
    values["_csrf_token"] = csrf_from(browser.get("/profile").text)
    late = browser.post(f"/g/trilateral/sections/{section_id}/edit", data=values, follow_redirects=False)
    assert late.status_code == 403
    with db.session() as s:
        assert len(s.exec(select(Revision).where(Revision.target_type == "section",
                                                 Revision.target_id == section_id)).all()) == revisions


def test_a_removed_member_cannot_write_with_a_valid_token(make_client, db):
    organizer = login(make_client(), ORGANIZER)
    member = login(make_client(), MEMBER)
    ids = real_ids(db)
    token = api_token(member)
    removed = organizer.delete(f"/api/v1/groups/trilateral/members/{ids['user_id']}",
                               headers={"x-csrftoken": api_token(organizer)})
    assert removed.status_code == 204
    token = api_token(member)  # the rotated session's own token: still no way in
    with db.session() as s:
        comments = len(s.exec(select(Comment)).all())
    for url, body in ((f"/api/v1/groups/trilateral/recommendations/{ids['number']}/comments", {"body": "late"}),
                      (f"/api/v1/groups/trilateral/recommendations/{ids['number']}/positions/me",
                       {"stance": "support"})):
        method = "PUT" if url.endswith("/me") else "POST"
        response = member.request(method, url, json=body, headers={"x-csrftoken": token})
        assert response.status_code == 404, (url, response.status_code)
    with db.session() as s:
        assert len(s.exec(select(Comment)).all()) == comments
