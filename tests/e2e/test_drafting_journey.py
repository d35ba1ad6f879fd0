"""Drafting in a real browser: the editor's live preview and save, two members crossing edits (the conflict page
keeps every word of the second), and the private autosave that offers unsaved text back after a reload.

The editor and conflict pages are checked with axe-core for serious or critical accessibility violations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import col, select

from tests.e2e.conftest import axe_violations, log_in
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.models import Recommendation, Revision, User

EDITOR = f"/g/{DEMO_SLUG}/r/1/edit"
DRAFT_KEY = re.compile(r"^wg-draft:")


@pytest.fixture
def second_context(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    """Another member's browser: its own cookies and local storage."""
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()


def _open_editor(page: Page, base: str) -> int:
    """Open R-1's editor; return the revision it starts from."""
    page.goto(f"{base}{EDITOR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit R-1")
    return int(page.locator("input[name=base_rev_no]").input_value())


def _assert_accessible(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], f"axe found serious/critical problems on {page.url}: {problems}"


def _head(database_url: str) -> tuple[Revision, str]:
    """R-1's newest revision and its author's e-mail."""
    db = Database(database_url)
    try:
        with db.session() as s:
            rec = s.exec(select(Recommendation).where(Recommendation.number == 1)).one()
            rev = s.exec(select(Revision).where(Revision.target_type == "recommendation",
                                                Revision.target_id == rec.id)
                         .order_by(col(Revision.rev_no).desc())).first()
            assert rev is not None
            author = s.get(User, rev.author_id)
            assert author is not None
            return rev, author.email
    finally:
        db.dispose()


def _replace_paragraph(text: str, index: int, new: str) -> str:
    paragraphs = text.split("\n\n")
    paragraphs[index] = new
    return "\n\n".join(paragraphs)


def _draft_keys(page: Page) -> list[str]:
    keys: list[str] = page.evaluate("() => Object.keys(window.localStorage)")
    return [k for k in keys if DRAFT_KEY.match(k)]


def test_member_types_sees_live_preview_and_saves(page: Page, live_server: str, database_url: str) -> None:
    log_in(page, live_server, "maya.chen@example.org")
    base = _open_editor(page, live_server)
    preview = page.locator("#preview")
    text = page.get_by_label("Text", exact=True)
    # htmx renders the stored text as soon as the editor opens
    expect(preview).not_to_contain_text("The preview appears here")
    _assert_accessible(page)

    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nMinisters should meet **every six months** in Jeju.")
    expect(preview.locator("strong", has_text="every six months")).to_be_visible()
    expect(preview).to_contain_text("Ministers should meet every six months in Jeju.")
    typed = text.input_value()
    assert typed.endswith("\n\nMinisters should meet **every six months** in Jeju.")

    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/g/{DEMO_SLUG}/r/1\?saved={base + 1}$"))
    expect(page.get_by_role("status")).to_have_text(f"Saved as revision {base + 1}.")
    expect(page.locator("main")).to_contain_text("Ministers should meet every six months in Jeju.")
    head, author = _head(database_url)
    assert (head.rev_no, head.text, author) == (base + 1, typed.strip("\n"), "maya.chen@example.org")


def test_crossing_edits_land_on_conflict_page_that_keeps_my_text(page: Page, second_context: BrowserContext,
                                                                 live_server: str, database_url: str) -> None:
    log_in(page, live_server, "maya.chen@example.org")
    other = second_context.new_page()
    log_in(other, live_server, "haruka.sato@example.org")
    base_a = _open_editor(page, live_server)
    base_b = _open_editor(other, live_server)
    assert base_a == base_b
    original = page.get_by_label("Text", exact=True).input_value()
    assert original == other.get_by_label("Text", exact=True).input_value()

    theirs = _replace_paragraph(original, 0, "Haruka's opening: the three legislatures should create a standing "
                                             "caucus that meets twice a year.")
    other.get_by_label("Text", exact=True).fill(theirs)
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_role("status")).to_have_text(f"Saved as revision {base_a + 1}.")

    mine = _replace_paragraph(original, 0, "Maya's opening: parliamentary exchanges should be funded for five "
                                           "years, not one — 議員交流 / 의원 교류.")
    page.get_by_label("Text", exact=True).fill(mine)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(EDITOR)) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 409
    expect(page.get_by_role("heading", level=1)).to_have_text("Someone else changed the same text")
    expect(page.get_by_role("alert")).to_contain_text("Your text is not saved yet")
    # The current revision (theirs) is shown, and every character typed is back in the form.
    expect(page.get_by_role("heading", name=f"Revision {base_a + 1} (now saved)")).to_be_visible()
    expect(page.locator(".current-text")).to_contain_text("Haruka's opening")
    expect(page.get_by_label("Text", exact=True)).to_have_value(mine)
    assert page.get_by_label("Text", exact=True).input_value() == mine
    diff = page.locator(".diff")
    expect(diff.locator("del").filter(has_text="Haruka")).not_to_have_count(0)
    expect(diff.locator("ins").filter(has_text="Maya")).not_to_have_count(0)
    _assert_accessible(page)

    page.get_by_role("button", name="Save my text as the new revision").click()
    expect(page.get_by_role("status")).to_have_text(f"Saved as revision {base_a + 2}.")
    expect(page.locator("main")).to_contain_text("Maya's opening")
    expect(page.locator("main")).not_to_contain_text("Haruka's opening")
    head, author = _head(database_url)
    assert (head.rev_no, head.text, author) == (base_a + 2, mine, "maya.chen@example.org")
    assert head.parent_rev_no == base_a + 1  # saved from the conflict page, knowingly over Haruka's revision
    assert _draft_keys(page) == []


def test_autosave_offers_unsaved_text_back_after_reload(page: Page, live_server: str, database_url: str) -> None:
    log_in(page, live_server, "maya.chen@example.org")
    base = _open_editor(page, live_server)
    text = page.get_by_label("Text", exact=True)
    original = text.input_value()
    offer = page.get_by_role("status").filter(has_text="This browser kept text")
    expect(offer).to_be_hidden()

    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nAn unsaved thought about 통일 and 安全保障.")
    typed = text.input_value()
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('wg-draft:'))")

    page.reload()
    expect(offer).to_be_visible()
    expect(text).to_have_value(original)
    _assert_accessible(page)
    page.get_by_role("button", name="Put it back in the form").click()
    expect(text).to_have_value(typed)
    expect(offer).to_be_hidden()
    expect(page.locator("#preview")).to_contain_text("An unsaved thought about 통일 and 安全保障.")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(f"Saved as revision {base + 1}.")
    assert _draft_keys(page) == []
    head, _ = _head(database_url)
    assert head.text == typed.strip("\n")

    _open_editor(page, live_server)
    expect(text).to_have_value(typed.strip("\n"))
    expect(page.locator("[data-wg-autosave-offer]")).to_be_hidden()
    page.reload()
    expect(page.locator("[data-wg-autosave-offer]")).to_be_hidden()


def test_text_put_back_after_someone_saved_is_merged_not_overwriting(page: Page, second_context: BrowserContext,
                                                                    live_server: str, database_url: str) -> None:
    """Unsaved text kept from revision N and put back after someone saved N+1 is saved as an edit of N: the
    other member's change survives (merged), it is not silently undone."""
    log_in(page, live_server, "maya.chen@example.org")
    base = _open_editor(page, live_server)
    text = page.get_by_label("Text", exact=True)
    original = text.input_value()
    assert len(original.split("\n\n")) >= 2
    mine = _replace_paragraph(original, 0, "Maya's unsaved opening.")
    text.fill(mine)
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('wg-draft:'))")

    other = second_context.new_page()
    log_in(other, live_server, "haruka.sato@example.org")
    _open_editor(other, live_server)
    last = len(original.split("\n\n")) - 1
    theirs = _replace_paragraph(original, last, "Haruka's new closing paragraph.")
    other.get_by_label("Text", exact=True).fill(theirs)
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_role("status")).to_have_text(f"Saved as revision {base + 1}.")

    page.reload()
    expect(page.locator("input[name=base_rev_no]")).to_have_value(str(base + 1))
    page.get_by_role("button", name="Put it back in the form").click()
    expect(text).to_have_value(mine)
    expect(page.locator("input[name=base_rev_no]")).to_have_value(str(base))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"starting from revision {base}")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Someone saved revision {base + 1}")
    head, _ = _head(database_url)
    assert head.rev_no == base + 2 and head.merged_rev_no == base + 1
    assert head.text == _replace_paragraph(mine, last, "Haruka's new closing paragraph.")
