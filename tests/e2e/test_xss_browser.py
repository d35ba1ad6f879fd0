"""In Chromium, hostile text in every field never runs: ``window.__xss`` stays undefined on every page.

Every payload of tests/data/xss-payloads.txt would set ``window.__xss`` if it ever ran (``<img src=x onerror=…>``,
``<svg onload=…>``, ``javascript:`` links, Markdown link and image tricks, attribute breakouts…). A group is imported
with them in every field a person can type (the same hostile group as tests/security/test_xss_everywhere.py, fewer
objects), a real ``wg serve`` serves it, and Chromium opens every page that shows them, as the organizer, a hostile
member, a chair and a visitor with an invitation. On each page it waits for images and handlers to have had their
chance, fires pointer and focus events at every element, clicks every link whose URL is not http(s) or mailto,
types every payload into the editor so htmx fetches the live preview, and then reads ``window.__xss``.

The browser context bypasses the Content-Security-Policy (tests/e2e/conftest.py does, for axe-core): the CSP would
block inline handlers anyway, so with it off this proves the escaping and sanitising themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import BrowserContext, Page
from sqlmodel import col, select

from tests.integration.test_drafting_xss import PAYLOADS
from tests.security.test_xss_everywhere import Hostile, hostile_archive, text_chunks
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import invitation_token_hash, new_invitation_token
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.report.archive import import_archive
from wg.models import Invitation, Notification, Section, Subgroup, User, WorkingGroup, utcnow

SLUG = "xss-everywhere"
G = f"/g/{SLUG}"
ORGANIZER = "organizer@example.org"
KEEP = 4  # objects per one-line field (the HTML test puts every payload through each; here a sample suffices)
SETTLE_MS = 100

PROBE = """() => {
  const fired = [];
  for (const el of document.querySelectorAll('*')) {
    for (const type of ['mouseover', 'focus', 'animationstart', 'toggle']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
  }
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) handlers.push(el.tagName + ' ' + attr.name);
    }
  }
  const odd = [];
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    const url = new URL(a.href, location.href);
    if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) { odd.push(a.getAttribute('href')); a.click(); }
  }
  for (const el of document.querySelectorAll('iframe, object, embed')) odd.push(el.outerHTML.slice(0, 80));
  return {handlers, odd, fired};
}"""


def plant(db: Any, settings: Any) -> dict[str, Any]:
    """Import the hostile group (every payload in every long field, a few packs in each one-line field), add
    invitations and notifications; return what the browser needs to find it."""
    h = Hostile()
    for name, values in vars(h).items():
        if isinstance(values, list) and name not in {"mandates", "reservations", "objections", "change_notes",
                                                        "approve_notes", "submit_notes", "titles"}:
            setattr(h, name, values[:KEEP])
    # Enough people to hold every reservation and objection (R-1 shows them all).
    full = Hostile()
    people = len(h.reservations) + len(h.objections) + 2
    h.display_names, h.native_names, h.affiliations = (full.display_names[:people], full.native_names[:people],
                                                       full.affiliations[:people])
    h.titles = h.titles[:len(h.review_notes()) + 3]
    archive = hostile_archive(h)
    everything = "\n\n".join(PAYLOADS)
    section = archive["sections"][0]
    section["revisions"][0]["text"] = everything
    first = section["recommendations"][0]
    first["revisions"].append({**first["revisions"][0], "rev_no": 2, "parent_rev_no": 1, "text": everything,
                               "rationale": everything, "note": h.titles[1]})
    first["review_events"][0]["rev_no"] = 2
    first["comments"] = [{"parent": None, "paragraph": 1, "rev_no": 2, "author": ORGANIZER, "body": body,
                          "created_at": "2026-11-01T10:00:00Z", "resolved_at": None, "resolved_by": None,
                          "mentions": []} for body in text_chunks("Xco", 10_000, PAYLOADS)]
    with db.transaction() as s:
        import_archive(s, archive)
    tokens = []
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == SLUG)).one()
        organizer = s.exec(select(User).where(User.email == ORGANIZER)).one()
        for i, name in enumerate(h.invitation_names):
            tokens.append(new_invitation_token())
            s.add(Invitation(group_id=group.id or 0, token_hash=invitation_token_hash(tokens[-1]),
                             email=f"invitee{i}@example.org", display_name=name, country="JP", role="member",
                             created_by=organizer.id, expires_at=utcnow() + dt.timedelta(days=7)))
        for message in h.messages:
            s.add(Notification(user_id=organizer.id or 0, group_id=group.id or 0, kind="mention", message=message,
                               link=f"{G}/r/1"))
        sessions = {who: issue_session(s, s.exec(select(User).where(User.email == h.person_email(i))).one(),
                                       settings.session_max_age) for who, i in (("chair", 0), ("member", 1))}
        subgroups = list(s.exec(select(Subgroup.id).where(Subgroup.group_id == group.id)
                                .order_by(col(Subgroup.position))))
        section_id = s.exec(select(Section.id).where(Section.group_id == group.id)).one()
    return {"tokens": tokens, "sessions": sessions, "subgroups": subgroups, "section": section_id,
            # The first recommendation showing a request for changes, an approval and a submission note.
            "note_pages": [2, 2 + len(h.change_notes), 2 + len(h.change_notes) + len(h.approve_notes)]}


def visit(page: Page, url: str, seen: dict[str, Any], key: str | None = None) -> None:
    """Open a page, give hostile markup every chance to run, and record what the page could run."""
    response = page.goto(url)
    assert response is not None and response.status < 500, (url, response.status if response else None)
    page.wait_for_load_state("load")
    page.wait_for_timeout(SETTLE_MS)
    probe = page.evaluate(PROBE)
    if page.url.startswith(("http://127.0.0.1", "http://localhost")) and not page.url.startswith("about:"):
        flag = page.evaluate("() => window.__xss")
    else:
        flag = f"navigated away to {page.url}"
    seen[key or url] = {"status": response.status, "xss": flag, "handlers": probe["handlers"], "odd": probe["odd"]}


def log_in_with_cookie(context: BrowserContext, base: str, token: str) -> None:
    """Give a browser context a session issued directly (hostile people have no password)."""
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])


def test_no_payload_ever_runs_in_chromium(browser, browser_context_args, live_server, db, settings):
    base = live_server
    planted = plant(db, settings)
    seen: dict[str, Any] = {}
    contexts = []
    try:
        organizer_context = browser.new_context(**browser_context_args)
        contexts.append(organizer_context)
        organizer = organizer_context.new_page()
        # The organizer logs in through the real form.
        organizer.goto(f"{base}/login")
        organizer.get_by_label("E-mail address").fill(ORGANIZER)
        organizer.get_by_label("Password").fill(DEMO_PASSWORD)
        organizer.get_by_role("button", name="Log in").click()
        organizer.wait_for_url(f"{base}/")
        pages = ["/", G, f"{G}/members", f"{G}/report", f"{G}/report/settings", f"{G}/exports", f"{G}/audit",
                 "/inbox", "/profile", f"{G}/sections/{planted['section']}", f"{G}/r/1", f"{G}/r/1/history",
                 f"{G}/r/1/diff?from_rev=1&to_rev=2",
                 *[f"{G}/subgroups/{sid}" for sid in planted["subgroups"][:2]],
                 *[f"{G}/r/{n}" for n in planted["note_pages"]]]
        for path in pages:
            visit(organizer, f"{base}{path}", seen)
        # Every payload typed into the editor: htmx fetches the server's preview and swaps it in.
        organizer.goto(f"{base}{G}/r/1/edit")
        with organizer.expect_response(lambda r: r.url.endswith(f"{G}/preview") and r.request.method == "POST"):
            organizer.locator("textarea[name=text]").fill("\n\n".join(PAYLOADS))
        organizer.wait_for_timeout(SETTLE_MS)
        preview = organizer.locator("#preview")
        assert "window.__xss" in preview.inner_text(), "the preview shows the typed payloads as text"
        seen["editor preview"] = {"status": 200, "xss": organizer.evaluate("() => window.__xss"),
                                  "handlers": organizer.evaluate(PROBE)["handlers"], "odd": []}

        for who, paths in (("member", ["/profile", G, f"{G}/r/1", f"{G}/report"]),
                           ("chair", [f"{G}/queue", f"{G}/r/1"])):
            context = browser.new_context(**browser_context_args)
            contexts.append(context)
            log_in_with_cookie(context, base, planted["sessions"][who])
            tab = context.new_page()
            for path in paths:
                visit(tab, f"{base}{path}", seen, key=f"{who} {path}")
        guest_context = browser.new_context(**browser_context_args)
        contexts.append(guest_context)
        guest = guest_context.new_page()
        for token in planted["tokens"][:2]:
            visit(guest, f"{base}/invite/{token}", seen)
    finally:
        for context in contexts:
            context.close()

    ran = {url: v for url, v in seen.items() if v["xss"] is not None or v["handlers"] or v["odd"]}
    assert ran == {}
    assert len(seen) >= 20
    assert all(v["status"] == 200 for v in seen.values()), {u: v["status"] for u, v in seen.items()}


def test_the_probe_sees_a_payload_that_runs(page):
    """The check can fail: the same probe on a page where a payload does run."""
    page.set_content('<p>x</p><img src="data:," onerror="window.__xss=1"><a href="javascript:window.__xss=2">y</a>')
    page.wait_for_timeout(SETTLE_MS)
    probe = page.evaluate(PROBE)
    assert page.evaluate("() => window.__xss") in {1, 2}
    assert probe["handlers"] == ["IMG onerror"] and probe["odd"] == ["javascript:window.__xss=2"]
