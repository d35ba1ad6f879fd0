"""Requests at the edges: deep JSON, no body, HEAD, a foreign scheme in Origin, a database connection cut mid-read.

Each was a 500, a 405 or a silent acceptance before (issue 12, items 6 and 10).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import psycopg
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event
from sqlmodel import select

from tests.conftest import _pg_admin_dsn, api_token, csrf_from, login
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG
from wg.lib.jsonbody import MAX_JSON_DEPTH, json_depth_exceeds
from wg.models import Comment

MEMBER = "haruka.sato@example.org"
ORGANIZER = "organizer@example.org"
G = f"/g/{DEMO_SLUG}"


# --- JSON nested too deeply ------------------------------------------------------------------------------------------

def test_depth_scan_counts_only_real_brackets():
    assert not json_depth_exceeds(b'{"a": [1, 2, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}', limit=3)
    assert json_depth_exceeds(b"[" * 4 + b"]" * 4, limit=3)
    assert not json_depth_exceeds(b"[" * 3 + b"]" * 3, limit=3)
    # Brackets inside a string, even after an escaped quote, do not count.
    assert not json_depth_exceeds(b'["\\"[[[[[[[[", {"k": ["x"]}]', limit=3)
    assert json_depth_exceeds(b"[" * 1000, limit=MAX_JSON_DEPTH)
    # Deep through interleaved siblings, and mixed arrays and objects.
    assert json_depth_exceeds(b"[[]" * 70 + b"]" * 70, limit=64)
    assert not json_depth_exceeds(b"[[]" * 63 + b"]" * 63, limit=64)  # 64 deep at most
    assert json_depth_exceeds(b'{"a":[' * 40 + b"1" + b"]}" * 40, limit=64)
    assert not json_depth_exceeds(b'{"a":[' * 32 + b"1" + b"]}" * 32, limit=64)
    # Wide but shallow is fine however many brackets it has.
    assert not json_depth_exceeds(b"[" + b"[1]," * 100_000 + b"1]", limit=MAX_JSON_DEPTH)


def json_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route whose handler decodes a JSON body, with the demo's ids filled in."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.parsed_data_field is None or not route.path.startswith("/api/"):
                continue
            path = re.sub(r"\{slug:str\}", DEMO_SLUG, route.path)
            path = re.sub(r"\{\w+:int\}", "1", path)
            found += [(method, path) for method in sorted(handler.http_methods)]
    return sorted(found)


def test_json_nested_a_thousand_levels_is_a_400_on_every_json_endpoint(app, client, make_client, caplog):
    body = b"[" * 1000 + b"]" * 1000  # 2 KB
    token = api_token(client)
    headers = {"content-type": "application/json", "x-csrftoken": token}
    caplog.set_level(logging.INFO)
    anonymous = client.post("/api/v1/session", content=body, headers=headers)
    assert anonymous.status_code == 400, anonymous.text
    assert anonymous.json()["detail"].startswith(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    organizer = login(make_client(), ORGANIZER)
    headers = {"content-type": "application/json", "x-csrftoken": api_token(organizer)}
    routes = json_routes(app)
    assert len(routes) >= 20 and ("POST", "/api/v1/session") in routes
    statuses = {}
    for method, url in routes:
        for payload in (body, b'{"text": ' + b"[" * 200 + b"]" * 200 + b"}"):
            response = organizer.request(method, url, content=payload, headers=headers)
            statuses[f"{method} {url} {len(payload)}"] = response.status_code
    assert {k: v for k, v in statuses.items() if v != 400} == {}
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    # Ordinary nesting still works.
    ok = organizer.post(f"/api/v1/groups/{DEMO_SLUG}/preview", json={"text": "**hi**"}, headers=headers)
    assert ok.status_code == 200 and "<strong>hi</strong>" in ok.json()["html"]


def test_an_api_write_without_a_body_says_a_json_body_is_required(client):
    token = api_token(client)
    response = client.post("/api/v1/session", headers={"x-csrftoken": token})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "A JSON body is required."}]


# --- HEAD --------------------------------------------------------------------------------------------------------

def test_head_answers_like_get_without_a_body(client, make_client):
    for url in ("/login", "/healthz"):
        get, head = client.get(url), client.head(url)
        assert get.status_code == head.status_code == 200, url
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
    member = login(make_client(), MEMBER)
    for url in (G, f"{G}/r/1", f"{G}/members", "/api/v1/groups"):
        get, head = member.get(url), member.head(url)
        assert get.status_code == head.status_code == 200, (url, head.status_code)
        assert head.content == b"" and head.headers.get("cache-control") == "no-store"
        assert head.headers["content-length"] == str(len(get.content))
    # HEAD of a page that needs a login redirects like GET; HEAD of a POST-only route stays 405.
    assert client.head(G, follow_redirects=False).status_code == 303
    assert client.head("/logout").status_code == 405


# --- Origin scheme -----------------------------------------------------------------------------------------------

def test_an_origin_with_another_scheme_is_refused(make_client):
    browser = login(make_client(), MEMBER)
    page = browser.get("/profile")
    token = csrf_from(page.text)
    data = {"display_name": "Haruka Sato", "_csrf_token": token}
    refused = browser.post("/profile", data=data, headers={"origin": "https://testserver.local"},
                           follow_redirects=False)
    assert refused.status_code == 403
    assert "Cross-site request refused" in refused.text
    accepted = browser.post("/profile", data=data, headers={"origin": "http://testserver.local"},
                            follow_redirects=False)
    # Past the CSRF check: the form itself answers (it wants a country too).
    assert accepted.status_code == 422 and "Choose a country." in accepted.text


def test_behind_a_tls_proxy_the_base_url_scheme_is_accepted(app, make_client):
    # The proxy speaks http to wg; browsers send the https origin of WG_BASE_URL.
    app.state.settings = type(app.state.settings)(**{**app.state.settings.__dict__,
                                                      "base_url": "https://testserver.local"})
    browser = login(make_client(), MEMBER)
    token = csrf_from(browser.get("/profile").text)
    data = {"display_name": "Haruka Sato", "_csrf_token": token}
    accepted = browser.post("/profile", data=data, headers={"origin": "https://testserver.local"},
                            follow_redirects=False)
    assert accepted.status_code == 422 and "Choose a country." in accepted.text
    assert browser.post("/profile", data=data, headers={"origin": "https://other.example"},
                        follow_redirects=False).status_code == 403


# --- a database connection cut in the middle of a read ------------------------------------------------------------

class CutConnection:
    """Terminates the server process behind the connection that runs the next matching statement, just before the
    statement is sent (as a PostgreSQL restart or a failover would)."""

    def __init__(self, db: Database, marker: str) -> None:
        self.marker = marker
        self.armed = False
        self.cut = 0
        self.lock = threading.Lock()
        event.listen(db.engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        with self.lock:
            if not self.armed or self.marker not in statement:
                return
            self.armed = False
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        self.cut += 1


def test_a_read_whose_connection_drops_mid_request_is_retried(database_url, db, make_client, caplog):
    if database_url.startswith("sqlite"):
        pytest.skip(reason="a SQLite connection cannot be cut from outside; PostgreSQL only")
    browser = login(make_client(), MEMBER)
    cutter = CutConnection(db, "FROM recommendations")
    caplog.set_level(logging.WARNING, logger="wg")
    for url in (f"{G}/r/1", f"/api/v1/groups/{DEMO_SLUG}/recommendations/1"):
        cutter.armed = True
        before = cutter.cut
        response = browser.get(url)
        assert cutter.cut == before + 1, "the connection was not cut: the test proves nothing"
        assert response.status_code == 200, (url, response.status_code)
        assert "R-1" in response.text
    assert "Database connection lost during GET" in caplog.text
    assert "Unhandled error" not in caplog.text
    # Every pooled connection killed between two requests (a database restart): the pool's ping replaces them.
    dbname = db.engine.url.database
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchone()
    assert killed is not None and killed[0] >= 1
    assert browser.get(f"{G}/r/1").status_code == 200
    # A write is not repeated: the cut POST answers 500 and is not retried behind the user's back.
    token = csrf_from(browser.get("/profile").text)
    cutter.marker = "users"
    cutter.armed = True
    failed = browser.post("/profile", data={"display_name": "Haruka S.", "_csrf_token": token})
    assert cutter.cut == 3
    assert failed.status_code == 500
    # ... and the next request works on a fresh connection.
    assert browser.get(G).status_code == 200


# --- a form left open while the session rotated ------------------------------------------------------------------

def test_a_form_whose_session_rotated_comes_back_with_what_was_typed(make_client, db):
    browser = login(make_client(), MEMBER)
    opened = browser.get(f"{G}/r/1")
    stale = csrf_from(opened.text)
    # Meanwhile the member logs in again in another tab: the session id, and with it every open form's token, changes.
    login(browser, MEMBER)
    typed = "First line of a long comment about the alliance.\n\nSecond paragraph, 佐藤遥 agrees."
    origin = {"origin": "http://testserver.local"}
    refused = browser.post(f"{G}/r/1/comments", data={"body": typed, "paragraph": "2", "_csrf_token": stale},
                           headers=origin, follow_redirects=False)
    assert refused.status_code == 403
    html = BeautifulSoup(refused.text, "html.parser")
    assert html.h1.get_text(strip=True) == "Send this form again"
    assert "nothing was saved" in html.select_one("[role=alert]").get_text()
    form = html.select_one("form.resend-form")
    assert form["action"] == f"{G}/r/1/comments" and form["method"] == "post"
    assert form.select_one("textarea[name=body]").get_text() == typed
    assert form.select_one("input[name=paragraph]")["value"] == "2"
    fresh = form.select_one("input[name=_csrf_token]")["value"]
    assert fresh != stale
    assert _comment_bodies(db).count(typed) == 0
    # Sending it again saves it, once.
    again = browser.post(f"{G}/r/1/comments", data={"body": typed, "paragraph": "2", "_csrf_token": fresh},
                         headers=origin, follow_redirects=False)
    assert again.status_code == 303
    assert _comment_bodies(db).count(typed) == 1


def test_a_stale_login_form_never_echoes_the_password_and_a_forgery_still_gets_the_bare_403(make_client):
    browser = make_client()
    browser.get("/login")
    refused = browser.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD, "_csrf_token": "stale"},
                           headers={"origin": "http://testserver.local"})
    assert refused.status_code == 403
    assert DEMO_PASSWORD not in refused.text
    form = BeautifulSoup(refused.text, "html.parser").select_one("form.resend-form")
    assert form.select_one("input[name=password]")["type"] == "password"
    assert not form.select_one("input[name=password]").get("value")
    # Without an Origin (or Sec-Fetch-Site: same-origin) nothing shows the request came from this site: no form.
    forged = browser.post("/login", data={"email": MEMBER, "password": "x", "_csrf_token": "stale"})
    assert forged.status_code == 403 and "resend-form" not in forged.text
    cross = browser.post("/login", data={"email": MEMBER, "password": "x", "_csrf_token": "stale"},
                         headers={"origin": "https://evil.example"})
    assert cross.status_code == 403 and "resend-form" not in cross.text


def _comment_bodies(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.exec(select(Comment.body)).all())
