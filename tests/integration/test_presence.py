"""Who else is editing, through the app on both databases: the editor's heartbeat (a POST) records one row per
person and text, answers with the others' names and with a link to what changed since the editor opened; a heartbeat
older than the expiry no longer counts; saving leaves the editor; the periodic sweep prunes old heartbeats; opening
the editor (a GET) writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import csrf_from
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.drafting.presence import PRUNE_AFTER, prune_heartbeats
from wg.models import EditorHeartbeat, User, utcnow
from wg.settings import SettingsError, load_settings

G = "/g/trilateral"
EDITOR = f"{G}/r/1/edit"
BEAT = f"{G}/r/1/presence"


@pytest.fixture
def browse(app: Any, db: Any, settings: Any) -> Iterator[Any]:
    """Open browsers logged in as demo people (sessions issued directly)."""
    with ExitStack() as stack:
        def open_as(key: str) -> Any:
            browser = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            with db.transaction() as s:
                user = s.exec(select(User).where(User.email == f"{key}@example.org")).one()
                browser.cookies.set(SESSION_COOKIE, issue_session(s, user, settings.session_max_age),
                                    domain="testserver.local", path="/")
            assert browser.get("/").status_code == 200
            return browser
        yield open_as


def _open(browser: Any) -> tuple[BeautifulSoup, str, str]:
    """Open R-1's editor: the page, its CSRF token and the revision it starts from."""
    response = browser.get(EDITOR)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    base = page.select_one("form.edit-form input[name=base_rev_no]")
    assert base is not None
    return page, csrf_from(response.text), str(base["value"])


def _beat(browser: Any, token: str, base: str) -> BeautifulSoup:
    """One heartbeat as htmx sends it (the CSRF token in the header); the answer parsed."""
    response = browser.post(BEAT, data={"base_rev_no": base}, headers={"x-csrftoken": token, "hx-request": "true"})
    assert response.status_code == 200, response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


def _text(node: Any) -> str:
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def _heartbeats(db: Any) -> int:
    with db.session() as s:
        return int(s.exec(select(func.count()).select_from(EditorHeartbeat)).one())


def test_two_editors_see_each_other_and_the_revision_saved_meanwhile(browse, db):
    haruka, kim = browse("haruka.sato"), browse("kim.minjun")
    page, h_token, h_base = _open(haruka)
    # The editor polls with a POST carrying the base revision; nobody else is here yet.
    box = page.select_one("#presence")
    assert box is not None and box["hx-post"] == BEAT and "every" in str(box["hx-trigger"])
    assert _text(_beat(haruka, h_token, h_base)) == ""
    assert _heartbeats(db) == 1
    _, k_token, k_base = _open(kim)
    # Kim's editor shows Haruka at once (from the GET, which wrote nothing), and Kim's heartbeat names her.
    assert "Haruka Sato is editing this." in _text(BeautifulSoup(kim.get(EDITOR).text, "html.parser")
                                                      .select_one("#presence"))
    assert _heartbeats(db) == 1
    assert "Haruka Sato is editing this." in _text(_beat(kim, k_token, k_base))
    assert "Kim Min-jun is editing this." in _text(_beat(haruka, h_token, h_base))
    assert _heartbeats(db) == 2  # overwritten per person and text, not one row per beat
    for _ in range(3):
        _beat(kim, k_token, k_base)
    assert _heartbeats(db) == 2

    # Kim saves: Kim leaves the editor, and Haruka's next heartbeat says a newer revision exists, with the diff.
    form = BeautifulSoup(kim.get(EDITOR).text, "html.parser").select_one("form.edit-form")
    assert form is not None
    data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[name]")}
    data.update({"title": form.select_one("[name=title]")["value"],  # type: ignore[index]
                 "text": form.select_one("textarea[name=text]").get_text()  # type: ignore[union-attr]
                 + "\n\nA new paragraph by Kim."})
    saved = kim.post(EDITOR, data=data, follow_redirects=False)
    assert saved.status_code == 303
    answer = _beat(haruka, h_token, h_base)
    assert "is editing" not in _text(answer)
    newer = answer.select_one(".presence-newer")
    head = int(h_base) + 1
    assert newer is not None
    assert f"A new revision ({head}, by Kim Min-jun) was saved while you were editing" in _text(newer)
    link = newer.find("a", string="see what changed")
    assert link is not None and link["href"] == f"{G}/r/1/diff?from_rev={h_base}&to_rev={head}"
    diff = haruka.get(str(link["href"]))
    assert diff.status_code == 200
    inserted = " ".join(_text(ins) for ins in BeautifulSoup(diff.text, "html.parser").select("main ins"))
    assert "A new paragraph by Kim" in inserted
    # Starting again from the new head: no notice.
    assert _text(_beat(haruka, h_token, str(head))) == ""


def test_a_stale_heartbeat_expires_and_the_sweep_prunes_old_ones(browse, db):
    haruka, kim = browse("haruka.sato"), browse("kim.minjun")
    _, h_token, h_base = _open(haruka)
    _beat(haruka, h_token, h_base)
    _, k_token, k_base = _open(kim)
    assert "Haruka Sato" in _text(_beat(kim, k_token, k_base))
    with db.transaction() as s:
        row = s.exec(select(EditorHeartbeat).join(User).where(User.email == "haruka.sato@example.org")).one()
        row.seen_at = utcnow() - dt.timedelta(seconds=31)  # her tab closed half a minute ago
        s.add(row)
    assert "Haruka Sato" not in _text(_beat(kim, k_token, k_base))
    with db.transaction() as s:
        assert prune_heartbeats(s) == 0  # not old enough to delete yet
        assert prune_heartbeats(s, now=utcnow() + PRUNE_AFTER) == 2
    assert _heartbeats(db) == 0


def test_heartbeats_need_the_csrf_token_and_drafting_rights(browse, db):
    haruka, takeshi = browse("haruka.sato"), browse("takeshi.ono")  # Takeshi is an observer
    _, token, base = _open(haruka)
    refused = haruka.post(BEAT, data={"base_rev_no": base}, headers={"hx-request": "true"})
    assert refused.status_code == 403
    observer_token = csrf_from(takeshi.get(f"{G}/r/1").text)
    assert takeshi.post(BEAT, data={"base_rev_no": base}, headers={"x-csrftoken": observer_token}).status_code == 403
    assert _heartbeats(db) == 0
    # Nonsense for the base revision is read as "unknown", never a 500.
    assert _text(_beat(haruka, token, "not-a-number")) == ""


@pytest.mark.parametrize(("value", "expected"), [("2", 2), ("15", 15), ("16", None), ("0", None), ("ten", None)])
def test_the_poll_interval_is_between_1_and_15_seconds(tmp_path, value, expected):
    environ = {"WG_ENV": "test", "WG_DATA_DIR": str(tmp_path), "WG_PRESENCE_INTERVAL": value}
    if expected is None:
        with pytest.raises(SettingsError, match="WG_PRESENCE_INTERVAL"):
            load_settings(environ)
    else:
        assert load_settings(environ).presence_interval == expected
    assert load_settings({"WG_ENV": "test", "WG_DATA_DIR": str(tmp_path)}).presence_interval == 10
