"""Two members with one recommendation's editor open, in two real browsers (Chromium, two contexts): each sees
"… is editing this" within 15 seconds; after the first saves, the second sees "a new revision was saved while you
were editing" before saving, and its link opens the difference. Then the organizer reads the audit log in words.

The heartbeat interval is 2 seconds here (``WG_PRESENCE_INTERVAL``; 10 by default). Screenshots are written to
``tests/artifacts/presence/``; axe-core finds no serious or critical violation on the pages this feature changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import axe_violations, log_in
from tests.live_server import running_server
from wg.demo import DEMO_SLUG

EDITOR = f"/g/{DEMO_SLUG}/r/1/edit"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "presence"
WITHIN = 15_000  # ms: the bound for seeing someone arrive


@pytest.fixture
def fast_server(settings: Any, tmp_path: Path) -> Iterator[str]:
    """``wg serve`` with a 2-second heartbeat."""
    with running_server(settings, tmp_path, extra_env={"WG_PRESENCE_INTERVAL": "2"}) as server:
        yield server.url


@pytest.fixture
def other(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    """A second member's browser: its own cookies."""
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()


def _accessible(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], f"axe found serious/critical problems on {page.url}: {problems}"


def test_two_members_see_each_other_and_the_revision_saved_meanwhile(page: Page, other: BrowserContext,
                                                                    fast_server: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = fast_server
    kim = other.new_page()
    log_in(page, base, "haruka.sato@example.org")
    log_in(kim, base, "kim.minjun@example.org")
    page.goto(f"{base}{EDITOR}")
    started_from = int(page.locator("form.edit-form input[name=base_rev_no]").input_value())
    kim.goto(f"{base}{EDITOR}")
    haruka_sees = page.locator("#presence")
    kim_sees = kim.locator("#presence")
    expect(haruka_sees).to_contain_text("Kim Min-jun is editing this.", timeout=WITHIN)
    expect(kim_sees).to_contain_text("Haruka Sato is editing this.", timeout=WITHIN)
    page.screenshot(path=str(SHOTS / "1-haruka-sees-kim.png"), full_page=False)
    _accessible(page)

    # Kim saves a change; Haruka, still typing, is told before she saves, and the link shows what changed.
    text = kim.locator("textarea[name=text]")
    text.fill(text.input_value() + "\n\nKim adds a paragraph about port calls.")
    kim.get_by_role("button", name="Save").click()
    expect(kim).not_to_have_url(f"{base}{EDITOR}")
    page.locator("textarea[name=text]").press("End")
    notice = haruka_sees.locator(".presence-newer")
    expect(notice).to_contain_text(f"A new revision ({started_from + 1}, by Kim Min-jun) was saved while you were "
                                   "editing", timeout=WITHIN)
    expect(haruka_sees).not_to_contain_text("is editing this", timeout=WITHIN)  # Kim left the editor by saving
    page.screenshot(path=str(SHOTS / "2-haruka-sees-new-revision.png"), full_page=False)
    _accessible(page)
    link = notice.get_by_role("link", name="see what changed")
    assert link.get_attribute("href") == f"/g/{DEMO_SLUG}/r/1/diff?from_rev={started_from}&to_rev={started_from + 1}"
    with page.context.expect_page() as opened:
        link.click()
    diff = opened.value
    diff.wait_for_load_state()
    expect(diff.locator("main ins").first).to_be_visible()
    expect(diff.locator("main")).to_contain_text("port calls")
    diff.screenshot(path=str(SHOTS / "3-what-changed.png"), full_page=False)
    diff.close()
    # Her text is still in the editor, and saving merges it with Kim's (nothing lost).
    mine = page.locator("textarea[name=text]")
    mine.fill(mine.input_value().replace("\n\nKim adds", "\n\nKim adds") + "\n\nHaruka adds a closing line.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Haruka adds a closing line.")
    expect(page.locator("main")).to_contain_text("port calls")


def test_the_organizer_reads_the_audit_log_in_words(page: Page, live_server: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "organizer@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}{EDITOR}")
    text = page.locator("textarea[name=text]")
    text.fill(text.input_value() + "\n\nThe organizer adds a line.")
    page.get_by_role("button", name="Save").click()
    expect(page).not_to_have_url(f"{live_server}{EDITOR}")
    page.goto(f"{live_server}/g/{DEMO_SLUG}/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    first = page.locator("table.audit tbody tr").first
    expect(first.locator("td.audit-what")).to_contain_text("saved revision")
    expect(first.locator("td.audit-what a.key")).to_have_text("R-1")
    expect(first.locator("td.audit-detail")).to_have_text("")
    time_cell = page.locator("table.audit td.audit-time").first
    box = time_cell.bounding_box()
    line = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('td.audit-time')).lineHeight)")
    assert box is not None and box["height"] < 2.5 * line + 16, "a time wraps over more than one line"
    page.screenshot(path=str(SHOTS / "4-audit-log.png"), full_page=True)
    _accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/g/{DEMO_SLUG}/audit")
    page.screenshot(path=str(SHOTS / "5-audit-log-390.png"), full_page=False)
