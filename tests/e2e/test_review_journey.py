"""Review in a real browser: a member submits, the subgroup's chair requests changes, the member revises and
resubmits, members from the three countries record positions, the chair approves the recommendation and then the
section, and a later edit shows the section as needing re-approval.

The recommendation page with its review panel and the chairs' queue are checked with axe-core for serious or
critical accessibility violations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from tests.e2e.conftest import axe_violations
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import Section, User

G = f"/g/{DEMO_SLUG}"
R6 = f"{G}/r/6"


def _assert_accessible(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], f"axe found serious/critical problems on {page.url}: {problems}"


@pytest.fixture
def people(browser: Browser, browser_context_args: dict[str, Any], live_server: str, settings: Any
           ) -> Iterator[Any]:
    """A logged-in browser page per demo person (sessions issued directly; the login form has its own test)."""
    database = Database(settings.database_url)
    contexts: list[Any] = []

    def _open(key: str) -> Page:
        with database.transaction() as s:
            user = s.exec(select(User).where(User.email == f"{key}@example.org")).one()
            token = issue_session(s, user, settings.session_max_age)
        context = browser.new_context(**browser_context_args)
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
        contexts.append(context)
        return context.new_page()

    _open.base = live_server  # type: ignore[attr-defined]
    _open.database = database  # type: ignore[attr-defined]
    yield _open
    for context in contexts:
        context.close()
    database.dispose()


def _state(page: Page) -> Any:
    return page.locator("#review .state")


def test_a_recommendation_is_reviewed_approved_and_its_section_reopened_by_an_edit(people: Any) -> None:
    base: str = people.base
    with people.database.session() as s:
        nts = s.exec(select(Section.id).order_by(col(Section.position))).all()[2]
    section_url = f"{base}{G}/sections/{nts}"

    # A member of the subgroup (United States) submits the draft.
    priya = people("priya.raman")
    priya.goto(f"{base}{R6}")
    expect(_state(priya)).to_have_text("Draft")
    priya.get_by_role("button", name="Submit revision 2 for review").click()
    expect(_state(priya)).to_have_text("Submitted")

    # The subgroup's chair reads it (axe on the page with the review panel) and requests changes with a note.
    ren = people("ren.nakamura")
    ren.goto(f"{base}{R6}")
    expect(ren.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    _assert_accessible(ren)
    ren.get_by_label("Note to the drafters").fill("Say which institute hosts the desk.")
    ren.get_by_role("button", name="Request changes").click()
    expect(_state(ren)).to_have_text("Changes requested")
    expect(ren.locator("#review .decision-note")).to_contain_text("Say which institute hosts the desk.")

    # The member revises and submits again.
    priya.goto(f"{base}{R6}/edit")
    priya.get_by_label("Text", exact=True).fill("Host the early-warning desk at a rotating national institute.")
    priya.get_by_role("button", name="Save", exact=True).click()
    expect(priya.get_by_role("status")).to_contain_text("Saved as revision 3.")
    priya.get_by_role("button", name="Submit revision 3 for review").click()
    expect(_state(priya)).to_have_text("Submitted")

    # Members from the three countries record their positions.
    for page in (priya, people("aoi.kobayashi"), people("lee.seoyeon")):
        if page is not priya:
            page.goto(f"{base}{R6}")
        page.get_by_label("Support", exact=True).check()
        page.get_by_role("button", name="Record my position").click()
        expect(page.locator("#positions legend")).to_contain_text("(now: support)")

    # The chair finds it in the queue (axe), approves revision 3, then R-4; R-5 is withdrawn.
    ren.goto(f"{base}{G}/queue")
    expect(ren.get_by_role("heading", name="Waiting for your review")).to_be_visible()
    _assert_accessible(ren)
    # (the item is also listed under its section, as what blocks the section's approval)
    ren.get_by_role("table").get_by_role("link", name="Host a trilateral public-health early-warning mechanism").click()
    ren.get_by_role("button", name="Approve revision 3").click()
    expect(_state(ren)).to_have_text("Approved")
    expect(ren.locator("#review")).to_contain_text("Consensus")
    _assert_accessible(ren)
    ren.goto(f"{base}{G}/r/4")
    ren.get_by_role("button", name="Approve revision").click()
    expect(_state(ren)).to_have_text("Approved")
    priya.goto(f"{base}{G}/r/5")
    priya.get_by_text("Move or withdraw").click()
    priya.get_by_role("button", name="Withdraw R-5").click()
    expect(priya.locator("#review .state")).to_have_text("Withdrawn")

    # The section is approved.
    ren.goto(section_url)
    ren.get_by_role("button", name="Approve this section").click()
    # The section has open comment threads: the chair is asked first.
    expect(ren.get_by_role("heading", level=1)).to_contain_text("open comment thread")
    ren.get_by_role("button", name="Approve anyway").click()
    expect(ren.locator("#approval > p .state")).to_have_text("Approved")

    # An edit afterwards re-opens it.
    priya.goto(f"{base}{R6}/edit")
    priya.get_by_label("Text", exact=True).fill("Host the early-warning desk at a rotating institute, with audits.")
    priya.get_by_role("button", name="Save", exact=True).click()
    expect(_state(priya)).to_have_text("Approved text changed")
    ren.goto(section_url)
    expect(ren.locator("#approval > p .state")).to_have_text("Needs re-approval")
    expect(ren.locator("#approval")).to_contain_text("something changed after it was approved")
