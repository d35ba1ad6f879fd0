"""Core behaviour every page and API call shares: health, schema, errors, security headers, CSRF, safe GETs."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlalchemy import inspect, text
from sqlmodel import select

from tests.conftest import api_token, csrf_from, login, post_form
from wg.features.accounts.operations import invitation_token_hash, new_invitation_token
from wg.models import Invitation, Subgroup, User, WorkingGroup
from wg.models.base import utcnow

HOST = "testserver.local"
ORGANIZER = "organizer@example.org"
MEMBER = "maya.chen@example.org"
ADMIN = "admin@example.org"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGES = ("This form has expired or did not come from wg", "Cross-site request refused")
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


# --- helpers -------------------------------------------------------------------------------------------------------


def page(response) -> BeautifulSoup:
    """The response parsed as HTML."""
    return BeautifulSoup(response.text, "html.parser")


def routes(app, methods: set[str]) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers with one of ``methods``."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) & methods:
                found.add((method, route.path))
    return sorted(found)


def path_values(db) -> dict[str, str]:
    """Real values for the path parameters of the demo group (anything else gets a harmless placeholder)."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        subgroup = s.exec(select(Subgroup).where(Subgroup.group_id == group.id).order_by(Subgroup.id)).first()
        member = s.exec(select(User).where(User.email == MEMBER)).one()
    return {"slug": "trilateral", "user_id": str(member.id), "subgroup_id": str(subgroup.id),
            "file_path": "wg.css", "path": "openapi.json"}


def fill(template: str, values: dict[str, str]) -> str:
    """A concrete URL for a route template."""
    def one(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2) or "str"
        return values.get(name, "1" if kind == "int" else "x")
    return PARAM.sub(one, template)


def snapshot(db) -> dict[str, list[str]]:
    """Every row of every table, to prove a series of requests changed nothing."""
    with db.engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {name: sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))
                for name in names}


def open_invitation(db) -> str:
    """A real, unused invitation into the demo group; returns its token."""
    token = new_invitation_token()
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        s.add(Invitation(group_id=group.id, token_hash=invitation_token_hash(token), email="guest@example.org",
                         display_name="Guest Person", country="JP", role="member",
                         expires_at=utcnow().replace(year=utcnow().year + 1)))
    return token


def security_problems(response, logged_in: bool) -> list[str]:
    """What is wrong with an HTML response's security headers."""
    problems = []
    csp = response.headers.get("content-security-policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows inline code: {csp}")
    if "frame-ancestors 'none'" not in csp:
        problems.append("CSP lacks frame-ancestors 'none'")
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("referrer-policy") not in {"same-origin", "no-referrer", "strict-origin"}:
        problems.append(f"Referrer-Policy is {response.headers.get('referrer-policy')!r}")
    if logged_in and "no-store" not in response.headers.get("cache-control", ""):
        problems.append(f"Cache-Control is {response.headers.get('cache-control')!r} for a logged-in page")
    return problems


def markup_problems(soup: BeautifulSoup) -> list[str]:
    """External resources, and inline code the CSP would block anyway."""
    problems = []
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                      ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")):
        for element in soup.find_all(tag):
            value = element.get(attr)
            if value and EXTERNAL.match(value) and not value.startswith("data:"):
                problems.append(f"<{tag} {attr}={value!r}>")
    for element in soup.find_all("img"):
        if element.get("srcset") and re.search(r"(?:https?:)?//", element["srcset"]):
            problems.append(f"<img srcset={element['srcset']!r}>")
    for script in soup.find_all("script"):
        if not script.get("src") and script.get_text(strip=True):
            problems.append("inline <script>")
    if soup.find("style"):
        problems.append("inline <style>")
    for element in soup.find_all(True):
        if element.has_attr("style"):
            problems.append(f"style attribute on <{element.name}>")
        problems.extend(f"{attr} handler on <{element.name}>" for attr in element.attrs if attr.startswith("on"))
    return problems


def html_pages(app, browser: TestClient, values: dict[str, str]) -> dict[str, object]:
    """Every page the app serves (GET routes outside /api, /static and /schema), as this browser sees it."""
    seen = {}
    for _, template in routes(app, {"GET"}):
        if template.startswith(("/api/", "/static", "/schema", "/healthz")):
            continue
        url = fill(template, values)
        seen[url] = browser.get(url)
    return seen


# --- health, schema, errors ----------------------------------------------------------------------------------------


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/schema", "/schema/openapi.json"])
def test_schema_is_an_openapi_document_of_the_api(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    paths = document["paths"]
    assert "/api/v1/groups" in paths
    assert {"get", "post"} <= set(paths["/api/v1/groups"])
    assert "/api/v1/groups/{slug}/invitations" in paths
    assert all(p.startswith("/api/") for p in paths), "pages and health checks stay out of the API schema"


@pytest.mark.parametrize(("who", "path"), [
    (None, "/no-such-page"), (None, "/invite-nothing/x"), (None, "/static/no-such-file.css"),
    (MEMBER, "/no-such-page"), (MEMBER, "/invite-nothing/x"), (MEMBER, "/g/no-such-group"),
    (MEMBER, "/g/trilateral/subgroups/999999"), (MEMBER, "/g/trilateral/subgroups/99999999999999999999999"),
])
def test_a_missing_page_is_an_html_page_with_the_site_layout(make_client, who, path):
    browser = make_client()
    if who:
        login(browser, who)
    response = browser.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    soup = page(response)
    assert soup.title.get_text(strip=True).startswith("Page not found")
    assert soup.h1.get_text(strip=True) == "Page not found"
    assert soup.select_one("header.site-header a.brand[href='/']") is not None
    assert soup.select_one("main#main") is not None and soup.select_one("footer.site-footer") is not None
    assert soup.select_one("link[rel=stylesheet]")["href"].startswith("/static/")
    # A logged-in user still sees who they are, even where no route matched.
    nav = soup.select_one("nav[aria-label=Account]")
    assert (nav is not None) == (who is not None)
    if who:
        assert "Maya Chen" in nav.get_text()
    assert "Traceback" not in response.text
    assert security_problems(response, logged_in=who is not None) == []


def test_a_group_one_is_not_in_looks_exactly_like_a_missing_one(make_client):
    admin = login(make_client(), ADMIN)
    hidden = admin.get("/g/trilateral/members")
    missing = admin.get("/g/no-such-group/members")
    assert hidden.status_code == missing.status_code == 404
    assert page(hidden).select_one("main").get_text() == page(missing).select_one("main").get_text()
    assert admin.get("/api/v1/groups/trilateral").json() == admin.get("/api/v1/groups/no-such-group").json()


@pytest.mark.parametrize(("method", "path", "anonymous", "member"), [
    ("GET", "/api/v1/no-such-thing", 404, 404),
    ("GET", "/api/v1/groups/no-such-group", 401, 404),
    ("GET", "/api/v1/groups/trilateral/subgroups/999999", 401, 404),
    ("PUT", "/api/v1/me", 405, 405),
])
@pytest.mark.parametrize("who", [None, MEMBER])
def test_api_errors_are_json(make_client, who, method, path, anonymous, member):
    browser = make_client()
    if who:
        login(browser, who)
    response = browser.request(method, path, headers={"x-csrftoken": api_token(browser)})
    expected = member if who else anonymous
    assert response.status_code == expected
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == expected
    assert "<html" not in response.text
    assert response.headers.get("x-content-type-options") == "nosniff"


def test_a_wrong_method_on_a_page_is_an_html_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert page(response).select_one("header.site-header") is not None


# --- security headers and markup -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, MEMBER, ORGANIZER, ADMIN])
def test_every_page_has_security_headers_and_no_external_or_inline_code(app, db, make_client, who):
    browser = make_client()
    if who:
        login(browser, who)
    values = {**path_values(db), "token": open_invitation(db)}
    pages = html_pages(app, browser, values)
    pages["/missing-page"] = browser.get("/missing-page")
    pages["/invite/made-up"] = browser.get("/invite/made-up")
    pages["/logout (GET)"] = browser.get("/logout")
    pages["POST /profile (no token)"] = browser.post("/profile", data={"display_name": "x"})
    if who:
        pages["POST /profile (mistake)"] = post_form(browser, "/profile", "/profile", {"display_name": ""})
    else:
        pages["POST /login (mistake)"] = post_form(browser, "/login", "/login", {"email": "x", "password": "y"})
    assert len(pages) >= 10
    problems = {}
    assets = set()
    for url, response in pages.items():
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        found = security_problems(response, logged_in=who is not None)
        soup = page(response)
        found += markup_problems(soup)
        if found:
            problems[url] = found
        assets |= {s["src"] for s in soup.find_all("script", src=True)}
        assets |= {link["href"] for link in soup.find_all("link", href=True) if "stylesheet" in link.get("rel", [])}
    assert problems == {}
    # The page's own scripts and styles are served from here.
    assert assets
    for asset in sorted(assets):
        response = browser.get(asset)
        assert response.status_code == 200, asset
        assert response.headers.get("x-content-type-options") == "nosniff"


def test_pages_that_show_data_are_not_cached_and_json_too(client):
    login(client, MEMBER)
    for url in ("/", "/profile", "/g/trilateral", "/api/v1/me", "/api/v1/groups", "/api/v1/session"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("cache-control", ""), url


# --- CSRF ----------------------------------------------------------------------------------------------------------


def _attack(browser: TestClient, method: str, url: str, token: str | None, headers: dict[str, str]):
    """A state-changing request as another site (or a stale page) would send it."""
    if url.startswith("/api/"):
        body = {"role": "co-chair", "name": "Hijacked", "mandate": "x", "members": [], "chairs": [],
                "email": "attacker@example.org", "password": "whatever-password", "display_name": "Attacker",
                "country": "US", "slug": "hijacked", "countries": ["US"], "organizer_email": "attacker@example.org"}
        extra = {"x-csrftoken": token} if token else {}
        return browser.request(method, url, json=body, headers={**headers, **extra}, follow_redirects=False)
    form = {"role": "co-chair", "name": "Hijacked", "display_name": "Attacker", "email": "attacker@example.org",
            "password": "whatever-password", "password_confirm": "whatever-password", "country": "US",
            "time_zone": "UTC", "current_password": "x", "new_password": "attacker-password",
            "slug": "hijacked", "countries": "US", "organizer_email": "attacker@example.org"}
    if token:
        form["_csrf_token"] = token
    return browser.request(method, url, data=form, headers=headers, follow_redirects=False)


def _refused_for_csrf(response) -> bool:
    if response.status_code != 403:
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        detail = str(response.json().get("detail", ""))
    else:
        detail = page(response).select_one("main").get_text(" ", strip=True)
    return any(message in detail for message in CSRF_MESSAGES)


def test_every_state_changing_route_is_enumerated(app):
    found = routes(app, WRITE_METHODS)
    assert ("POST", "/login") in found and ("POST", "/logout") in found
    assert ("DELETE", "/api/v1/session") in found
    assert ("PATCH", "/api/v1/groups/{slug:str}/members/{user_id:int}") in found
    assert not [h for r in app.routes for h in getattr(r, "route_handlers", []) if h.opt.get("csrf_exempt")]


@pytest.mark.parametrize("variant", ["no token", "another session's token", "cross-site origin", "null origin",
                                     "cross-site fetch metadata", "token in a query string"])
def test_every_state_changing_route_refuses_a_forged_request(app, db, make_client, variant):
    organizer = login(make_client(), ORGANIZER)
    own_token = api_token(organizer)
    other = login(make_client(), MEMBER)
    other_token = api_token(other)
    token, headers = {
        "no token": (None, {}),
        "another session's token": (other_token, {}),
        "cross-site origin": (own_token, {"origin": "https://evil.example"}),
        "null origin": (own_token, {"origin": "null"}),
        "cross-site fetch metadata": (own_token, {"sec-fetch-site": "cross-site"}),
        "token in a query string": (None, {}),
    }[variant]
    values = {**path_values(db), "token": open_invitation(db)}
    before = snapshot(db)
    accepted = {}
    for method, template in routes(app, WRITE_METHODS):
        url = fill(template, values)
        if variant == "token in a query string":
            url += f"?_csrf_token={own_token}&csrf_token={own_token}"
        response = _attack(organizer, method, url, token, headers)
        if not _refused_for_csrf(response):
            accepted[f"{method} {template}"] = response.status_code
    assert accepted == {}
    assert snapshot(db) == before
    assert organizer.get("/api/v1/me").json()["email"] == ORGANIZER


def test_the_anonymous_token_does_not_work_after_login(client):
    form = client.get("/login")
    anonymous_token = csrf_from(form.text)
    login(client, MEMBER)
    response = client.post("/profile", data={"display_name": "Changed", "country": "US", "time_zone": "UTC",
                                             "_csrf_token": anonymous_token}, follow_redirects=False)
    assert response.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"origin": f"http://{HOST}"}, {"sec-fetch-site": "same-origin"},
                                     {"origin": f"http://{HOST}", "sec-fetch-site": "same-origin"}])
def test_a_form_with_the_right_token_works(client, db, headers):
    login(client, MEMBER)
    form = client.get("/profile")
    response = client.post("/profile", data={"display_name": "Maya Q. Chen", "country": "US",
                                             "time_zone": "America/Chicago", "_csrf_token": csrf_from(form.text)},
                           headers=headers, follow_redirects=False)
    assert response.status_code == 303
    shown = page(client.get("/profile"))
    assert shown.select_one("input[name=display_name]")["value"] == "Maya Q. Chen"


def test_an_api_call_with_the_right_token_works(make_client, db):
    organizer = login(make_client(), ORGANIZER)
    uid = path_values(db)["user_id"]
    response = organizer.patch(f"/api/v1/groups/trilateral/members/{uid}", json={"role": "adviser"},
                               headers={"x-csrftoken": api_token(organizer), "origin": f"http://{HOST}"})
    assert response.status_code == 200
    assert response.json()["role"] == "adviser"


def test_the_htmx_header_carries_the_same_token_as_the_forms(client):
    login(client, MEMBER)
    home = client.get("/")
    soup = page(home)
    hx = soup.body.get("hx-headers", "")
    assert csrf_from(home.text) in hx
    response = client.post("/profile", data={"display_name": "Maya Chen", "country": "US", "time_zone": "UTC"},
                           headers={"x-csrftoken": csrf_from(home.text), "hx-request": "true"},
                           follow_redirects=False)
    assert response.status_code == 200 and response.headers["hx-redirect"] == "/profile?saved=true"


# --- GET never writes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, MEMBER, ORGANIZER])
def test_get_requests_never_change_rows(app, db, make_client, who):
    browser = make_client()
    if who:
        login(browser, who)
    values = {**path_values(db), "token": open_invitation(db)}
    before = snapshot(db)
    statuses = {}
    for _, template in routes(app, {"GET"}):
        url = fill(template, values)
        statuses[url] = browser.get(url, follow_redirects=False).status_code
        browser.head(url, follow_redirects=False)
    assert snapshot(db) == before
    assert all(status < 500 for status in statuses.values()), statuses
    if who:
        assert statuses["/g/trilateral/members"] == 200
    # Opening an invitation does not use it up.
    assert statuses[f"/invite/{values['token']}"] == 200
