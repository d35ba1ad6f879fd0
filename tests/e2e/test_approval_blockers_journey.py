"""What blocks an approval, in a real browser at 1,280 px and on a phone (390 × 844): the chair sees the section's
approval panel with the approve button disabled and the blocking item listed (key, state, link), follows the link,
approves the item with the keyboard only (Tab, Enter), goes back, and approves the section (confirming over its
open comment threads). The subgroup page shows the member's waiting items and the section's "add a
recommendation" link. axe-core finds no violations on the pages this changed; screenshots go to
tests/artifacts/approval-blockers/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from tests.e2e.conftest import AXE_JS
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import Comment, Section, User

G = f"/g/{DEMO_SLUG}"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "approval-blockers"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def all_axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation on the page, whatever its impact."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
            for v in result["violations"]]


def check(page: Page, name: str, mine: str) -> None:
    """axe finds nothing, what this feature added (``mine``, a selector) fits in the window, and a screenshot is
    kept to look at. (The whole page's width at 390 px is the phone layout's test: the site header still overflows.)"""
    assert all_axe_violations(page) == [], page.url
    limit = page.viewport_size["width"]  # type: ignore[index]
    wide = page.evaluate("""([sel, limit]) => [...document.querySelectorAll(sel)]
        .flatMap(e => [e, ...e.querySelectorAll('*')])
        .filter(e => e.getBoundingClientRect().right > limit + 0.5)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
                         [mine, limit])
    assert page.locator(mine).count() > 0 and wide == [], (page.url, wide)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.locator(mine).first.screenshot(path=str(SHOTS / f"{name}-part.png"))


def press_tab_to(page: Page, name: str, limit: int = 300) -> None:
    """Press Tab until the focused element's accessible text starts with ``name`` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("(document.activeElement.innerText || document.activeElement.value || '').trim()")
        if focused.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r} on {page.url}")


@pytest.fixture
def person(browser: Browser, browser_context_args: dict[str, Any], live_server: str, settings: Any
           ) -> Iterator[Any]:
    """A logged-in page per demo person, in a window of the given size."""
    database = Database(settings.database_url)
    contexts: list[Any] = []

    def _open(key: str, viewport: dict[str, int]) -> Page:
        with database.transaction() as s:
            user = s.exec(select(User).where(User.email == f"{key}@example.org")).one()
            token = issue_session(s, user, settings.session_max_age)
        context = browser.new_context(**browser_context_args, viewport=viewport)
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
        contexts.append(context)
        return context.new_page()

    _open.base = live_server  # type: ignore[attr-defined]
    _open.database = database  # type: ignore[attr-defined]
    yield _open
    for context in contexts:
        context.close()
    database.dispose()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_chair_sees_what_blocks_a_section_approves_it_by_keyboard_and_then_the_section(person: Any, size: str
                                                                                             ) -> None:
    base: str = person.base
    viewport = VIEWPORTS[size]
    with person.database.session() as s:
        section_id = s.exec(select(Section.id).order_by(col(Section.position))).all()[2]
        subgroup_id = s.get(Section, section_id).subgroup_id  # type: ignore[union-attr]
    section_url = f"{base}{G}/sections/{section_id}"

    # The member's subgroup page leads to the work: sections, waiting items, "add a recommendation".
    priya = person("priya.raman", viewport)
    priya.goto(f"{base}{G}/subgroups/{subgroup_id}")
    expect(priya.locator("#to-draft")).to_contain_text("R-6")
    expect(priya.locator("#to-revise")).to_contain_text("R-5")
    expect(priya.locator(f"#subgroup-section-{section_id}").get_by_role("link", name="Add a recommendation")
           ).to_be_visible()
    check(priya, f"{size}-subgroup", ".subgroup-work, #sections-title + ul")
    priya.locator(f"#subgroup-section-{section_id}").get_by_role("link", name="Add a recommendation").click()
    expect(priya.locator(".breadcrumbs")).to_contain_text("New recommendation")
    expect(priya.get_by_role("heading", level=1)).to_contain_text("New recommendation in “")

    # are withdrawn by their drafter: only R-4 (submitted) still blocks the section.
    for number in (5, 6):
        priya.goto(f"{base}{G}/r/{number}")
        priya.get_by_text("Move or withdraw").click()
        priya.get_by_role("button", name=f"Withdraw R-{number}").click()
        expect(priya.locator("#review .state")).to_have_text("Withdrawn")

    # A member leaves a question on the section, still open when the chair approves (set up directly: the comment
    # form has its own journey).
    with person.database.transaction() as s:
        author = s.exec(select(User.id).where(User.email == "priya.raman@example.org")).one()
        group_id = s.get(Section, section_id).group_id  # type: ignore[union-attr]
        s.add(Comment(group_id=group_id, target_type="section", target_id=section_id, author_id=author,
                      body="Should the climate paragraph cite the 2026 assessment?"))

    # The chair sees the panel: the button disabled, R-4 listed with its state and a link.
    ren = person("ren.nakamura", viewport)
    ren.goto(f"{section_url}#approval")
    button = ren.get_by_role("button", name="Approve this section")
    expect(button).to_be_disabled()
    blockers = ren.locator("#section-blockers > li")
    expect(blockers).to_have_count(1)
    expect(blockers.first).to_contain_text("R-4")
    expect(blockers.first).to_contain_text("Submitted")
    expect(blockers.first).to_contain_text("waiting for a chair's decision")
    ren.locator("#approval").scroll_into_view_if_needed()
    check(ren, f"{size}-section-blocked", "#approval")

    # The same list in the queue.
    ren.goto(f"{base}{G}/queue")
    expect(ren.locator(f"#blockers-{section_id}")).to_contain_text("R-4")
    check(ren, f"{size}-queue", ".blocked-sections")

    # A co-chair on R-7 (an objection): "Approve" is disabled and the unmet condition is beside it.
    eleanor = person("eleanor.hayes", viewport)
    eleanor.goto(f"{base}{G}/r/7#review")
    expect(eleanor.get_by_role("button", name="Approve revision")).to_be_disabled()
    expect(eleanor.locator("#approve-blockers")).to_contain_text("1 member objects.")
    check(eleanor, f"{size}-item-blocked", "#review")

    # Back on the section, the chair follows the link to R-4 and approves it with the keyboard only.
    ren.goto(f"{section_url}#approval")
    ren.locator("#section-blockers").get_by_role("link").last.click()
    expect(ren.locator("#review .state")).to_have_text("Submitted")
    press_tab_to(ren, "Approve revision")
    ren.keyboard.press("Enter")
    expect(ren.locator("#review .state")).to_have_text("Approved")
    check(ren, f"{size}-item-approved", "#review")

    # Back to the section: nothing blocks it; approving asks about the open comment threads first.
    ren.go_back()
    ren.go_back()
    ren.reload()
    expect(ren.locator("#section-blockers")).to_have_count(0)
    expect(ren.get_by_role("button", name="Approve this section")).to_be_enabled()
    press_tab_to(ren, "Approve this section")
    ren.keyboard.press("Enter")
    expect(ren.get_by_role("heading", level=1)).to_contain_text("open comment thread")
    expect(ren.locator(".open-threads")).to_contain_text("Should the climate paragraph cite the 2026 assessment?")
    check(ren, f"{size}-confirm", "main")
    press_tab_to(ren, "Approve anyway")
    ren.keyboard.press("Enter")
    expect(ren.locator("#approval > p .state")).to_have_text("Approved")
    check(ren, f"{size}-section-approved", "#approval")
