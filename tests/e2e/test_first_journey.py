"""First journey in a real browser: a demo member logs in, sees their group and subgroup, and gets a 404 page for
another group. Every page visited is checked with axe-core for serious or critical accessibility violations."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations
from wg.db import Database
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import create_user
from wg.models import Membership, WorkingGroup


def _other_group(database_url: str) -> None:
    db = Database(database_url)
    with db.transaction() as s:
        group = WorkingGroup(slug="nordic-energy", name="Nordic Energy Dialogue", countries=["NO", "SE"])
        s.add(group)
        s.flush()
        other = create_user(s, email="ingrid@example.org", display_name="Ingrid Berg", password="another-password",
                            country="NO")
        s.add(Membership(group_id=group.id, user_id=other.id, role="organizer"))
    db.dispose()


def _assert_accessible(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], f"axe found serious/critical problems on {page.url}: {problems}"


def test_member_logs_in_sees_group_and_subgroup_and_404_elsewhere(page: Page, live_server: str, database_url: str):
    _other_group(database_url)

    page.goto(f"{live_server}/g/trilateral")
    expect(page).to_have_url(re.compile(r"/login\?next=/g/trilateral"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    _assert_accessible(page)

    page.get_by_label("E-mail address").fill("haruka.sato@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error-summary")).to_contain_text("not right")
    expect(page.get_by_label("E-mail address")).to_have_value("haruka.sato@example.org")
    _assert_accessible(page)

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/g/trilateral")
    expect(page.get_by_role("heading", level=1)).to_have_text("U.S.–Japan–ROK Trilateral Working Group")
    expect(page.locator(".card.mine")).to_contain_text("Domestic constraints")
    expect(page.get_by_text("佐藤遥")).to_be_visible()
    expect(page.get_by_text("김민준")).to_be_visible()
    _assert_accessible(page)

    page.locator(".card.mine").get_by_role("link", name="Domestic constraints").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Domestic constraints")
    expect(page.get_by_text("You are a member of this subgroup")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Maya Chen")
    _assert_accessible(page)

    page.get_by_role("link", name="My groups").click()
    expect(page.get_by_role("link", name="U.S.–Japan–ROK Trilateral Working Group")).to_be_visible()
    expect(page.get_by_text("Nordic Energy Dialogue")).to_have_count(0)
    _assert_accessible(page)

    response = page.goto(f"{live_server}/g/nordic-energy")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("Nordic Energy Dialogue")).to_have_count(0)
    _assert_accessible(page)


def test_keyboard_reaches_login_form_and_skip_link(page: Page, live_server: str):
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")  # the skip link jumps past the site header
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type("kim.minjun@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My working groups")).to_be_visible()
