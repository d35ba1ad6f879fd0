"""Drafting through the browser: the report outline, sections, recommendations, revisions, conflicts and comments.

Everything is done as a member would: open a page, fill in the form it shows (with the CSRF token and the revision
it started from), submit it, read the page that comes back. Rows are counted around every refused change, so a
refusal that still wrote something fails.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import csrf_from, login
from tests.forms import form_values
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import create_user
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.drafting.textmerge import join_paragraphs, split_paragraphs
from wg.models import (
    AuditEvent,
    Comment,
    Membership,
    Mention,
    Recommendation,
    Revision,
    Role,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)

G = "/g/trilateral"
ORGANIZER = "organizer@example.org"
CO_CHAIR = "eleanor.hayes@example.org"
CHAIR = "maya.chen@example.org"  # chairs "Domestic constraints"
MEMBER = "haruka.sato@example.org"  # member of "Domestic constraints"
MEMBER_KR = "kim.minjun@example.org"  # member of "Domestic constraints"
OTHER_CHAIR = "ren.nakamura@example.org"  # chairs "Non-traditional security…", not in "Domestic constraints"
OTHER_MEMBER = "priya.raman@example.org"  # member of "Non-traditional security…" only
ADVISER = "robert.lindqvist@example.org"
OBSERVER = "takeshi.ono@example.org"
OUTSIDER = "outsider@example.org"
SECTION_TITLES = [
    "Introduction",
    "Domestic constraints",
    "Non-traditional security: pandemics and climate",
    "New areas of cooperation",
    "Civil society and dialogue",
]
KEYS_BY_SECTION = [[], ["R-1", "R-2", "R-3"], ["R-4", "R-5", "R-6"], ["R-7", "R-8", "R-9", "R-10"], ["R-11", "R-12"]]


# --- browsers and forms ---------------------------------------------------------------------------------------


@pytest.fixture
def browse(app: Any, db: Any, settings: Any) -> Iterator[Callable[[str | None], Any]]:
    """Open a browser logged in as an e-mail address (anonymous for None); browsers close newest first.

    The session is issued directly (hashing a password per browser would cost a quarter of a second each);
    ``test_outline_after_logging_in_through_the_form…`` covers the login form itself.
    """
    with ExitStack() as stack:

        def _open(email: str | None) -> Any:
            browser = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            if email:
                with db.transaction() as s:
                    user = s.exec(select(User).where(User.email == email)).one()
                    token = issue_session(s, user, settings.session_max_age)
                browser.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")
            assert browser.get("/").status_code == 200  # as a browser would, this sets the CSRF cookie
            return browser

        yield _open


def key_and_title(page) -> str:
    """The page's h1 without the report number beside the key (issue 11 added it; tests on numbers check it)."""
    h1 = copy.copy(page.find("h1"))
    for number in h1.select(".report-number"):
        number.decompose()
    return h1.get_text(" ", strip=True)


def soup(response: Any) -> BeautifulSoup:
    """The parsed HTML of a response."""
    return BeautifulSoup(response.text, "html.parser")


def get_page(client: Any, url: str, status: int = 200) -> BeautifulSoup:
    """Open a page, check its status, and parse it."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text[:500])
    return soup(response)


def form_on(page: BeautifulSoup, action: str) -> Tag:
    """The form on a page that posts to ``action``."""
    form = page.find("form", attrs={"action": action})
    assert isinstance(form, Tag), f"no form posting to {action}"
    return form


def submit_form(client: Any, form: Tag, values: dict[str, str] | None = None,
                button: tuple[str, str] | None = None, headers: dict[str, str] | None = None) -> Any:
    """Fill in fields that exist in ``form`` and submit it (optionally with the named button pressed)."""
    data = form_values(form)
    for name, value in (values or {}).items():
        assert name in data, f"the form has no field {name!r}"
        data[name] = value
    if button is not None:
        assert form.find("button", attrs={"name": button[0], "value": button[1]}), f"no button {button}"
        data[button[0]] = button[1]
    return client.post(str(form["action"]), data=data, headers=headers or {}, follow_redirects=False)


def submit(client: Any, page_url: str, action: str, values: dict[str, str] | None = None,
           button: tuple[str, str] | None = None) -> Any:
    """Open ``page_url``, fill in the form that posts to ``action`` and submit it, as a browser would."""
    return submit_form(client, form_on(get_page(client, page_url), action), values, button)


def follow(client: Any, response: Any) -> BeautifulSoup:
    """The page a 303 answer sends the browser to."""
    assert response.status_code == 303, (response.status_code, response.text[:1000])
    return get_page(client, response.headers["location"])


def main_text(page: BeautifulSoup) -> str:
    """The visible text of the page's main content, whitespace collapsed."""
    main = page.find("main") or page
    return " ".join(main.get_text(" ").split())


def assert_field_error(response: Any, field: str, kept: str | None = None, status: int = 422) -> str:
    """The form came back with a summary linking to ``field``, the message beside it, and the typed value kept."""
    assert response.status_code == status, response.text[:2000]
    page = soup(response)
    summary = page.select_one(".error-summary")
    assert summary is not None, "no error summary"
    assert summary.select_one(f'a[href="#field-{field}"]') is not None, f"the summary does not link to {field}"
    target = page.find(id=f"field-{field}")
    assert isinstance(target, Tag), f"no field {field}"
    beside = page.find(id=f"error-{field}")
    assert isinstance(beside, Tag), f"no error message beside {field}"
    assert beside.find_parent("div", class_="field") is target.find_parent("div", class_="field") is not None
    assert f"error-{field}" in str(target.get("aria-describedby", "")).split()
    assert target.get("aria-invalid") == "true"
    if kept is not None:
        shown = target.get_text() if target.name == "textarea" else target.get("value")
        assert shown == kept, f"the typed {field} was not kept ({len(str(shown))} vs {len(kept)} characters)"
    return " ".join(beside.get_text(" ").split())


# --- the database ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    """Ids in the demo group."""

    group_id: int
    sections: dict[str, int]
    subgroups: dict[str, int]
    users: dict[str, int]

    @property
    def domestic(self) -> int:
        """The "Domestic constraints" section (subgroup-owned, holds R-1..R-3)."""
        return self.sections["Domestic constraints"]

    @property
    def nts(self) -> int:
        """The "Non-traditional security" section (another subgroup's)."""
        return self.sections["Non-traditional security: pandemics and climate"]

    @property
    def civil(self) -> int:
        """The "Civil society and dialogue" section (whole group)."""
        return self.sections["Civil society and dialogue"]


@pytest.fixture
def demo(db: Any) -> Demo:
    """Ids of the demo group's sections (by current title), subgroups and users."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        sections: dict[str, int] = {}
        for section in s.exec(select(Section).where(Section.group_id == group.id)).all():
            head = s.exec(select(Revision).where(Revision.target_type == "section", Revision.target_id == section.id)
                          .order_by(col(Revision.rev_no).desc())).first()
            assert head is not None
            sections[head.title] = section.id or 0
        subgroups = {g.name: g.id or 0 for g in s.exec(select(Subgroup).where(Subgroup.group_id == group.id))}
        users = {u.email: u.id or 0 for u in s.exec(select(User))}
        return Demo(group.id or 0, sections, subgroups, users)


def rec_row(db: Any, number: int, group_id: int | None = None) -> Recommendation:
    """The demo group's recommendation R-<number>."""
    with db.session() as s:
        query = select(Recommendation).where(Recommendation.number == number)
        if group_id is None:
            query = query.join(WorkingGroup, col(WorkingGroup.id) == col(Recommendation.group_id)).where(
                WorkingGroup.slug == "trilateral")
        else:
            query = query.where(Recommendation.group_id == group_id)
        return s.exec(query).one()


def revisions_of(db: Any, kind: str, target_id: int) -> list[Revision]:
    """Every revision of a target, oldest first."""
    with db.session() as s:
        return list(s.exec(select(Revision).where(Revision.target_type == kind, Revision.target_id == target_id)
                           .order_by(col(Revision.rev_no))).all())


def rec_revisions(db: Any, number: int) -> list[Revision]:
    """Every revision of R-<number>, oldest first."""
    return revisions_of(db, "recommendation", rec_row(db, number).id or 0)


COUNTED = (Section, Recommendation, Revision, Comment, Mention, AuditEvent)


def counts(db: Any) -> dict[str, int]:
    """Rows in every drafting table and the audit log."""
    with db.session() as s:
        return {m.__tablename__: s.exec(select(func.count()).select_from(m)).one() for m in COUNTED}  # type: ignore


def last_audit_id(db: Any) -> int:
    """The newest audit event's id."""
    with db.session() as s:
        return s.exec(select(func.max(AuditEvent.id))).one() or 0


def audit_since(db: Any, mark: int) -> list[AuditEvent]:
    """Audit events written after ``mark``, oldest first."""
    with db.session() as s:
        return list(s.exec(select(AuditEvent).where(col(AuditEvent.id) > mark).order_by(col(AuditEvent.id))).all())


def comments_on(db: Any, kind: str, target_id: int) -> list[Comment]:
    """Comments on a target, oldest first."""
    with db.session() as s:
        return list(s.exec(select(Comment).where(Comment.target_type == kind, Comment.target_id == target_id)
                           .order_by(col(Comment.id))).all())


def keys_in_outline(page: BeautifulSoup) -> list[tuple[str, list[str]]]:
    """(section title, [keys]) for each section of the outline, in order."""
    result = []
    for section in page.select("section.outline-section"):
        title = section.find("h2").find("a").get_text(strip=True)
        result.append((title, [li.select_one(".key").get_text(strip=True) for li in section.select("ol.rec-list li")]))
    return result


# --- the outline and what a section shows ---------------------------------------------------------------------


def test_outline_after_logging_in_through_the_form_lists_sections_in_order_with_their_keys(client, demo):
    page = get_page(login(client, MEMBER), f"{G}/report")
    outline = keys_in_outline(page)
    assert [title for title, _ in outline] == SECTION_TITLES
    assert [keys for _, keys in outline] == KEYS_BY_SECTION
    # One numbering scheme (issue 18): no outline positions ("1. R-1"), only keys and the report's own numbers.
    headings = page.select("section.outline-section h2")
    assert not page.select(".section-no")
    assert all(not h2.get_text(strip=True)[0].isdigit() for h2 in headings)
    chapters = [badge.get_text(strip=True) for h2 in headings for badge in h2.select(".report-number")]
    assert chapters and all(re.fullmatch(r"Chapter \d+", c) for c in chapters), chapters
    for li in page.select("ol.rec-list li"):
        assert re.match(r"R-\d+ ", li.get_text(" ", strip=True)), li.get_text(" ", strip=True)
        number = li.select_one(".report-number")
        assert number is None or re.fullmatch(r"\d+\.\d+", number.get_text(strip=True))
    links = [a["href"] for a in page.select("ol.rec-list li a")]
    assert links == [f"{G}/r/{n}" for n in range(1, 13)]
    assert page.select_one(f'a[href="{G}/sections/{demo.domestic}"]').get_text(strip=True) == "Domestic constraints"


def test_section_page_shows_numbered_paragraphs_recommendations_and_comments(browse, demo, db):
    page = get_page(browse(MEMBER), f"{G}/sections/{demo.domestic}")
    head = revisions_of(db, "section", demo.domestic)[-1]
    paragraphs = page.select("div.prose.numbered div.para")
    assert [p["id"] for p in paragraphs] == [f"p-{n}" for n in range(1, len(split_paragraphs(head.text)) + 1)]
    assert [p.select_one("a.para-no").get_text(strip=True) for p in paragraphs][:3] == ["¶1", "¶2", "¶3"]
    first_words = " ".join(split_paragraphs(head.text)[0].split()[:6])
    assert first_words in " ".join(paragraphs[0].get_text(" ").split())
    cards = page.select("ol.rec-cards li.card")
    assert [c.select_one(".key").get_text(strip=True) for c in cards] == ["R-1", "R-2", "R-3"]
    assert cards[0].select_one("h3 a").get_text(strip=True) == rec_revisions(db, 1)[-1].title
    stored = comments_on(db, "section", demo.domestic)
    assert stored, "the demo section has comments"
    shown = page.select("#comments li.comment")
    assert {li["id"] for li in shown} == {f"comment-{c.id}" for c in stored}
    first = page.select_one(f"#comment-{stored[0].id}")
    assert " ".join(stored[0].body.split()[:4]) in " ".join(first.get_text(" ").split())
    assert page.select_one("form.new-comment") is not None


# --- creating, editing, history, diffs, restoring -------------------------------------------------------------


def test_member_of_the_subgroup_creates_a_recommendation_with_the_next_key(browse, demo, db):
    haruka = browse(MEMBER)
    section_url = f"{G}/sections/{demo.domestic}"
    page = get_page(haruka, section_url)
    add = page.find("a", string="Add a recommendation")
    assert add is not None and add["href"] == f"{section_url}/recommendations/new"
    mark = last_audit_id(db)
    response = submit(haruka, add["href"], f"{section_url}/recommendations", {
        "title": "Create a trilateral parliamentary caucus",
        "text": "Legislators should meet every year.\n\nStaff should meet every quarter.",
        "rationale": "Continuity across elections.", "target": "Trilateral", "note": "First draft"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{G}/r/13?saved=1")
    page = follow(haruka, response)
    assert key_and_title(page) == "R-13 Create a trilateral parliamentary caucus"
    assert "Saved as revision 1" in main_text(page)
    assert [p.select_one("p").get_text(" ", strip=True) for p in page.select("div.para")] == [
        "Legislators should meet every year.", "Staff should meet every quarter."]
    assert "Addressed to: Trilateral" in main_text(page)
    rec = rec_row(db, 13)
    assert rec.section_id == demo.domestic and rec.position == 3
    [rev] = rec_revisions(db, 13)
    assert (rev.rev_no, rev.author_id, rev.rationale, rev.note) == (
        1, demo.users[MEMBER], "Continuity across elections.", "First draft")
    assert [(e.action, e.actor_id) for e in audit_since(db, mark)] == [("recommendation.created", demo.users[MEMBER])]
    outline = dict(keys_in_outline(get_page(haruka, f"{G}/report")))
    assert outline["Domestic constraints"] == ["R-1", "R-2", "R-3", "R-13"]


def test_editing_adds_contiguous_revisions_and_the_history_names_their_authors(browse, demo, db):
    haruka, kim = browse(MEMBER), browse(MEMBER_KR)
    before = rec_revisions(db, 1)
    assert [r.rev_no for r in before] == [1, 2, 3]
    mark = last_audit_id(db)
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit",
                      {"title": "Adopt a whole-of-government approach", "note": "Shorter title"})
    assert response.headers["location"] == f"{G}/r/1?saved=4"
    page = follow(haruka, response)
    assert "Saved as revision 4" in main_text(page)
    assert key_and_title(page) == "R-1 Adopt a whole-of-government approach"
    text = before[-1].text + "\n\nA third paragraph from Seoul."
    follow(kim, submit(kim, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": text}))
    after = rec_revisions(db, 1)
    assert [r.rev_no for r in after] == [1, 2, 3, 4, 5]
    assert [(r.parent_rev_no, r.author_id) for r in after[3:]] == [(3, demo.users[MEMBER]), (4, demo.users[MEMBER_KR])]
    assert [(r.title, r.text, r.rationale) for r in after[:3]] == [(r.title, r.text, r.rationale) for r in before]
    assert after[-1].text == text
    events = [(e.action, e.detail.get("rev_no"), e.actor_id) for e in audit_since(db, mark)]
    assert events == [("revision.saved", 4, demo.users[MEMBER]), ("revision.saved", 5, demo.users[MEMBER_KR])]

    history = get_page(haruka, f"{G}/r/1/history")
    rows = history.select("table.history tbody tr")
    numbers = [row.find("td").get_text(" ", strip=True).split()[0] for row in rows]
    assert numbers == ["5", "4", "3", "2", "1"]
    authors = [row.find_all("td")[1].get_text("|", strip=True).split("|")[0] for row in rows]
    assert authors[:2] == ["Kim Min-jun", "Haruka Sato"]
    with db.session() as s:
        names = {u.id: u.display_name for u in s.exec(select(User))}
    assert authors[2:] == [names[r.author_id] for r in reversed(before)]
    assert "Shorter title" in rows[1].get_text(" ")
    assert "current" in rows[0].get_text(" ")

    # Saving the form as it stands makes no revision.
    before_unchanged = counts(db)
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit")
    assert response.headers["location"] == f"{G}/r/1?saved=0"
    assert "Nothing had changed" in main_text(follow(haruka, response))
    assert counts(db) == before_unchanged


def test_comparing_two_revisions_marks_deleted_and_inserted_words(browse, db):
    haruka = browse(MEMBER)
    old = rec_revisions(db, 1)[-1]
    first = split_paragraphs(old.text)
    changed = first[0].replace("should treat", "must treat", 1)
    assert changed != first[0]
    follow(haruka, submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": join_paragraphs([changed, *first[1:]])}))
    history = get_page(haruka, f"{G}/r/1/history")
    compare = form_on(history, f"{G}/r/1/diff")
    chosen = form_values(compare)
    assert (chosen["from_rev"], chosen["to_rev"]) == ("3", "4")
    page = get_page(haruka, f"{G}/r/1/diff?from_rev={chosen['from_rev']}&to_rev={chosen['to_rev']}")
    assert page.find("h1").get_text(strip=True) == "Changes from revision 3 to 4"
    deleted = " ".join(d.get_text() for d in page.select(".diff del"))
    inserted = " ".join(i.get_text() for i in page.select(".diff ins"))
    assert deleted.split() == ["should"] and inserted.split() == ["must"]
    same = get_page(haruka, f"{G}/r/1/diff?from_rev=4&to_rev=4")
    assert "These two revisions are the same." in main_text(same)
    get_page(haruka, f"{G}/r/1/diff?from_rev=1&to_rev=99", status=404)


def test_restoring_an_old_revision_adds_a_new_revision_with_its_text(browse, demo, db):
    haruka = browse(MEMBER)
    before = rec_revisions(db, 1)
    history = get_page(haruka, f"{G}/r/1/history")
    button = history.find("button", attrs={"formaction": f"{G}/r/1/restore/1"})
    assert isinstance(button, Tag) and button.get_text(strip=True) == "Restore 1"
    assert history.find("button", attrs={"formaction": f"{G}/r/1/restore/3"}) is None, "the current one is current"
    mark = last_audit_id(db)
    response = haruka.post(button["formaction"], data={button["name"]: button["value"]}, follow_redirects=False)
    assert response.headers["location"] == f"{G}/r/1?saved=4"
    page = follow(haruka, response)
    after = rec_revisions(db, 1)
    assert [r.rev_no for r in after] == [1, 2, 3, 4]
    restored = after[-1]
    assert (restored.title, restored.text, restored.rationale, restored.target) == (
        before[0].title, before[0].text, before[0].rationale, before[0].target)
    assert (restored.restored_from, restored.parent_rev_no, restored.author_id) == (1, 3, demo.users[MEMBER])
    assert [(r.id, r.title, r.text) for r in after[:3]] == [(r.id, r.title, r.text) for r in before]
    assert key_and_title(page) == f"R-1 {before[0].title}"
    assert [e.action for e in audit_since(db, mark)] == ["revision.restored"]
    rows = get_page(haruka, f"{G}/r/1/history").select("table.history tbody tr")
    assert len(rows) == 4 and "Restored revision 1" in rows[0].get_text(" ")

    # A section's text is restored the same way.
    maya = browse(CHAIR)
    before = revisions_of(db, "section", demo.domestic)
    url = f"{G}/sections/{demo.domestic}"
    button = get_page(maya, f"{url}/history").find("button", attrs={"formaction": f"{url}/restore/2"})
    assert isinstance(button, Tag)
    follow(maya, maya.post(button["formaction"], data={button["name"]: button["value"]}, follow_redirects=False))
    after = revisions_of(db, "section", demo.domestic)
    assert len(after) == len(before) + 1 and after[-1].text == before[1].text and after[-1].restored_from == 2


# --- order, moves, withdrawal ---------------------------------------------------------------------------------


def test_reordering_and_moving_keep_the_key(browse, demo, db):
    haruka = browse(MEMBER)
    section_url = f"{G}/sections/{demo.domestic}"
    page = get_page(haruka, section_url)
    response = submit_form(haruka, form_on(page, f"{G}/r/2/move"), button=("direction", "up"))
    assert response.headers["location"] == f"{section_url}#r-2"
    page = follow(haruka, response)
    assert [c.select_one(".key").get_text(strip=True) for c in page.select("li.card")] == ["R-2", "R-1", "R-3"]
    page = follow(haruka, submit_form(haruka, form_on(page, f"{G}/r/1/move"), button=("direction", "down")))
    assert [c.select_one(".key").get_text(strip=True) for c in page.select("li.card")] == ["R-2", "R-3", "R-1"]
    assert rec_row(db, 2).position == 0 and rec_row(db, 3).position == 1 and rec_row(db, 1).position == 2
    # The first one cannot go further up: nothing changes.
    page = follow(haruka, submit_form(haruka, form_on(page, f"{G}/r/2/move"), button=("direction", "up")))
    assert [c.select_one(".key").get_text(strip=True) for c in page.select("li.card")] == ["R-2", "R-3", "R-1"]

    # A member may only move within sections she drafts in; the co-chair moves R-3 to a whole-group section.
    options = [o["value"] for o in get_page(haruka, f"{G}/r/3").select("#move-to option")]
    assert options == [str(demo.domestic)]
    before = counts(db)
    unchanged = submit_form(haruka, move_to_form(get_page(haruka, f"{G}/r/3")))
    assert unchanged.headers["location"] == f"{G}/r/3"  # "moving" to the section it is in changes nothing
    forged = haruka.post(f"{G}/r/3/move", data={"section_id": str(demo.nts), "_csrf_token": csrf_from(
        haruka.get("/").text)}, follow_redirects=False)
    assert forged.status_code == 403
    assert rec_row(db, 3).section_id == demo.domestic and counts(db) == before

    eleanor = browse(CO_CHAIR)
    title = rec_revisions(db, 3)[-1].title
    page = follow(eleanor, submit_form(eleanor, move_to_form(get_page(eleanor, f"{G}/r/3")),
                                       {"section_id": str(demo.civil)}))
    assert key_and_title(page) == f"R-3 {title}"
    assert page.select_one(f".breadcrumbs a[href$='/sections/{demo.civil}']") is not None
    outline = dict(keys_in_outline(get_page(eleanor, f"{G}/report")))
    assert outline["Domestic constraints"] == ["R-2", "R-1"]
    assert outline["Civil society and dialogue"] == ["R-11", "R-12", "R-3"]
    moved = rec_row(db, 3)
    assert (moved.number, moved.section_id, moved.position) == (3, demo.civil, 2)
    assert sorted(rec_row(db, n).position for n in (1, 2)) == [0, 1]


def move_to_form(page: BeautifulSoup) -> Tag:
    """The "Move to section" form of a recommendation page."""
    select_ = page.find("select", id="move-to")
    assert isinstance(select_, Tag), "no 'Move to section' form"
    form = select_.find_parent("form")
    assert isinstance(form, Tag)
    return form


def test_withdrawing_hides_edit_but_keeps_text_and_history_and_reinstating_restores_it(browse, demo, db):
    haruka = browse(MEMBER)
    before = counts(db)
    page = get_page(haruka, f"{G}/r/2")
    assert page.find("a", string="Edit") is not None
    page = follow(haruka, submit(haruka, f"{G}/r/2", f"{G}/r/2/withdraw"))
    assert page.find("a", string="Edit") is None
    assert "This recommendation was withdrawn. Its text and history are kept." in main_text(page)
    head = rec_revisions(db, 2)[-1]
    assert len(page.select("div.para")) == len(split_paragraphs(head.text))
    assert page.find("button", string="Reinstate R-2") is not None
    history = get_page(haruka, f"{G}/r/2/history")
    assert len(history.select("table.history tbody tr")) == len(rec_revisions(db, 2))
    assert history.find("button", attrs={"formaction": f"{G}/r/2/restore/1"}) is None
    outline = get_page(haruka, f"{G}/report")
    item = outline.find("a", href=f"{G}/r/2").find_parent("li")
    assert "withdrawn" in item["class"] and "Withdrawn" in item.get_text(" ")
    assert rec_row(db, 2).withdrawn_by == demo.users[MEMBER]
    # Nothing can be edited while it is withdrawn.
    assert haruka.get(f"{G}/r/2/edit").status_code == 403
    token = csrf_from(haruka.get("/").text)
    assert haruka.post(f"{G}/r/2/edit", data={"_csrf_token": token, "base_rev_no": str(head.rev_no),
                                               "title": "x", "text": "y"}).status_code == 403
    assert haruka.post(f"{G}/r/2/restore/1", data={"_csrf_token": token}).status_code == 403
    assert counts(db)["revisions"] == before["revisions"]

    page = follow(haruka, submit(haruka, f"{G}/r/2", f"{G}/r/2/withdraw"))
    assert page.find("a", string="Edit") is not None
    assert page.find("span", class_="badge", string="Withdrawn") is None
    assert rec_row(db, 2).withdrawn_at is None
    assert get_page(haruka, f"{G}/r/2/edit").find("form", class_="edit-form") is not None


# --- saves that cross --------------------------------------------------------------------------------------------


def test_stale_save_of_another_paragraph_is_merged_and_the_page_says_so(browse, db):
    haruka, kim = browse(MEMBER), browse(MEMBER_KR)
    base = rec_revisions(db, 1)[-1]
    paragraphs = split_paragraphs(base.text)
    assert len(paragraphs) == 2
    her_form = form_on(get_page(haruka, f"{G}/r/1/edit"), f"{G}/r/1/edit")
    his_form = form_on(get_page(kim, f"{G}/r/1/edit"), f"{G}/r/1/edit")
    assert form_values(her_form)["base_rev_no"] == form_values(his_form)["base_rev_no"] == "3"
    his = join_paragraphs([paragraphs[0] + " Kim's addition.", paragraphs[1]])
    follow(kim, submit_form(kim, his_form, {"text": his}))
    hers = join_paragraphs([paragraphs[0], paragraphs[1] + " Haruka's addition."])
    response = submit_form(haruka, her_form, {"text": hers})
    assert response.headers["location"] == f"{G}/r/1?saved=5&merged=4"
    page = follow(haruka, response)
    assert "Someone saved revision 4 while you were editing" in main_text(page)
    assert "merged both" in main_text(page)
    merged = rec_revisions(db, 1)[-1]
    assert merged.rev_no == 5 and merged.merged_rev_no == 4 and merged.parent_rev_no == 3
    assert merged.text == join_paragraphs([paragraphs[0] + " Kim's addition.", paragraphs[1] + " Haruka's addition."])
    texts = [p.get_text(" ", strip=True) for p in page.select("div.para")]
    assert "Kim's addition." in texts[0] and "Haruka's addition." in texts[1]


def test_stale_save_of_a_section_is_merged_and_the_page_says_so(browse, demo, db):
    maya, haruka = browse(CHAIR), browse(MEMBER)
    url = f"{G}/sections/{demo.domestic}"
    base = revisions_of(db, "section", demo.domestic)[-1]
    paragraphs = split_paragraphs(base.text)
    her_form = form_on(get_page(haruka, f"{url}/edit"), f"{url}/edit")
    maya_text = join_paragraphs([paragraphs[0] + " (chair's note)", *paragraphs[1:]])
    follow(maya, submit(maya, f"{url}/edit", f"{url}/edit", {"text": maya_text}))
    hers = join_paragraphs([*paragraphs[:-1], paragraphs[-1] + " (Haruka's note)"])
    response = submit_form(haruka, her_form, {"text": hers})
    assert response.status_code == 303
    page = follow(haruka, response)
    assert f"Someone saved revision {base.rev_no + 1} while you were editing" in main_text(page)
    head = revisions_of(db, "section", demo.domestic)[-1]
    assert head.rev_no == base.rev_no + 2 and head.merged_rev_no == base.rev_no + 1
    assert "(chair's note)" in head.text and "(Haruka's note)" in head.text


def test_stale_save_of_the_same_paragraph_shows_both_texts_and_writes_nothing(browse, demo, db):
    haruka, kim = browse(MEMBER), browse(MEMBER_KR)
    paragraphs = split_paragraphs(rec_revisions(db, 1)[-1].text)
    her_form = form_on(get_page(haruka, f"{G}/r/1/edit"), f"{G}/r/1/edit")
    his = join_paragraphs(["Kim rewrote the opening paragraph entirely.", paragraphs[1]])
    follow(kim, submit(kim, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": his}))
    before, mark = counts(db), last_audit_id(db)
    hers = join_paragraphs(["Haruka rewrote the opening paragraph her own way.", paragraphs[1]])
    response = submit_form(haruka, her_form, {"text": hers, "note": "My rewrite"})
    assert response.status_code == 409
    page = soup(response)
    assert counts(db) == before and audit_since(db, mark) == []
    assert page.find("h1").get_text(strip=True) == "Someone else changed the same text"
    assert "Your text is not saved yet" in main_text(page)
    current = page.select_one(".current-text")
    assert "Kim rewrote the opening paragraph entirely." in current.get_text(" ")
    form = form_on(page, f"{G}/r/1/edit")
    values = form_values(form)
    assert values["text"] == hers and values["note"] == "My rewrite" and values["base_rev_no"] == "4"
    diff = page.select_one(".diff")
    assert "Haruka" in " ".join(i.get_text() for i in diff.select("ins"))
    assert "Kim" in " ".join(d.get_text() for d in diff.select("del"))

    response = submit_form(haruka, form)
    assert response.headers["location"] == f"{G}/r/1?saved=5"
    landed = rec_revisions(db, 1)[-1]
    assert (landed.rev_no, landed.parent_rev_no, landed.text, landed.author_id) == (5, 4, hers, demo.users[MEMBER])
    assert rec_revisions(db, 1)[3].text == his


# --- limits and cleaning ----------------------------------------------------------------------------------------


def test_a_title_over_300_or_a_text_over_50000_characters_is_refused_and_kept_in_the_form(browse, demo, db):
    haruka = browse(MEMBER)
    before = counts(db)
    title = "T" * 301
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"title": title})
    message = assert_field_error(response, "title", kept=title)
    assert "300 characters or fewer" in message and "301" in message
    assert counts(db) == before
    exactly = "T" * 300
    follow(haruka, submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"title": exactly}))
    assert rec_revisions(db, 1)[-1].title == exactly

    before = counts(db)
    text = ("Word " * 10_001)[:50_001]
    assert len(text.strip("\n")) == 50_001
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": text})
    message = assert_field_error(response, "text", kept=text)
    assert "50,000 characters or fewer" in message and "50,001" in message
    url = f"{G}/sections/{demo.domestic}/recommendations"
    response = submit(haruka, f"{url}/new", url, {"title": "U" * 301, "text": text, "rationale": "Kept."})
    assert_field_error(response, "title", kept="U" * 301)
    assert_field_error(response, "text", kept=text)
    assert form_values(form_on(soup(response), url))["rationale"] == "Kept."
    assert counts(db) == before


def test_control_characters_are_dropped_from_saved_text(browse, db):
    haruka = browse(MEMBER)
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {
        "title": "Clean\x00 title\x07 here\x1b", "text": "Null\x00 bell\x07 escape\x1b end.\n\nSecond\tparagraph.",
        "rationale": "Why\x07 not\x00.", "note": "No\x1b controls"})
    page = follow(haruka, response)
    head = rec_revisions(db, 1)[-1]
    assert head.title == "Clean title here"
    assert head.text == "Null bell escape end.\n\nSecond\tparagraph."
    assert head.rationale == "Why not." and head.note == "No controls"
    assert key_and_title(page) == "R-1 Clean title here"
    for char in "\x00\x07\x1b":
        assert char not in page.decode()


# --- who may do what ----------------------------------------------------------------------------------------------


def edit_requests(demo: Demo, base_section: int, base_rec: int) -> list[tuple[str, str, dict[str, str] | None]]:
    """Every way of changing the text of the Domestic constraints section and of R-1, with valid forms."""
    section = f"{G}/sections/{demo.domestic}"
    return [
        ("GET", f"{section}/edit", None),
        ("POST", f"{section}/edit", {"base_rev_no": str(base_section), "title": "Taken over", "text": "New."}),
        ("POST", f"{section}/restore/1", {}),
        ("GET", f"{section}/recommendations/new", None),
        ("POST", f"{section}/recommendations", {"title": "Not mine to add", "text": "Text."}),
        ("GET", f"{G}/r/1/edit", None),
        ("POST", f"{G}/r/1/edit", {"base_rev_no": str(base_rec), "title": "Taken over", "text": "New."}),
        ("POST", f"{G}/r/1/restore/1", {}),
        ("POST", f"{G}/r/1/move", {"direction": "down"}),
        ("POST", f"{G}/r/1/withdraw", {"withdrawn": "true"}),
    ]


def statuses(client: Any, requests: list[tuple[str, str, dict[str, str] | None]]) -> list[tuple[str, str, int]]:
    """The status of each (method, url, form) request; POSTs carry a valid CSRF token."""
    token = csrf_from(client.get("/").text)
    result = []
    for method, url, data in requests:
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.post(url, data={**(data or {}), "_csrf_token": token}, follow_redirects=False)
        result.append((method, url, response.status_code))
    return result


def test_people_outside_the_subgroup_cannot_edit_its_section(browse, demo, db):
    before = counts(db)
    for email in (OTHER_MEMBER, OTHER_CHAIR, ADVISER, OBSERVER):
        client = browse(email)
        answers = statuses(client, edit_requests(demo, 3, 3))
        assert [(email, *a) for a in answers if a[2] != 403] == []
        # A form with mistakes in it is refused for the same reason, not answered with an editor.
        bad = [("POST", f"{G}/r/1/edit", {"base_rev_no": "3", "title": "", "text": "y" * 50_001}),
               ("POST", f"{G}/r/1/move", {"direction": "sideways"}),
               ("POST", f"{G}/sections/{demo.domestic}/edit", {"base_rev_no": "3", "title": "T" * 301})]
        assert [(email, *a) for a in statuses(client, bad) if a[2] != 403] == []
        section = get_page(client, f"{G}/sections/{demo.domestic}")
        assert section.find("a", string="Edit section text") is None, email
        assert section.find("a", string="Add a recommendation") is None, email
        rec = get_page(client, f"{G}/r/1")
        assert rec.find("a", string="Edit") is None and rec.select_one("details.manage") is None, email
    assert counts(db) == before


def test_co_chairs_and_organizers_edit_anywhere(browse, demo, db):
    for email, number in ((CO_CHAIR, 13), (ORGANIZER, 14)):
        client = browse(email)
        for section in (demo.domestic, demo.nts, demo.civil):
            url = f"{G}/sections/{section}"
            assert get_page(client, url).find("a", string="Edit section text") is not None
            follow(client, submit(client, f"{url}/edit", f"{url}/edit", {"note": f"Edit by {email}",
                                                                         "title": f"Retitled {section} by {email}"}))
            assert revisions_of(db, "section", section)[-1].author_id == demo.users[email]
        for existing in (1, 4, 11):
            follow(client, submit(client, f"{G}/r/{existing}/edit", f"{G}/r/{existing}/edit",
                                  {"title": f"R{existing} again, by {email}"}))
            assert rec_revisions(db, existing)[-1].author_id == demo.users[email]
        url = f"{G}/sections/{demo.nts}/recommendations"
        follow(client, submit(client, f"{url}/new", url, {"title": f"Added by {email}", "text": "Text."}))
        assert rec_row(db, number).section_id == demo.nts


def test_observers_read_but_cannot_comment(browse, demo, db):
    takeshi = browse(OBSERVER)
    page = get_page(takeshi, f"{G}/r/2")
    assert page.select_one("#comments li.comment") is not None, "observers read the comments"
    assert page.select_one("form.new-comment") is None
    assert page.select("#comments form") == []
    assert page.find("summary", string="Reply") is None
    parent = comments_on(db, "recommendation", rec_row(db, 2).id or 0)[0]
    before = counts(db)
    token = csrf_from(takeshi.get("/").text)
    for data in ({"body": "An observer's view."}, {"body": "A reply.", "parent_id": str(parent.id)}):
        assert takeshi.post(f"{G}/r/2/comments", data={**data, "_csrf_token": token}).status_code == 403
    assert takeshi.post(f"{G}/sections/{demo.domestic}/comments",
                        data={"body": "x", "_csrf_token": token}).status_code == 403
    assert takeshi.post(f"{G}/r/2/comments/{parent.id}/resolve",
                        data={"resolved": "true", "_csrf_token": token}).status_code == 403
    assert counts(db) == before


# --- non-members and other groups' ids --------------------------------------------------------------------------


@dataclass(frozen=True)
class OtherGroup:
    """A second group with its own section, recommendation R-99 and comment."""

    slug: str
    section_id: int
    rec_number: int
    comment_id: int


@pytest.fixture
def other_group(db: Any) -> OtherGroup:
    """A Franco-German group whose organizer is in no other group, with a little drafting of its own."""
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
        section = Section(group_id=group.id or 0, subgroup_id=subgroup.id, position=0)
        s.add(section)
        s.flush()
        rec = Recommendation(group_id=group.id or 0, section_id=section.id or 0, number=99, position=0)
        s.add(rec)
        s.flush()
        for kind, target_id in (("section", section.id or 0), ("recommendation", rec.id or 0)):
            s.add(Revision(group_id=group.id or 0, target_type=kind, target_id=target_id, rev_no=1,
                           author_id=user.id, title="Storage targets", text="Fill to 90% by November."))
        comment = Comment(group_id=group.id or 0, target_type="recommendation", target_id=rec.id or 0,
                          author_id=user.id, body="Too ambitious?")
        s.add(comment)
        s.flush()
        return OtherGroup(group.slug, section.id or 0, rec.number, comment.id or 0)


def drafting_requests(section: int, number: int, comment: int) -> list[tuple[str, str, dict[str, str] | None]]:
    """Every drafting URL of the demo group, for one section, recommendation and comment."""
    s, r = f"{G}/sections/{section}", f"{G}/r/{number}"
    return [
        ("GET", f"{G}/report", None), ("GET", f"{G}/sections/new", None),
        ("POST", f"{G}/sections", {"title": "x"}), ("POST", f"{G}/preview", {"text": "x"}),
        ("GET", s, None), ("GET", f"{s}/edit", None), ("GET", f"{s}/history", None), ("GET", f"{s}/diff", None),
        ("GET", f"{s}/recommendations/new", None),
        ("POST", f"{s}/edit", {"base_rev_no": "1", "title": "x"}), ("POST", f"{s}/move", {"direction": "up"}),
        ("POST", f"{s}/restore/1", {}), ("POST", f"{s}/recommendations", {"title": "x", "text": "y"}),
        ("POST", f"{s}/comments", {"body": "x"}), ("POST", f"{s}/comments/{comment}/resolve", {"resolved": "true"}),
        ("GET", r, None), ("GET", f"{r}/edit", None), ("GET", f"{r}/history", None), ("GET", f"{r}/diff", None),
        ("POST", f"{r}/edit", {"base_rev_no": "1", "title": "x", "text": "y"}),
        ("POST", f"{r}/move", {"direction": "up"}), ("POST", f"{r}/withdraw", {"withdrawn": "true"}),
        ("POST", f"{r}/restore/1", {}), ("POST", f"{r}/comments", {"body": "x"}),
        ("POST", f"{r}/comments/{comment}/resolve", {"resolved": "true"}),
    ]


def test_non_members_get_404_for_every_drafting_url(browse, demo, db, other_group):
    outsider = browse(OUTSIDER)
    comment = comments_on(db, "recommendation", rec_row(db, 2).id or 0)[0].id or 0
    before = counts(db)
    answers = statuses(outsider, drafting_requests(demo.domestic, 2, comment))
    assert [a for a in answers if a[2] != 404] == []
    assert counts(db) == before
    # Their own group works, so the 404s are not a broken session.
    assert outsider.get(f"/g/{other_group.slug}/sections/{other_group.section_id}").status_code == 200


def test_ids_of_another_group_are_not_found_inside_this_one(browse, demo, db, other_group):
    haruka = browse(MEMBER)
    before = counts(db)
    answers = statuses(haruka, drafting_requests(other_group.section_id, other_group.rec_number,
                                                 other_group.comment_id))
    expected_ok = {f"{G}/report", f"{G}/sections", f"{G}/preview", f"{G}/sections/new"}
    assert [a for a in answers if a[1] not in expected_ok and a[2] != 404] == []
    token = csrf_from(haruka.get("/").text)
    more = [
        haruka.post(f"{G}/r/1/comments/{other_group.comment_id}/resolve", data={"_csrf_token": token}),
        haruka.post(f"{G}/r/1/comments", data={"_csrf_token": token, "body": "x",
                                                "parent_id": str(other_group.comment_id)}),
        haruka.post(f"{G}/r/1/move", data={"_csrf_token": token, "section_id": str(other_group.section_id)}),
        haruka.get(f"/g/{other_group.slug}/report"),
        haruka.get(f"/g/{other_group.slug}/r/{other_group.rec_number}"),
    ]
    assert [r.status_code for r in more] == [404] * len(more)
    assert counts(db)["comments"] == before["comments"] and counts(db)["revisions"] == before["revisions"]
    assert rec_row(db, 1).section_id == demo.domestic


# --- comments ------------------------------------------------------------------------------------------------


def test_commenting_replying_and_tying_a_comment_to_a_paragraph(browse, demo, db):
    haruka = browse(MEMBER)
    rec_id = rec_row(db, 1).id or 0
    mark = last_audit_id(db)
    response = submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": "Is **whole-of-government** too vague?",
                                                                  "paragraph": "2"})
    [comment] = comments_on(db, "recommendation", rec_id)
    assert response.headers["location"] == f"{G}/r/1#comment-{comment.id}"
    assert (comment.author_id, comment.paragraph, comment.rev_no, comment.parent_id) == (demo.users[MEMBER], 2, 3, None)
    page = follow(haruka, response)
    shown = page.select_one(f"#comment-{comment.id}")
    assert "Haruka Sato" in shown.select_one(".comment-meta").get_text(" ")
    assert shown.select_one('.comment-meta a[href="#p-2"]').get_text(strip=True) == "¶2"
    assert shown.select_one(".prose strong").get_text() == "whole-of-government"

    kim = browse(MEMBER_KR)
    reply_form = get_page(kim, f"{G}/r/1").select_one(f"#comment-{comment.id} details.reply form")
    response = submit_form(kim, reply_form, {"body": "Agreed, let us name the agencies."})
    assert response.status_code == 303
    page = follow(kim, response)
    reply = comments_on(db, "recommendation", rec_id)[-1]
    assert reply.parent_id == comment.id
    nested = page.select(f"#comment-{comment.id} > ul.replies > li.comment")
    assert [li["id"] for li in nested] == [f"comment-{reply.id}"]
    assert "let us name the agencies" in nested[0].get_text(" ")
    assert [li["id"] for li in page.select("#comments > ul.comment-list > li")] == [f"comment-{comment.id}"]
    events = [(e.action, e.actor_id, e.object_id) for e in audit_since(db, mark) if e.action.startswith("comment")]
    assert events == [("comment.added", demo.users[MEMBER], str(comment.id)),
                      ("comment.added", demo.users[MEMBER_KR], str(reply.id))]


def test_a_comment_on_a_paragraph_that_does_not_exist_is_refused_and_kept(browse, db):
    haruka = browse(MEMBER)
    before = counts(db)
    body = "This comment must survive the error."
    for paragraph in ("9", "0", "two", "-1"):
        response = submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": body, "paragraph": paragraph})
        message = assert_field_error(response, "paragraph", kept=paragraph)
        assert "between 1 and 2" in message
        assert soup(response).find("textarea", id="field-body").get_text() == body
    assert_field_error(submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": "   "}), "body")
    assert counts(db) == before


def test_resolving_and_reopening_belongs_to_the_author_and_the_chairs(browse, demo, db):
    haruka, kim, maya = browse(MEMBER), browse(MEMBER_KR), browse(CHAIR)
    follow(haruka, submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": "Needs a source."}))
    [comment] = comments_on(db, "recommendation", rec_row(db, 1).id or 0)
    action = f"{G}/r/1/comments/{comment.id}/resolve"
    assert get_page(kim, f"{G}/r/1").find("form", attrs={"action": action}) is None
    before = counts(db)
    refused = kim.post(action, data={"resolved": "true", "_csrf_token": csrf_from(kim.get("/").text)})
    assert refused.status_code == 403 and counts(db) == before

    page = follow(haruka, submit(haruka, f"{G}/r/1", action))
    item = page.select_one(f"#comment-{comment.id}")
    assert "resolved" in item["class"] and item.select_one(".badge").get_text(strip=True) == "Resolved"
    assert item.find("button").get_text(" ", strip=True).startswith("Reopen")
    # The chair of the subgroup reopens someone else's thread.
    page = follow(maya, submit(maya, f"{G}/r/1", action))
    assert "resolved" not in page.select_one(f"#comment-{comment.id}")["class"]
    page = follow(maya, submit(maya, f"{G}/r/1", action))
    stored = comments_on(db, "recommendation", rec_row(db, 1).id or 0)[0]
    assert stored.resolved_by == demo.users[CHAIR] and stored.resolved_at is not None
    # Another subgroup's chair is no chair here.
    ren = browse(OTHER_CHAIR)
    assert ren.post(action, data={"resolved": "false", "_csrf_token": csrf_from(ren.get("/").text)}).status_code == 403
    actions = [e.action for e in audit_since(db, 0) if (e.object_type, e.object_id) == ("comment", str(comment.id))]
    assert actions == ["comment.added", "comment.resolved", "comment.reopened", "comment.resolved"]


def test_mentioning_a_member_records_a_mention_for_that_member(browse, demo, db):
    haruka = browse(MEMBER)
    body = "@kim.minjun could you check the Korean figures? Also @maya.chen, and @nobody.here and @haruka.sato."
    follow(haruka, submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": body}))
    [comment] = comments_on(db, "recommendation", rec_row(db, 1).id or 0)
    with db.session() as s:
        mentioned = set(s.exec(select(Mention.user_id).where(Mention.comment_id == comment.id)).all())
    assert mentioned == {demo.users[MEMBER_KR], demo.users[CHAIR]}
    follow(haruka, submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": "write to someone@kim.minjun.org"}))
    second = comments_on(db, "recommendation", rec_row(db, 1).id or 0)[-1]
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(Mention).where(Mention.comment_id == second.id)).one() == 0


def test_htmx_comment_requests_answer_with_the_comments_partial(browse, demo, db):
    haruka = browse(MEMBER)
    page = get_page(haruka, f"{G}/sections/{demo.domestic}")
    form = page.select_one("form.new-comment")
    assert form["hx-post"] == f"{G}/sections/{demo.domestic}/comments" and form["hx-target"] == "#comments"
    headers = {"HX-Request": "true"}
    response = submit_form(haruka, form, {"body": "Via htmx."}, headers=headers)
    assert response.status_code == 200
    assert "<html" not in response.text and "<body" not in response.text
    partial = soup(response)
    root = partial.find(True)
    assert root.name == "section" and root["id"] == "comments"
    new = comments_on(db, "section", demo.domestic)[-1]
    assert new.body == "Via htmx." and partial.select_one(f"#comment-{new.id}") is not None
    # Resolving through htmx answers with the partial too.
    resolve = partial.find("form", attrs={"action": f"{G}/sections/{demo.domestic}/comments/{new.id}/resolve"})
    response = submit_form(haruka, resolve, headers=headers)
    assert response.status_code == 200 and "<html" not in response.text
    assert "Resolved" in soup(response).select_one(f"#comment-{new.id}").get_text(" ")
    # An error comes back in the partial with 200 (htmx swaps only 2xx), the typed text kept.
    before = counts(db)
    response = submit_form(haruka, form, {"body": "Kept in the partial.", "paragraph": "77"}, headers=headers)
    assert response.status_code == 200 and "<html" not in response.text
    partial = soup(response)
    assert partial.select_one("#error-paragraph") is not None
    assert partial.select_one("#field-body").get_text() == "Kept in the partial."
    assert counts(db) == before


# --- sections and the preview --------------------------------------------------------------------------------


def test_co_chair_adds_a_section_at_the_end_and_reorders_sections(browse, demo, db):
    eleanor = browse(CO_CHAIR)
    page = follow(eleanor, submit(eleanor, f"{G}/sections/new", f"{G}/sections", {
        "title": "Conclusion", "text": "We end here.\n\nThank you.", "subgroup_id": ""}))
    assert page.find("h1").get_text(strip=True) == "Conclusion"
    assert len(page.select("div.para")) == 2
    assert [t for t, _ in keys_in_outline(get_page(eleanor, f"{G}/report"))] == [*SECTION_TITLES, "Conclusion"]
    # A subgroup's chair adds sections only for her subgroup.
    maya = browse(CHAIR)
    options = [o["value"] for o in get_page(maya, f"{G}/sections/new").select("#field-subgroup_id option")]
    assert options == [str(demo.subgroups["Domestic constraints"])]
    before = counts(db)
    token = csrf_from(maya.get("/").text)
    for subgroup in ("", str(demo.subgroups["Non-traditional security: pandemics and climate"])):
        response = maya.post(f"{G}/sections", data={"title": "Mine", "subgroup_id": subgroup, "_csrf_token": token})
        assert response.status_code == 403
    assert counts(db) == before

    # Co-chairs change the order of sections; members cannot.
    page = get_page(eleanor, f"{G}/report")
    page = follow(eleanor, submit_form(eleanor, form_on(page, f"{G}/sections/{demo.civil}/move"),
                                       button=("direction", "up")))
    titles = [t for t, _ in keys_in_outline(page)]
    assert titles == [*SECTION_TITLES[:3], SECTION_TITLES[4], SECTION_TITLES[3], "Conclusion"]
    haruka = browse(MEMBER)
    assert haruka.get(f"{G}/sections/new").status_code == 403
    assert get_page(haruka, f"{G}/report").find("form", attrs={"action": f"{G}/sections/{demo.civil}/move"}) is None
    before = counts(db)
    refused = haruka.post(f"{G}/sections/{demo.civil}/move",
                          data={"direction": "up", "_csrf_token": csrf_from(haruka.get("/").text)})
    assert refused.status_code == 403 and counts(db) == before


def test_live_preview_renders_sanitised_html(browse):
    haruka = browse(MEMBER)
    token = csrf_from(haruka.get("/").text)
    text = ("**Bold** and [a link](https://example.org) and [bad](javascript:alert(1))\n\n"
            "<script>window.__xss=1</script> <img src=x onerror=alert(1)>")
    response = haruka.post(f"{G}/preview", data={"text": text}, headers={"HX-Request": "true", "x-csrftoken": token})
    assert response.status_code == 200 and "<html" not in response.text
    page = soup(response)
    assert page.select_one(".prose strong").get_text() == "Bold"
    assert [a.get("href") for a in page.select("a")] == ["https://example.org"]
    assert page.find("script") is None and page.find("img") is None
    assert "<script>window.__xss=1</script>" in page.get_text()
    assert all(not name.startswith("on") for tag in page.find_all(True) for name in tag.attrs)


def test_a_title_with_a_direction_override_is_refused_with_everything_typed_kept(browse, db):
    # Issue 11: U+202E in a title would print it reversed ("evil" as "live"); the form says why and keeps the text.
    haruka = browse(MEMBER)
    before = len(rec_revisions(db, 1))
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {
        "title": "An \u202eevil\u202c title", "text": "Kept text.", "rationale": "", "note": ""})
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    error = page.select_one("#error-title") or page.select_one(".error-summary")
    assert error is not None and "U+202E" in error.get_text()
    assert "Kept text." in page.get_text()
    assert len(rec_revisions(db, 1)) == before
