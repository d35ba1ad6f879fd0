"""Hostile text in every drafting field stays inert on every page that shows it.

Every payload of tests/data/xss-payloads.txt goes through every field a member can type into: the title, text and
summary of changes of a section; the title, text, rationale and summary of a recommendation; the body of a comment and
of a reply. Payloads travel in batches (one section and one recommendation per batch; titles and summaries are
limited to 300 characters, so each batch's payloads are spread over several revisions, one pack per revision).
Then every page that shows them is fetched, as a member's browser would, and parsed: the outline, the section and
recommendation pages, the editors, the history, the differences between revisions, the conflict page of a stale
save, the comments partial that htmx swaps in, the editor that comes back with errors, and the live preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlmodel import select

from tests.conftest import csrf_from
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import User

PAYLOAD_FILE = Path(__file__).resolve().parents[1] / "data" / "xss-payloads.txt"
G = "/g/trilateral"
API = "/api/v1/groups/trilateral"
ORGANIZER = "organizer@example.org"
BATCH = 40
MAX_LINE = 300  # titles and summaries of changes
APP_SCRIPTS = ("/static/vendor/htmx-2.0.11.min.js", "/static/wg.js")
FORBIDDEN_TAGS = frozenset({"iframe", "object", "embed", "img", "svg", "style", "base", "frame", "frameset", "applet",
                            "math", "audio", "video", "source", "portal"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"})
HTMX_URL_ATTRIBUTES = frozenset({"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"})
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


def load_payloads() -> list[str]:
    """Every payload of the file, ``\\n`` decoded to a newline (the first line is the file's header)."""
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    return [line.replace("\\n", "\n") for line in lines if line.strip()]


PAYLOADS = load_payloads()


def one_line(text: str) -> str:
    """A title as wg stores it: whitespace collapsed."""
    return " ".join(text.split())


def packs(payloads: list[str], prefix: str) -> list[str]:
    """The payloads packed into one-line fields of at most 300 characters, each starting with ``prefix`` and its
    number (so that every revision's title differs from the last)."""
    result: list[str] = []
    current: list[str] = []
    for payload in payloads:
        candidate = one_line(f"{prefix}{len(result)} " + " | ".join([*current, payload]))
        if current and len(candidate) > MAX_LINE:
            result.append(one_line(f"{prefix}{len(result)} " + " | ".join(current)))
            current = []
        current.append(payload)
    result.append(one_line(f"{prefix}{len(result)} " + " | ".join(current)))
    assert all(len(p) <= MAX_LINE for p in result)
    return result


def blocks(payloads: list[str], marker: str) -> str:
    """The payloads as Markdown paragraphs, each on its own, with a marker paragraph at the end."""
    return "\n\n".join([*payloads, marker])


# --- what counts as inert ------------------------------------------------------------------------------------


def _without_controls(value: str) -> str:
    """A URL as a browser reads its scheme: whitespace and control characters dropped, lower case."""
    return "".join(ch for ch in value if ch > " " and not "\x7f" <= ch <= "\x9f").lower()


def problems_in(html: str, where: str, partial: bool = False) -> list[str]:
    """Everything in a page (or htmx partial) that could run script or load something a member put there."""
    page = BeautifulSoup(html, "html.parser")
    head = page.head
    found: list[str] = []
    scripts: list[str] = []
    for tag in page.find_all(True):
        in_head = head is not None and (tag is head or head in tag.parents)
        if tag.name == "script":
            src = tag.get("src")
            if not in_head or src not in APP_SCRIPTS or tag.get_text().strip():
                found.append(f"{where}: script {str(tag)[:120]!r}")
            scripts.append(str(src))
        if tag.name in FORBIDDEN_TAGS:
            found.append(f"{where}: <{tag.name}> {str(tag)[:120]!r}")
        if tag.name in {"link", "meta"} and not in_head:
            found.append(f"{where}: <{tag.name}> outside <head> {str(tag)[:120]!r}")
        if tag.name == "form":
            action = tag.get("action")
            if not isinstance(action, str) or not action.startswith("/") or action.startswith("//") or "\\" in action:
                found.append(f"{where}: form posting to {action!r}")
        for name, value in tag.attrs.items():
            lowered = name.lower()
            text = value if isinstance(value, str) else " ".join(value)
            if lowered.startswith(("on", "hx-on", "data-hx-on")):
                found.append(f"{where}: <{tag.name} {name}={text[:80]!r}>")
            if lowered in URL_ATTRIBUTES and _without_controls(text).startswith(BAD_SCHEMES):
                found.append(f"{where}: <{tag.name} {name}={text[:80]!r}>")
            if lowered in HTMX_URL_ATTRIBUTES and not text.startswith("/"):
                found.append(f"{where}: <{tag.name} {name}={text[:80]!r}>")
    expected = [] if partial else list(APP_SCRIPTS)
    if sorted(scripts) != sorted(expected):
        found.append(f"{where}: scripts {scripts}")
    return found


# --- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Batch:
    """One batch of payloads: its marker, its title packs, and the section and recommendation carrying them."""

    marker: str
    payloads: list[str]
    titles: list[str]
    section_id: int = 0
    number: int = 0

    def text(self, rev: int) -> str:
        """The text of revision ``rev`` (1-based): the payloads, rotated, so that each revision differs."""
        shift = (rev - 1) % len(self.payloads)
        return blocks(self.payloads[shift:] + self.payloads[:shift], f"{self.marker} text {rev}")

    def rationale(self, rev: int) -> str:
        """The rationale of revision ``rev``."""
        return blocks(list(reversed(self.payloads)), f"{self.marker} rationale {rev}")


class Visitor:
    """The organizer's browser: saves through the API and the pages, reads pages, and collects what is wrong."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = client.get("/api/v1/session").json()["csrf_token"]
        assert csrf_from(client.get("/").text) == self.token
        self.problems: list[str] = []
        self.pages = 0

    def api(self, path: str, body: dict[str, Any], status: int = 201) -> Any:
        """POST JSON to the drafting API."""
        response = self.client.post(API + path, json=body, headers={"x-csrftoken": self.token})
        assert response.status_code == status, (path, response.status_code, response.text[:1000])
        return response.json()

    def check(self, response: Any, where: str, marker: str, status: int = 200, partial: bool = False) -> None:
        """Check one page or partial: the expected status, the batch's text on it, nothing live in it."""
        assert response.status_code == status, (where, response.status_code, response.text[:1000])
        assert response.headers["content-type"].startswith("text/html"), where
        assert marker in response.text, f"{where}: the batch's text is not on the page"
        self.problems.extend(problems_in(response.text, where, partial))
        self.pages += 1

    def page(self, url: str, marker: str) -> None:
        """Open and check a page."""
        self.check(self.client.get(url), url, marker)

    def form(self, url: str, data: dict[str, str], marker: str, status: int, htmx: bool = False) -> None:
        """Post a form (as htmx does when ``htmx``) and check the page or partial that comes back."""
        headers = {"x-csrftoken": self.token, **({"HX-Request": "true"} if htmx else {})}
        response = self.client.post(url, data=data, headers=headers, follow_redirects=False)
        self.check(response, f"POST {url}", marker, status, partial=htmx)


def write(visitor: Visitor, batch: Batch) -> None:
    """Send every payload of the batch through every field: a section and a recommendation, a revision per title
    pack, a comment and a reply."""
    t = batch.titles
    section = visitor.api("/sections", {"title": t[0], "text": batch.text(1), "note": t[0]})
    batch.section_id = section["id"]
    for rev in range(2, len(t) + 1):
        visitor.api(f"/sections/{batch.section_id}/revisions", {
            "base_rev_no": rev - 1, "title": t[rev - 1], "text": batch.text(rev), "note": t[rev - 1]})
    rec = visitor.api(f"/sections/{batch.section_id}/recommendations", {
        "title": t[0], "text": batch.text(1), "rationale": batch.rationale(1), "note": t[0]})
    batch.number = rec["number"]
    for rev in range(2, len(t) + 1):
        visitor.api(f"/recommendations/{batch.number}/revisions", {
            "base_rev_no": rev - 1, "title": t[rev - 1], "text": batch.text(rev), "rationale": batch.rationale(rev),
            "note": t[rev - 1]})
    comment = visitor.api(f"/recommendations/{batch.number}/comments", {"body": blocks(batch.payloads, batch.marker)})
    visitor.api(f"/recommendations/{batch.number}/comments", {
        "body": blocks(list(reversed(batch.payloads)), batch.marker), "parent_id": comment["id"]})


def read(visitor: Visitor, batch: Batch) -> None:
    """Open every page that shows the batch, and post the forms whose answers show it."""
    marker, t, last = batch.marker, batch.titles, len(batch.titles)
    for base in (f"{G}/sections/{batch.section_id}", f"{G}/r/{batch.number}"):
        for suffix in ("", "/edit", "/history"):
            visitor.page(base + suffix, marker)
        # Each difference shows the titles of both revisions: every other pair covers every title.
        for old in range(1, last, 2):
            visitor.page(f"{base}/diff?from_rev={old}&to_rev={old + 1}", marker)
        if last % 2:
            visitor.page(f"{base}/diff?from_rev={last - 1}&to_rev={last}", marker)
        # A stale save that changed the same title and paragraphs: the conflict page shows both sides.
        visitor.form(f"{base}/edit", {
            "base_rev_no": str(last - 1), "title": t[0].replace(f"{marker}.0", f"{marker}.m", 1),
            "text": blocks(list(reversed(batch.payloads)), f"{marker} mine"), "rationale": batch.rationale(0),
            "note": t[0]}, marker, 409)
    section_comments = f"{G}/sections/{batch.section_id}/comments"
    body = blocks(batch.payloads, marker)
    visitor.form(section_comments, {"body": body, "paragraph": "1"}, marker, 200, htmx=True)
    visitor.form(section_comments, {"body": body, "paragraph": "999"}, marker, 200, htmx=True)
    visitor.form(section_comments, {"body": body, "paragraph": "999"}, marker, 422)
    with_comments = visitor.client.get(f"{API}/recommendations/{batch.number}/comments").json()
    visitor.form(f"{G}/r/{batch.number}/comments/{with_comments[0]['id']}/resolve", {"resolved": "true"}, marker, 200,
                 htmx=True)
    # The editor that comes back with errors keeps what was typed (the title is too long on purpose).
    visitor.form(f"{G}/sections/{batch.section_id}/recommendations", {
        "title": t[0] + " " + "x" * MAX_LINE, "text": body, "rationale": body, "note": t[-1]}, marker, 422)
    visitor.form(f"{G}/sections", {"title": t[0] + " " + "x" * MAX_LINE, "text": body, "note": t[-1]}, marker, 422)
    visitor.form(f"{G}/preview", {"text": body}, marker, 200, htmx=True)
    preview = visitor.api("/preview", {"text": body}, status=200)["html"]
    visitor.problems.extend(problems_in(preview, "API preview", partial=True))


def test_every_payload_in_every_field_is_inert_on_every_page(app, db, settings):
    assert len(PAYLOADS) >= 200
    with TestClient(app=app, base_url="http://testserver.local") as client:
        with db.transaction() as s:
            organizer = s.exec(select(User).where(User.email == ORGANIZER)).one()
            client.cookies.set(SESSION_COOKIE, issue_session(s, organizer, settings.session_max_age),
                               domain="testserver.local", path="/")
        visitor = Visitor(client)
        batches = []
        for start in range(0, len(PAYLOADS), BATCH):
            marker = f"XSS{start // BATCH:02d}"
            payloads = PAYLOADS[start:start + BATCH]
            titles = packs(payloads, f"{marker}.")
            if len(titles) == 1:
                titles.append(titles[0].replace(f"{marker}.0", f"{marker}.1", 1))
            batches.append(Batch(marker, payloads, titles))
        for batch in batches:
            write(visitor, batch)
        for batch in batches:
            read(visitor, batch)
        outline = client.get(f"{G}/report")
        for batch in batches:
            assert batch.titles[-1] in " ".join(BeautifulSoup(outline.text, "html.parser").get_text(" ").split())
        visitor.check(outline, "outline", batches[-1].marker)
    assert visitor.problems == [], f"{len(visitor.problems)} problems, first ones:\n" + "\n".join(
        visitor.problems[:25])
    assert visitor.pages > 20 * len(batches)


def test_the_checker_catches_what_it_is_for():
    """The checks above would fail on live markup (so a passing run means something)."""
    head = ('<html><head><meta charset="utf-8"><script src="/static/vendor/htmx-2.0.11.min.js"></script>'
            '<script src="/static/wg.js"></script></head><body>{}</body></html>')
    assert problems_in(head.format("<p>fine</p>"), "page") == []
    live = [
        "<script>window.__xss=1</script>", '<img src="x">', '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>', '<p onclick="x">p</p>', '<form action="https://evil.example"></form>',
        "<svg></svg>", "<style>p{}</style>", '<meta http-equiv="refresh" content="0">', '<link rel="import">',
        '<iframe src="/"></iframe>', '<div hx-on:click="x"></div>', '<button formaction="vbscript:x">b</button>',
        '<div hx-get="https://evil.example"></div>',
    ]
    for markup in live:
        assert problems_in(head.format(markup), "page"), markup
    assert problems_in("<p>fine</p>", "partial", partial=True) == []
    assert problems_in('<script src="/static/wg.js"></script>', "partial", partial=True)
