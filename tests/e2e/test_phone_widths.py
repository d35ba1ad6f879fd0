"""Every page type at 390 × 844 (a phone): nothing wider than the screen, tables as stacked rows, axe clean.

The pages are the app's own GET page routes (its route table, not a list kept here), each opened by a person who
may see it, with real ids from the demo group. A page route this file does not know fails the test, so a new page
is measured too.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import col, select

from tests.e2e.conftest import axe_violations
from tests.security.matrix_support import new_invitation
from tests.security.test_route_matrix import app_routes
from wg.app import create_app
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import Export, Section, Subgroup, User, WorkingGroup, utcnow
from wg.settings import load_settings

PHONE = {"width": 390, "height": 844}
G = "/g/{slug:str}"
# Routes that are not pages a person reads: the API, the schema, static files, health, file downloads.
NOT_PAGES = ("/api/", "/schema", "/static/", "/healthz")
SHOTS = Path(os.environ.get("WG_SCREENSHOTS", "")) if os.environ.get("WG_SCREENSHOTS") else None

# Route template → (who opens it, the URL with real ids). ``{sec}`` is the demo's "Domestic constraints" section,
# ``{sub}`` its subgroup, ``{token}`` an open invitation; R-2 has positions and a reservation, R-7 an objection.
PAGES: dict[str, list[tuple[str, str]]] = {
    "/": [("haruka.sato", "/")],
    "/login": [("", "/login")],
    "/profile": [("haruka.sato", "/profile")],
    "/inbox": [("maya.chen", "/inbox")],
    "/invite/{token:str}": [("", "/invite/{token}")],
    "/admin/groups/new": [("admin", "/admin/groups/new")],
    G: [("haruka.sato", "{g}"), ("organizer", "{g}"), ("maya.chen", "{g}")],
    G + "/members": [("organizer", "{g}/members")],
    G + "/subgroups/new": [("organizer", "{g}/subgroups/new")],
    G + "/subgroups/{subgroup_id:int}": [("organizer", "{g}/subgroups/{sub}"), ("haruka.sato", "{g}/subgroups/{sub}")],
    G + "/report": [("eleanor.hayes", "{g}/report")],
    G + "/sections/new": [("organizer", "{g}/sections/new")],
    G + "/sections/{section_id:int}": [("maya.chen", "{g}/sections/{sec}")],
    G + "/sections/{section_id:int}/recommendations/new": [("haruka.sato", "{g}/sections/{sec}/recommendations/new")],
    G + "/sections/{ident:int}/edit": [("haruka.sato", "{g}/sections/{sec}/edit")],
    G + "/sections/{ident:int}/history": [("haruka.sato", "{g}/sections/{sec}/history")],
    G + "/sections/{ident:int}/diff": [("haruka.sato", "{g}/sections/{sec}/diff?from_rev=1&to_rev=2")],
    G + "/r/{number:int}": [("maya.chen", "{g}/r/2"), ("james.holloway", "{g}/r/7"), ("haruka.sato", "{g}/r/1")],
    G + "/r/{ident:int}/edit": [("haruka.sato", "{g}/r/2/edit")],
    G + "/r/{ident:int}/history": [("haruka.sato", "{g}/r/2/history")],
    G + "/r/{ident:int}/diff": [("haruka.sato", "{g}/r/2/diff?from_rev=1&to_rev=2")],
    G + "/queue": [("eleanor.hayes", "{g}/queue")],
    G + "/audit": [("organizer", "{g}/audit")],
    G + "/exports": [("organizer", "{g}/exports")],
    G + "/report/settings": [("organizer", "{g}/report/settings")],
}
# GET routes that answer with a file, not a page.
# Not pages: a download and the JSON roster the @-completion reads.
FILES = {G + "/exports/{export_id:int}/file", G + "/mentions"}
# The error page is a page type of its own.
EXTRA = [("haruka.sato", "{g}/r/9999")]

WIDTH_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) && getComputedStyle(el).position !== 'absolute') {
      wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' +
                el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(r.left) + '..' +
                Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, viewport: window.innerWidth, wide: wide.slice(0, 8)};
}"""


def _page_routes(tmp_path: Path) -> set[str]:
    app = create_app(load_settings({"WG_ENV": "test", "WG_DATA_DIR": str(tmp_path / "routes"),
                                    "WG_DATABASE_URL": f"sqlite:///{tmp_path / 'routes.sqlite3'}",
                                    "WG_SECRET_KEY": "test-secret-key-" + "x" * 32}))
    return {path for method, path in app_routes(app) if method == "GET" and not path.startswith(NOT_PAGES)}


def _ids(database: Database) -> dict[str, Any]:
    with database.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        sub = s.exec(select(Subgroup).where(Subgroup.group_id == group.id, Subgroup.name == "Domestic constraints")
                     ).one()
        sec = s.exec(select(Section.id).where(Section.subgroup_id == sub.id).order_by(col(Section.position))).first()
        organizer = s.exec(select(User).where(User.email == "organizer@example.org")).one()
        now = utcnow()
        # Two finished exports, so the exports page has its table (the files themselves are not opened here).
        for fmt, profile in (("pdf", "public"), ("docx", "internal")):
            s.add(Export(group_id=group.id or 0, user_id=organizer.id, profile=profile, format=fmt, status="done",
                         report_version="a1b2c3d4e5f60718", path=f"/nonexistent/report.{fmt}", sha256="ab" * 32,
                         size=812_345, pages=31, render_seconds=2.4, queue_seconds=0.1, attempts=1, draft=True,
                         created_at=now - dt.timedelta(minutes=5), started_at=now - dt.timedelta(minutes=5),
                         finished_at=now - dt.timedelta(minutes=4)))
        group_id = group.id or 0
    return {"g": f"/g/{DEMO_SLUG}", "sec": sec, "sub": sub.id,
            "token": new_invitation(database, "new.person@example.org", group_id)}



@pytest.fixture(autouse=True)
def _one_backend_is_enough(database_url: str) -> None:
    """Layout and browser behaviour do not depend on the database (the database tests cover both): SQLite only,
    to keep the suite's time."""
    if database_url.startswith("postgresql"):
        pytest.skip(reason="layout and browser behaviour do not depend on the database: checked on SQLite")

def test_every_page_type_fits_a_phone(browser: Browser, browser_context_args: dict[str, Any], live_server: str,
                                      settings: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    routes = _page_routes(tmp_path)
    assert sorted(routes - PAGES.keys() - FILES) == [], "page routes this test does not open: add them to PAGES"
    database = Database(settings.database_url)
    ids = _ids(database)
    contexts: dict[str, Any] = {}

    def page_for(who: str) -> Page:
        if who not in contexts:
            context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "device_scale_factor": 1})
            if who:
                email = "admin@example.org" if who == "admin" else f"{who}@example.org"
                with database.transaction() as s:
                    user = s.exec(select(User).where(User.email == email)).one()
                    token = issue_session(s, user, settings.session_max_age)
                context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
            contexts[who] = context.new_page()
        return contexts[who]

    visits = [visit for route in sorted(routes & PAGES.keys()) for visit in PAGES[route]] + EXTRA
    too_wide: list[str] = []
    inaccessible: list[str] = []
    not_stacked: list[str] = []
    stacked_tables = 0
    try:
        for who, template in visits:
            url = template.format(**ids)
            page = page_for(who)
            response = page.goto(live_server + url)
            assert response is not None
            assert response.status == (404 if url.endswith("/9999") else 200), (url, who, response.status)
            measured = page.evaluate(WIDTH_JS)
            assert measured["viewport"] == PHONE["width"]
            if measured["scroll"] > measured["viewport"]:
                too_wide.append(f"{url} as {who or 'a visitor'}: {measured['scroll']} px {measured['wide']}")
            # Tables read as stacked rows: each cell on its own line with its column's name before it.
            for table in page.locator("main table").all():
                if not table.is_visible():
                    continue
                display = table.evaluate("t => getComputedStyle(t.querySelector('tbody tr')).display")
                labelled = table.evaluate(
                    "t => [...t.querySelectorAll('tbody td')].filter(td => td.textContent.trim() && td.colSpan < 2)"
                    ".every(td => td.dataset.label !== undefined)")
                if display != "block" or not labelled:
                    not_stacked.append(f"{url}: {table.get_attribute('class')} rows {display}, labelled {labelled}")
                stacked_tables += 1
            problems = axe_violations(page)
            if problems:
                inaccessible.append(f"{url} as {who or 'a visitor'}: {problems}")
            if SHOTS is not None:
                SHOTS.mkdir(parents=True, exist_ok=True)
                name = url.strip("/").replace("/", "_").replace("?", "_").replace("&", "_") or "home"
                page.screenshot(path=str(SHOTS / f"390-{name}-{who or 'visitor'}.png"), full_page=True)
    finally:
        for page in contexts.values():
            page.context.close()
        database.dispose()
    assert too_wide == [], "pages wider than a 390 px phone:\n" + "\n".join(too_wide)
    assert inaccessible == [], "axe at 390 px:\n" + "\n".join(inaccessible)
    assert not_stacked == [], "tables not shown as stacked rows:\n" + "\n".join(not_stacked)
    assert stacked_tables >= 6  # dashboard, members, history, queue, audit, exports at least
    print(f"{len(visits)} pages at 390 px in {time.monotonic() - started:.1f} s, {stacked_tables} stacked tables")

