"""Review through the browser: submissions, decisions, positions, section approval, the chairs' queue, the inbox,
the audit log and the dashboard's progress.

Everything is done as a member would: open a page, fill in the form it shows (with its CSRF token and the revision
it shows), submit it, read the page that comes back. Rows are counted around every refused change, so a refusal
that still wrote something fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import csrf_from
from tests.forms import form_values
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import create_user
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.review.reminders import sweep
from wg.models import (
    AuditEvent,
    Membership,
    Notification,
    Position,
    Recommendation,
    ReviewEvent,
    Revision,
    Role,
    Section,
    SubgroupMember,
    User,
    WorkingGroup,
)

G = "/g/trilateral"
UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def email(key: str) -> str:
    """The demo login of a person."""
    return f"{key}@example.org"


# --- browsers and forms ---------------------------------------------------------------------------------------


class Browsers:
    """Browsers logged in as demo people (sessions issued directly: no password hash per browser)."""

    def __init__(self, stack: ExitStack, app: Any, db: Any, settings: Any) -> None:
        self.stack, self.app, self.db, self.settings = stack, app, db, settings
        self.tokens: list[str] = []

    def __call__(self, address: str | None) -> Any:
        browser = self.stack.enter_context(TestClient(app=self.app, base_url="http://testserver.local"))
        if address:
            with self.db.transaction() as s:
                user = s.exec(select(User).where(User.email == address)).one()
                token = issue_session(s, user, self.settings.session_max_age)
            self.tokens.append(token)
            browser.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")
        assert browser.get("/").status_code == 200  # as a browser would, this sets the CSRF cookie
        return browser


@pytest.fixture
def browse(app: Any, db: Any, settings: Any) -> Iterator[Browsers]:
    """Open browsers logged in as e-mail addresses; they close newest first."""
    with ExitStack() as stack:
        yield Browsers(stack, app, db, settings)


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


def field_names(form: Tag) -> set[str]:
    """Every named field of a form."""
    return {str(e["name"]) for e in form.find_all(["input", "textarea", "select"]) if e.get("name")}


def submit_form(client: Any, form: Tag, values: dict[str, str] | None = None,
                button: tuple[str, str] | None = None) -> Any:
    """Fill in fields that exist in ``form`` and submit it (optionally with the named button pressed)."""
    data = form_values(form)
    names = field_names(form)
    for name, value in (values or {}).items():
        assert name in names, f"the form has no field {name!r}"
        if name == "stance":
            assert form.find("input", attrs={"name": "stance", "value": value}), f"no choice {value!r}"
        data[name] = value
    if button is not None:
        assert form.find("button", attrs={"name": button[0], "value": button[1]}), f"no button {button}"
        data[button[0]] = button[1]
    return client.post(str(form["action"]), data=data, follow_redirects=False)


def submit(client: Any, page_url: str, action: str, values: dict[str, str] | None = None,
           button: tuple[str, str] | None = None) -> Any:
    """Open ``page_url``, fill in the form that posts to ``action`` and submit it, as a browser would."""
    return submit_form(client, form_on(get_page(client, page_url), action), values, button)


def post_raw(client: Any, page_url: str, action: str, data: dict[str, str]) -> Any:
    """Post ``data`` to ``action`` with the CSRF token of ``page_url`` (a form the page does not, or no longer,
    offer: an old tab, a crafted request)."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(action, data={**data, "_csrf_token": csrf_from(page.text)}, follow_redirects=False)


def follow(client: Any, response: Any) -> BeautifulSoup:
    """The page a 303 answer sends the browser to."""
    assert response.status_code == 303, (response.status_code, response.text[:1500])
    return get_page(client, response.headers["location"])


def text_of(node: Any) -> str:
    """The visible text of a node, whitespace collapsed."""
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def main_text(page: BeautifulSoup) -> str:
    """The visible text of the page's main content."""
    return text_of(page.find("main") or page)


def state_of(page: BeautifulSoup) -> str:
    """The review state the recommendation page shows under its title."""
    return text_of(page.select_one("#review .state"))


def summary_text(page: BeautifulSoup) -> str:
    """The error summary's text."""
    summary = page.select_one(".error-summary")
    assert summary is not None, "no error summary"
    for link in summary.find_all("a"):  # every message leads to the place on the page it is about
        assert page.find(id=str(link["href"]).removeprefix("#")) is not None, f"{link['href']} leads nowhere"
    return text_of(summary)


def assert_field_error(response: Any, field: str, kept: str | None = None, status: int = 422) -> str:
    """The page came back with a summary linking to ``field``, the message beside it, and the typed value kept."""
    assert response.status_code == status, response.text[:2000]
    page = soup(response)
    summary = page.select_one(".error-summary")
    assert summary is not None, "no error summary"
    assert summary.select_one(f'a[href="#field-{field}"]') is not None, f"the summary does not link to {field}"
    target = page.find(id=f"field-{field}")
    assert isinstance(target, Tag), f"no field {field}"
    beside = page.find(id=f"error-{field}")
    assert isinstance(beside, Tag), f"no error message beside {field}"
    assert f"error-{field}" in str(target.get("aria-describedby", "")).split()
    assert target.get("aria-invalid") == "true"
    if kept is not None:
        shown = target.get_text() if target.name == "textarea" else target.get("value")
        assert shown == kept, f"the typed {field} was not kept: {shown!r}"
    return text_of(beside)


def header_unread(page: BeautifulSoup) -> int:
    """The unread count the header shows beside "Inbox" (0 when no badge)."""
    link = page.find("a", href="/inbox")
    assert isinstance(link, Tag)
    badge = link.select_one(".count-badge")
    if badge is None:
        return 0
    assert "unread" in text_of(badge)
    return int(text_of(badge).split()[0])


def nav_links(page: BeautifulSoup) -> list[str]:
    """The link texts of the group navigation."""
    return [text_of(a) for a in page.select("nav.group-nav li a")]


# --- the database ---------------------------------------------------------------------------------------------


def user_ids(db: Any) -> dict[str, int]:
    """User ids by e-mail key (the part before @)."""
    with db.session() as s:
        return {u.email.split("@")[0]: u.id or 0 for u in s.exec(select(User))}


def section_ids(db: Any) -> list[int]:
    """The demo sections' ids in report order (Introduction, Domestic, NTS, New areas, Civil society)."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        return [x.id or 0 for x in s.exec(select(Section).where(Section.group_id == group.id)
                                           .order_by(col(Section.position)))]


def rec_id(db: Any, number: int) -> int:
    """The database id of R-<number>."""
    with db.session() as s:
        return s.exec(select(Recommendation.id).where(Recommendation.number == number)).one() or 0


def events_of(db: Any, target_type: str, target_id: int) -> list[ReviewEvent]:
    """The review events of one item, oldest first."""
    with db.session() as s:
        return list(s.exec(select(ReviewEvent).where(ReviewEvent.target_type == target_type,
                                                     ReviewEvent.target_id == target_id)
                           .order_by(col(ReviewEvent.id))))


def head_rev_no(db: Any, target_type: str, target_id: int) -> int:
    """The newest revision number of a section or recommendation."""
    with db.session() as s:
        return s.exec(select(func.max(Revision.rev_no)).where(Revision.target_type == target_type,
                                                             Revision.target_id == target_id)).one() or 0


COUNTED = (ReviewEvent, Position, AuditEvent, Notification, Revision)


def counts(db: Any) -> dict[str, int]:
    """Rows in the review tables, revisions and the audit log."""
    with db.session() as s:
        return {m.__tablename__: s.exec(select(func.count()).select_from(m)).one() for m in COUNTED}  # type: ignore


def notifications(db: Any, key: str, kind: str | None = None) -> list[Notification]:
    """A person's notifications made during the test (optionally of one kind), oldest first; the demo's own are its
    history, sent hours to weeks ago."""
    with db.session() as s:
        uid = s.exec(select(User.id).where(User.email == email(key))).one()
        query = select(Notification).where(Notification.user_id == uid, col(Notification.created_at) > since_demo())
        if kind:
            query = query.where(Notification.kind == kind)
        return list(s.exec(query.order_by(col(Notification.id))))


def since_demo() -> dt.datetime:
    """A moment after everything the demo's story did (its newest step is hours old) and before the test began."""
    return dt.datetime.now(UTC) - dt.timedelta(minutes=30)


def audit_since(db: Any, mark: int) -> list[AuditEvent]:
    """The audit events after ``mark``, oldest first."""
    with db.session() as s:
        return list(s.exec(select(AuditEvent).where(col(AuditEvent.id) > mark).order_by(col(AuditEvent.id))))


def last_audit_id(db: Any) -> int:
    """The newest audit event's id."""
    with db.session() as s:
        return s.exec(select(func.max(AuditEvent.id))).one() or 0


def local_day(zone: ZoneInfo, days: int) -> dt.date:
    """Today in a time zone, plus ``days``."""
    return dt.datetime.now(zone).date() + dt.timedelta(days=days)


def shown(moment: dt.datetime, zone: ZoneInfo) -> str:
    """How wg prints a time in a time zone."""
    return moment.astimezone(zone).strftime("%-d %b %Y, %H:%M %Z")


def edit(client: Any, number: int, text: str) -> BeautifulSoup:
    """Save a new revision of R-<number> through the editor; return the page shown after the save."""
    url = f"{G}/r/{number}/edit"
    return follow(client, submit(client, url, url, {"text": text, "note": "Revised after review"}))


# --- the workflow ---------------------------------------------------------------------------------------------


REVISED_TEXT = "Host the early-warning desk at a rotating national institute, with a shared data standard. QXZ-1"
EDITED_TEXT = "Host the early-warning desk at a rotating institute, with a shared data standard and audits. QXZ-2"
LATE_TEXT = "Host the early-warning desk at a rotating institute; publish its alerts within a day. QXZ-3"
RESERVATION = "Funding should come from existing health budgets, not new money."


def test_a_recommendation_goes_from_draft_to_an_approved_section_and_back(browse, db):
    users = user_ids(db)
    sections = section_ids(db)
    nts = sections[2]
    r6 = rec_id(db, 6)
    mark = last_audit_id(db)
    priya, ren, aoi, lee = browse(email("priya.raman")), browse(email("ren.nakamura")), \
        browse(email("aoi.kobayashi")), browse(email("lee.seoyeon"))
    page_url = f"{G}/r/6"
    page = get_page(priya, page_url)
    assert state_of(page) == "Draft"

    # A deadline in the past is refused, the typed date kept, nothing written.
    before = counts(db)
    past = local_day(NEW_YORK, -1).isoformat()
    response = submit(priya, page_url, f"{page_url}/submit", {"deadline": past})
    assert assert_field_error(response, "deadline", kept=past) == "Error: The deadline must be in the future."
    assert counts(db) == before

    # A date in the future is the end of that day in the member's time zone (New York), stored in UTC.
    day = local_day(NEW_YORK, 3)
    page = follow(priya, submit(priya, page_url, f"{page_url}/submit", {"deadline": day.isoformat()}))
    assert state_of(page) == "Submitted"
    [submitted] = events_of(db, "recommendation", r6)
    assert submitted.kind == "submit" and submitted.rev_no == 2 and submitted.actor_id == users["priya.raman"]
    expected = dt.datetime.combine(day, dt.time(23, 59), NEW_YORK).astimezone(UTC)
    assert submitted.deadline == expected
    assert f"Review deadline: {shown(expected, NEW_YORK)}" in main_text(page)
    assert f"{day.day} {day:%b %Y}, 23:59" in main_text(page)
    # The subgroup's chair (and only the chair) is told.
    [told] = notifications(db, "ren.nakamura", "submitted")
    assert "R-6" in told.message and told.link == f"{G}/r/6"
    assert notifications(db, "priya.raman", "submitted") == []

    # The chair requests changes: an empty note is refused, nothing written.
    chair_page = get_page(ren, page_url)
    form = form_on(chair_page, f"{page_url}/decision")
    assert form_values(form)["rev_no"] == "2"
    before = counts(db)
    response = submit_form(ren, form, {"note": "   "}, button=("decision", "request-changes"))
    assert assert_field_error(response, "note") == "Error: Say what should change."
    assert counts(db) == before
    note = "Say which institute hosts the desk."
    page = follow(ren, submit_form(ren, form, {"note": note}, button=("decision", "request-changes")))
    assert state_of(page) == "Changes requested"
    assert note in text_of(page.select_one("#review .decision-note"))
    # The revisions' authors are told (not the chair who asked).
    assert [n.kind for n in notifications(db, "lee.seoyeon", "changes-requested")] == ["changes-requested"]
    assert notifications(db, "ren.nakamura", "changes-requested") == []

    # The member revises (a new revision) and submits again (no date: 7 days).
    page = edit(priya, 6, REVISED_TEXT)
    assert "Saved as revision 3." in main_text(page)
    assert state_of(page) == "Changes requested"
    page = follow(priya, submit(priya, page_url, f"{page_url}/submit"))
    assert state_of(page) == "Submitted"
    resubmitted = events_of(db, "recommendation", r6)[-1]
    assert resubmitted.kind == "submit" and resubmitted.rev_no == 3
    assert resubmitted.deadline is not None
    assert dt.timedelta(days=6, hours=23) < resubmitted.deadline - resubmitted.created_at <= dt.timedelta(days=7)

    # Members from the United States and Korea support it.
    for browser in (priya, lee):
        page = follow(browser, submit(browser, page_url, f"{page_url}/position", {"stance": "support"}))
        assert "(now: support)" in text_of(page.select_one("#field-stance legend"))
    # Japan has not: the approve button is disabled, the unmet condition beside it, and an approval is refused
    # with the exact reason.
    chair_page = get_page(ren, page_url)
    assert "You cannot approve it until the rule is met" in main_text(chair_page)
    approve = chair_page.find("button", attrs={"value": "approve"})
    assert approve.has_attr("disabled") and approve["aria-disabled"] == "true"
    assert [text_of(li) for li in chair_page.select(f"#{approve['aria-describedby']} li")] == [
        "No member from Japan supports it yet."]
    reasons = [text_of(li) for li in chair_page.select("#review .verdict li")]
    assert reasons == ["No member from Japan supports it yet."]
    before = counts(db)
    response = post_raw(ren, page_url, f"{page_url}/decision", {"decision": "approve", "rev_no": "3", "note": ""})
    assert response.status_code == 422
    assert "No member from Japan supports it yet." in summary_text(soup(response))
    assert counts(db) == before
    assert state_of(get_page(ren, page_url)) == "Submitted"

    # A reservation must say what it is.
    before = counts(db)
    response = submit(aoi, page_url, f"{page_url}/position", {"stance": "reservation", "text": ""})
    assert "Say your reservation" in assert_field_error(response, "text")
    assert counts(db) == before
    page = follow(aoi, submit(aoi, page_url, f"{page_url}/position", {"stance": "reservation",
                                                                      "text": RESERVATION}))
    assert f"One member adds: {RESERVATION}" in [text_of(li) for li in page.select("#positions .views li")]
    # An objection too.
    response = submit(lee, page_url, f"{page_url}/position", {"stance": "object", "text": ""})
    assert "Say why you object" in assert_field_error(response, "text")

    # Now the rule is met: the chair approves revision 3.
    chair_page = get_page(ren, page_url)
    assert chair_page.find("button", attrs={"value": "approve"}) is not None
    page = follow(ren, submit_form(ren, form_on(chair_page, f"{page_url}/decision"), button=("decision", "approve")))
    assert state_of(page) == "Approved"
    assert "revision 3 approved · Consensus with reservations" in text_of(page.select_one("#review p"))
    assert {n.kind for n in notifications(db, "priya.raman")} >= {"approved"}
    assert [n.kind for n in notifications(db, "lee.seoyeon", "approved")] == ["approved"]

    # An edit after approval: "approved text changed", and the chair must approve again.
    assert get_page(ren, page_url).find("form", attrs={"action": f"{page_url}/decision"}) is None
    page = edit(priya, 6, EDITED_TEXT)
    assert state_of(page) == "Approved text changed"
    assert "revision 3 was approved; the text changed since and needs a new approval" in main_text(page)
    chair_page = get_page(ren, page_url)
    old_form = form_on(chair_page, f"{page_url}/decision")
    assert form_values(old_form)["rev_no"] == "4"
    edit(priya, 6, LATE_TEXT)  # … while the chair is reading revision 4
    before = counts(db)
    response = submit_form(ren, old_form, button=("decision", "approve"))
    assert response.status_code == 422
    assert "revision 5 is now current" in summary_text(soup(response))
    assert counts(db) == before
    page = follow(ren, submit(ren, page_url, f"{page_url}/decision", button=("decision", "approve")))
    assert state_of(page) == "Approved"
    assert events_of(db, "recommendation", r6)[-1].rev_no == 5

    # The section cannot be approved while R-4 (submitted) and R-5 (changes requested) are open.
    section_url = f"{G}/sections/{nts}"
    section_page = get_page(ren, section_url)
    button = section_page.find("form", attrs={"action": f"{section_url}/approve"}).find("button")
    assert button.has_attr("disabled") and button["aria-disabled"] == "true"
    assert [text_of(li.select_one(".key")) for li in section_page.select("#section-blockers > li")] == ["R-4", "R-5"]
    before = counts(db)
    response = post_raw(ren, section_url, f"{section_url}/approve", {"rev_no": str(head_rev_no(db, "section", nts))})
    assert response.status_code == 422
    assert "still open: R-4, R-5." in summary_text(soup(response))
    assert counts(db) == before

    # R-4 is approved ("Consensus": everyone supports it) and R-5 withdrawn: withdrawn counts as settled.
    page = follow(ren, submit(ren, f"{G}/r/4", f"{G}/r/4/decision", button=("decision", "approve")))
    assert "Consensus" in text_of(page.select_one("#review p")) and "reservations" not in text_of(
        page.select_one("#review p"))
    follow(priya, submit(priya, f"{G}/r/5", f"{G}/r/5/withdraw"))
    section_page = get_page(ren, section_url)
    assert text_of(section_page.select_one("#approval .state")) == "Ready for approval"
    assert not section_page.select("#section-blockers")
    # The section has open comment threads: approving asks first, listing them, and writes nothing yet.
    before = counts(db)
    response = submit(ren, section_url, f"{section_url}/approve")
    assert response.status_code == 200
    confirm = soup(response)
    assert "open comment thread" in text_of(confirm.select_one("h1"))
    assert confirm.select(".open-threads li a[href*='#comment-']")
    assert counts(db) == before
    page = follow(ren, submit_form(ren, form_on(confirm, f"{section_url}/approve"),
                                   button=("confirm", "open-threads")))
    assert text_of(page.select_one("#approval .state")) == "Approved"
    assert "2 approved · 0 in review · 0 in drafting · 1 withdrawn" in text_of(page.select_one("#approval"))

    # Positions are final once the section is approved: the form is shown disabled, with the reason.
    page = get_page(aoi, page_url)
    form = page.find("form", attrs={"action": f"{page_url}/position"})
    assert form.select_one("fieldset.position-fields").has_attr("disabled")
    assert "The section is approved: positions on R-6 are final." in text_of(page.select_one("#positions-lock"))
    before = counts(db)
    response = post_raw(aoi, page_url, f"{page_url}/position", {"stance": "object", "text": "Too late."})
    assert response.status_code == 409
    assert "positions on R-6 are final" in summary_text(soup(response))
    assert counts(db) == before

    # Any later edit re-opens the section.
    edit(priya, 6, LATE_TEXT + " QXZ-4")
    section_page = get_page(ren, section_url)
    assert text_of(section_page.select_one("#approval .state")) == "Needs re-approval"
    assert "something changed after it was approved" in text_of(section_page.select_one("#approval"))
    dashboard = get_page(ren, G)
    row = next(tr for tr in dashboard.select(".progress-table tbody tr") if "Non-traditional" in text_of(tr))
    assert text_of(row.select_one(".state")) == "Needs re-approval"

    # Every state change, decision and position change wrote one audit row with actor, action, object and address.
    rows = audit_since(db, mark)
    actions = [(e.action, e.actor_id) for e in rows]
    p, r, a, lid = users["priya.raman"], users["ren.nakamura"], users["aoi.kobayashi"], users["lee.seoyeon"]
    assert actions == [
        ("recommendation.submitted", p), ("recommendation.changes_requested", r), ("revision.saved", p),
        ("recommendation.submitted", p), ("position.recorded", p), ("position.recorded", lid),
        ("position.recorded", a), ("recommendation.approved", r), ("revision.saved", p), ("revision.saved", p),
        ("recommendation.approved", r), ("recommendation.approved", r), ("recommendation.withdrawn", p),
        ("section.approved", r), ("revision.saved", p),
    ]
    for event in rows:
        assert event.ip and event.object_type and event.object_id and event.group_id, event
    approvals = [e for e in rows if e.action == "recommendation.approved"]
    assert [(e.object_id, e.detail["rev_no"], e.detail["outcome"]) for e in approvals] == [
        (str(r6), 3, "Consensus with reservations"), (str(r6), 5, "Consensus with reservations"),
        (str(rec_id(db, 4)), head_rev_no(db, "recommendation", rec_id(db, 4)), "Consensus")]
    positions = [e for e in rows if e.action == "position.recorded"]
    assert [(e.detail["old"], e.detail["new"]) for e in positions] == [
        (None, "support"), (None, "support"), (None, "reservation")]
    # No password, session id, note, reservation or draft text anywhere in the audit log.
    with db.session() as s:
        everything = " ".join(f"{e.action} {e.object_id} {e.ip} {e.detail}" for e in s.exec(select(AuditEvent)))
    for secret in (DEMO_PASSWORD, *browse.tokens, REVISED_TEXT, EDITED_TEXT, LATE_TEXT, "QXZ", RESERVATION,
                   note):
        assert secret not in everything, secret


# --- who may do what --------------------------------------------------------------------------------------------


def test_only_the_subgroup_chair_and_co_chairs_decide_and_only_signatories_take_positions(browse, db):
    nts = section_ids(db)[2]
    r4 = f"{G}/r/4"
    before = counts(db)
    # Members of other subgroups (even chairs), advisers, observers and organizers: no decision form, 403.
    for key in ("maya.chen", "haruka.sato", "james.holloway", "robert.lindqvist", "park.sungho", "takeshi.ono",
                "organizer"):
        browser = browse(email(key))
        page = get_page(browser, r4)
        assert page.find("form", attrs={"action": f"{r4}/decision"}) is None, key
        for decision in ("approve", "request-changes"):
            response = post_raw(browser, r4, f"{r4}/decision", {"decision": decision, "rev_no": "3", "note": "x"})
            assert response.status_code == 403, (key, decision)
        response = post_raw(browser, f"{G}/sections/{nts}", f"{G}/sections/{nts}/approve", {"rev_no": "2"})
        assert response.status_code == 403, key
        if key in ("robert.lindqvist", "park.sungho", "takeshi.ono", "organizer"):
            assert page.find("form", attrs={"action": f"{r4}/position"}) is None, key
            response = post_raw(browser, r4, f"{r4}/position", {"stance": "support", "text": ""})
            assert response.status_code == 403, key
        if key in ("maya.chen", "haruka.sato", "james.holloway", "robert.lindqvist", "takeshi.ono"):
            response = post_raw(browser, f"{G}/r/6", f"{G}/r/6/submit", {"deadline": ""})
            assert response.status_code == 403, key
    assert counts(db) == before
    # The subgroup's chair and a co-chair see the decision form.
    for key in ("ren.nakamura", "kenji.morimoto"):
        page = get_page(browse(email(key)), r4)
        assert form_on(page, f"{r4}/decision").find("button", attrs={"value": "approve"}) is not None, key


def test_only_chairs_see_the_queue_and_only_organizers_the_audit_log(browse, db):
    for key, queue, audit in (
        ("ren.nakamura", 200, 403), ("maya.chen", 200, 403), ("eleanor.hayes", 200, 403),
        ("kenji.morimoto", 200, 403), ("haruka.sato", 403, 403), ("priya.raman", 403, 403),
        ("robert.lindqvist", 403, 403), ("takeshi.ono", 403, 403), ("organizer", 403, 200),
    ):
        browser = browse(email(key))
        links = nav_links(get_page(browser, G))
        assert ("Review queue" in links) is (queue == 200), key
        assert ("Audit log" in links) is (audit == 200), key
        assert browser.get(f"{G}/queue").status_code == queue, key
        assert browser.get(f"{G}/audit").status_code == audit, key
        assert browser.get(f"{G}/audit?format=csv").status_code == audit, key


def test_non_members_get_404_on_every_review_page(browse, db):
    with db.transaction() as s:
        create_user(s, email="outsider@example.org", display_name="Out Sider", password=DEMO_PASSWORD, country="US")
    nts = section_ids(db)[2]
    outsider = browse("outsider@example.org")
    token = csrf_from(outsider.get("/").text)
    before = counts(db)
    for url in (f"{G}/queue", f"{G}/audit", f"{G}/audit?format=csv", f"{G}/r/4", f"{G}/sections/{nts}"):
        assert outsider.get(url).status_code == 404, url
    for url, data in ((f"{G}/r/6/submit", {"deadline": ""}),
                      (f"{G}/r/4/decision", {"decision": "approve", "rev_no": "3"}),
                      (f"{G}/r/4/position", {"stance": "support"}),
                      (f"{G}/sections/{nts}/approve", {"rev_no": "2"})):
        response = outsider.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 404, url
    assert counts(db) == before
    # Inside the group, review URLs of things that do not exist are 404 too.
    member = browse(email("priya.raman"))
    assert member.get(f"{G}/r/99").status_code == 404
    assert post_raw(member, G, f"{G}/r/99/submit", {"deadline": ""}).status_code == 404
    assert post_raw(member, G, f"{G}/sections/99999/approve", {"rev_no": "1"}).status_code == 404


# --- the queue ----------------------------------------------------------------------------------------------------


def queue_rows(page: BeautifulSoup) -> list[dict[str, str]]:
    """The queue's rows: key, age, deadline (as shown) and its machine-readable value."""
    rows = []
    for tr in page.select("main table tbody tr"):
        cells = tr.find_all("td")
        time = cells[3].find("time")
        rows.append({"key": text_of(cells[0].select_one(".key")), "state": text_of(cells[1]),
                     "age": text_of(cells[2]), "deadline": text_of(time),
                     "datetime": str(time["datetime"]) if time else ""})
    return rows


def test_the_queue_shows_each_chair_their_items_with_deadlines_in_their_own_time_zone(browse, db):
    with db.session() as s:
        r4 = s.exec(select(ReviewEvent).where(ReviewEvent.target_id == rec_id(db, 4), ReviewEvent.kind == "submit")
                    ).one()
        deadline = r4.deadline
        age_hours = int((dt.datetime.now(UTC) - r4.created_at).total_seconds() // 3600)
    assert deadline is not None
    ren = browse(email("ren.nakamura"))  # Asia/Tokyo, chairs "Non-traditional security"
    eleanor = browse(email("eleanor.hayes"))  # America/New_York, co-chair
    lee = browse(email("lee.seoyeon"))  # Asia/Seoul, chairs "New areas of cooperation"
    mine = queue_rows(get_page(ren, f"{G}/queue"))
    assert [r["key"] for r in mine] == ["R-4"]
    assert mine[0]["state"] == "Submitted"
    assert mine[0]["deadline"] == shown(deadline, TOKYO) and mine[0]["deadline"].endswith("JST")
    assert mine[0]["age"] == f"{age_hours} hours ago"
    everything = queue_rows(get_page(eleanor, f"{G}/queue"))
    assert [r["key"] for r in everything] == ["R-4", "R-7"]  # nearest deadline first
    assert everything[0]["deadline"] == shown(deadline, NEW_YORK)
    assert everything[0]["deadline"][-3:] in {"EST", "EDT"}
    assert everything[0]["datetime"] == mine[0]["datetime"]
    assert everything[1]["age"] == "1 day ago"
    assert [r["key"] for r in queue_rows(get_page(lee, f"{G}/queue"))] == ["R-7"]

    # Sections ready for approval: the co-chair sees the group-level introduction (nothing inside to settle).
    def ready(browser: Any) -> list[str]:
        page = get_page(browser, f"{G}/queue")
        heading = page.find("h2", string="Sections ready for approval")
        assert isinstance(heading, Tag)
        listing = heading.find_next_sibling()
        return [text_of(a) for a in listing.find_all("a")] if listing and listing.name == "ul" else []

    assert ready(eleanor) == ["Introduction"]
    assert ready(ren) == []
    # Once R-4 is approved and withdrawn, the chair's section is ready.
    follow(ren, submit(ren, f"{G}/r/4", f"{G}/r/4/decision", button=("decision", "approve")))
    priya = browse(email("priya.raman"))
    for n in (5, 6):
        follow(priya, submit(priya, f"{G}/r/{n}", f"{G}/r/{n}/withdraw"))
    assert ready(ren) == ["Non-traditional security: pandemics and climate"]
    assert queue_rows(get_page(ren, f"{G}/queue")) == []
    assert "No recommendation is waiting for your decision." in main_text(get_page(ren, f"{G}/queue"))


# --- the inbox ----------------------------------------------------------------------------------------------------


def inbox_items(page: BeautifulSoup) -> list[tuple[str, bool]]:
    """(message, unread) of each notification in the inbox."""
    return [(text_of(li.find("a")), "unread" in (li.get("class") or [])) for li in page.select("ul.inbox > li")]


def test_the_inbox_collects_submissions_decisions_mentions_and_deadline_reminders(browse, db):
    priya, ren = browse(email("priya.raman")), browse(email("ren.nakamura"))
    # A review deadline within 48 hours (R-4, 36 h) gives each person concerned exactly one reminder, from the
    # sweep (twice here: the second sends nothing new), not from opening the inbox.
    assert [m for m, _ in inbox_items(get_page(priya, "/inbox")) if "within 48 hours" in m] == []
    assert sweep(db) > 0
    assert sweep(db) == 0
    first = get_page(priya, "/inbox")
    second = get_page(priya, "/inbox")
    reminders = notifications(db, "priya.raman", "deadline")
    assert len(reminders) == 1 and "R-4" in reminders[0].message
    assert [m for m, _ in inbox_items(second) if "within 48 hours" in m] == [reminders[0].message]
    assert inbox_items(first) == inbox_items(second)
    assert header_unread(second) == 1
    assert notifications(db, "haruka.sato", "deadline") == []  # not her subgroup

    # Submitting notifies the chair; a mention in a comment notifies the member named.
    follow(priya, submit(priya, f"{G}/r/6", f"{G}/r/6/submit"))
    comment_url = f"{G}/r/6/comments"
    response = post_raw(priya, f"{G}/r/6", comment_url, {"body": "@ren.nakamura could you check the host agency?"})
    assert response.status_code == 303
    page = get_page(ren, "/inbox")
    messages = [m for m, unread in inbox_items(page) if unread]
    assert "Priya Raman mentioned you in a comment on R-6." in messages
    assert any(m.startswith("R-6 “") and m.endswith("was submitted for your review.") for m in messages)
    unread = header_unread(page)
    assert unread == len(messages) == len([n for n in notifications(db, "ren.nakamura") if n.read_at is None])

    # Request changes, then approve: the revision authors (Lee Seo-yeon, Ren Nakamura) are told, not the chair.
    follow(ren, submit(ren, f"{G}/r/6", f"{G}/r/6/decision", {"note": "Name the host."},
                       button=("decision", "request-changes")))
    lee = browse(email("lee.seoyeon"))
    assert any("Changes were requested on R-6" in m for m, _ in inbox_items(get_page(lee, "/inbox")))
    assert notifications(db, "ren.nakamura", "changes-requested") == []

    # Mark one read, then all.
    page = get_page(ren, "/inbox")
    unread_before = header_unread(page)
    one = page.select_one("ul.inbox > li.unread form")
    assert isinstance(one, Tag)
    message = text_of(one.find_parent("li").find("a"))
    page = follow(ren, submit_form(ren, one))
    assert (message, False) in inbox_items(page)
    assert header_unread(page) == unread_before - 1
    page = follow(ren, submit(ren, "/inbox", "/inbox/read"))
    assert all(not unread for _, unread in inbox_items(page))
    assert header_unread(page) == 0
    assert all(n.read_at is not None for n in notifications(db, "ren.nakamura"))


def test_notifications_of_a_group_the_user_left_are_not_shown(browse, db):
    users = user_ids(db)
    with db.transaction() as s:
        other = WorkingGroup(slug="bilateral", name="Bilateral Study Group", countries=["US", "JP"])
        s.add(other)
        s.flush()
        s.add(Membership(group_id=other.id or 0, user_id=users["maya.chen"], role=Role.MEMBER.value))
        s.add(Notification(user_id=users["maya.chen"], group_id=other.id or 0, kind="demo",
                           message="A note from the bilateral group.", link="/g/bilateral"))
        trilateral = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        s.add(Notification(user_id=users["maya.chen"], group_id=trilateral.id or 0, kind="demo",
                           message="An unread note from the trilateral group.", link="/g/trilateral"))
    maya = browse(email("maya.chen"))
    sweep(db)
    page = get_page(maya, "/inbox")
    messages = [m for m, _ in inbox_items(page)]
    assert "A note from the bilateral group." in messages
    assert "An unread note from the trilateral group." in messages
    assert any("submitted for your review" in m for m in messages)  # the demo's trilateral history
    with_both = header_unread(page)
    # Maya leaves the trilateral group: its notifications disappear from the inbox and the count.
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        for row in s.exec(select(SubgroupMember).where(SubgroupMember.user_id == users["maya.chen"])):
            s.delete(row)
        s.delete(s.exec(select(Membership).where(Membership.group_id == group.id,
                                                 Membership.user_id == users["maya.chen"])).one())
    page = get_page(maya, "/inbox")
    assert [m for m, _ in inbox_items(page)] == ["A note from the bilateral group."]
    assert header_unread(page) == 1 < with_both


# --- the audit log ----------------------------------------------------------------------------------------------


def audit_table(page: BeautifulSoup) -> list[list[str]]:
    """The audit page's rows as cell texts."""
    return [[text_of(td) for td in tr.find_all("td")] for tr in page.select("table.audit tbody tr")]


def test_the_audit_log_filters_and_downloads_csv_with_formulas_neutralised(browse, db):
    users = user_ids(db)
    # People whose names a spreadsheet would read as formulas.
    names = {"priya.raman": "=HYPERLINK(\"http://evil\")", "ren.nakamura": "+Ren", "lee.seoyeon": "-Lee",
             "aoi.kobayashi": "@Aoi"}
    with db.transaction() as s:
        for key, name in names.items():
            user = s.get(User, users[key])
            assert user is not None
            user.display_name = name
            s.add(user)
        # The demo's story is in the log already: its positions, and its oldest day.
        demo_positions = len(s.exec(select(AuditEvent.id).where(AuditEvent.action == "position.recorded")).all())
        first_day = s.exec(select(func.min(AuditEvent.at))).one().date()
    priya, ren, lee, aoi = (browse(email(k)) for k in names)
    follow(priya, submit(priya, f"{G}/r/6", f"{G}/r/6/submit"))
    follow(ren, submit(ren, f"{G}/r/6", f"{G}/r/6/decision", {"note": "More detail."},
                       button=("decision", "request-changes")))
    follow(lee, submit(lee, f"{G}/r/4", f"{G}/r/4/position", {"stance": "abstain"}))
    follow(aoi, submit(aoi, f"{G}/r/4", f"{G}/r/4/position", {"stance": "support"}))
    organizer = browse(email("organizer"))
    page = get_page(organizer, f"{G}/audit")
    rows = audit_table(page)
    # In words (tests/integration/test_audit_log.py reads them in detail): time, what happened, details, address.
    assert rows[0][1:] == ["@Aoi recorded a position on R-4 : support", "", "testclient"]
    assert [r[1].split(" ", 1)[1] for r in rows[:4]] == [
        "recorded a position on R-4 : support", "recorded a position on R-4 : abstain",
        "asked for changes to R-6 , revision 2", "submitted R-6 , revision 2"]
    assert rows[1][2] == "before: support"
    assert f"recommendation {rec_id(db, 4)}" not in rows[0][1]

    # Filters: action, person, dates.
    rows = audit_table(get_page(organizer, f"{G}/audit?action=position"))
    assert [r[1] for r in rows[:2]] == ["@Aoi recorded a position on R-4 : support",
                                        "-Lee recorded a position on R-4 : abstain"]
    assert len(rows) == 2 + demo_positions
    assert all(" recorded a position on " in r[1] for r in rows)
    rows = audit_table(get_page(organizer, f"{G}/audit?actor={users['ren.nakamura']}"))
    assert rows[0][1] == "+Ren asked for changes to R-6 , revision 2"
    assert all(r[1].startswith("+Ren ") for r in rows)
    with db.session() as s:  # the filter's dates are days in the viewer's time zone
        zone = ZoneInfo(s.exec(select(User.time_zone).where(User.email == email("organizer"))).one() or "UTC")
    today = dt.datetime.now(zone).date()
    assert len(audit_table(get_page(organizer, f"{G}/audit?since={today}&until={today}"))) >= 4
    rows = audit_table(get_page(organizer, f"{G}/audit?since={today + dt.timedelta(days=1)}"))
    assert rows == [["No events match."]]
    rows = audit_table(get_page(organizer, f"{G}/audit?until={first_day - dt.timedelta(days=1)}"))
    assert rows == [["No events match."]]
    # A bad date is an error on the page, not a 500.
    response = organizer.get(f"{G}/audit?since=2026-13-45")
    assert response.status_code in {200, 422}
    bad = soup(response)
    assert "Enter a date like 2026-11-30." in summary_text(bad)
    assert bad.find(id="field-since") is not None

    # The CSV: a header row, one row per event, formula-looking cells neutralised.
    response = organizer.get(f"{G}/audit?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["time_utc", "actor", "action", "object_type", "object_id", "ip", "detail"]
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        total = s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.group_id == group.id)).one()
    assert len(table) - 1 == total
    actors = {row[1] for row in table[1:]}
    assert {"'=HYPERLINK(\"http://evil\")", "'+Ren", "'-Lee", "'@Aoi"} <= actors
    for row in table[1:]:
        for cell in row:
            assert cell[:1] not in {"=", "+", "-", "@"}, row
    # Filters apply to the download too.
    table = list(csv.reader(io.StringIO(organizer.get(f"{G}/audit?format=csv&action=position").text)))
    assert [row[2] for row in table[1:]] == ["position.recorded"] * (2 + demo_positions)


# --- the dashboard and additional views ------------------------------------------------------------------------------


def test_the_dashboard_shows_progress_and_positions_and_views_follow_the_attribution_mode(browse, db):
    haruka = browse(email("haruka.sato"))
    page = get_page(haruka, G)
    rows = {text_of(tr.find("a")): tr for tr in page.select(".progress-table tbody tr")}
    bars = {title: str(tr.select_one("svg.progress")["aria-label"]) if tr.select_one("svg.progress") else ""
            for title, tr in rows.items()}
    assert bars == {
        "Introduction": "",
        "Domestic constraints": "3 approved, 0 in review, 0 in drafting",
        "Non-traditional security: pandemics and climate": "0 approved, 1 in review, 2 in drafting",
        "New areas of cooperation": "1 approved, 1 in review, 2 in drafting",
        "Civil society and dialogue": "0 approved, 0 in review, 2 in drafting",
    }
    assert text_of(rows["Domestic constraints"].select_one(".state")) == "Approved"
    items = {text_of(li.select_one(".key")): li for li in page.select(".rec-progress li")}
    assert text_of(items["R-5"].select_one(".state")) == "Changes requested"
    assert text_of(items["R-7"].select_one(".state")) == "Submitted"

    def dots(key: str) -> dict[str, str]:
        return {str(chip["title"]): str(chip.select_one(".stance-bar")["aria-label"])
                for chip in items[key].select(".country-chip")}

    assert dots("R-7") == {
        "United States": "0 support, 0 with reservations, 0 abstain, 1 object",
        "Japan": "1 support, 0 with reservations, 0 abstain, 0 object",
        "Republic of Korea": "2 support, 0 with reservations, 0 abstain, 0 object",
    }
    assert dots("R-2")["Republic of Korea"] == "1 support, 1 with reservations, 0 abstain, 0 object"
    assert len(items["R-7"].select(".dot.object")) == 1

    # blocked by an objection and no supporter from the United States; its dissent is unattributed.
    page = get_page(haruka, f"{G}/r/7")
    assert [text_of(li) for li in page.select("#review .verdict li")] == [
        "No member from United States supports it yet.", "1 member objects."]
    views = [text_of(li) for li in page.select("#positions .views li")]
    assert len(views) == 1 and views[0].startswith("One member dissents: Aid without verifiable monitoring")
    page = get_page(haruka, f"{G}/r/2")
    assert "Consensus with reservations" in text_of(page.select_one("#review p"))
    assert [text_of(li)[:16] for li in page.select("#positions .views li")] == ["One member adds:"]

    def set_mode(mode: str, consent: bool) -> None:
        with db.transaction() as s:
            group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
            group.attribution_mode = mode
            s.add(group)
            james = s.exec(select(User).where(User.email == email("james.holloway"))).one()
            james.consents_to_attribution = consent
            s.add(james)

    def r7_view() -> str:
        return text_of(get_page(haruka, f"{G}/r/7").select_one("#positions .views li"))

    set_mode("country", True)
    assert r7_view().startswith("A member from United States dissents: Aid without")
    set_mode("name", False)
    assert r7_view().startswith("A member from United States dissents: Aid without")
    set_mode("name", True)
    assert r7_view().startswith("James Holloway dissents: Aid without")
