"""Hostile text in every user-controlled field outside drafting stays inert on every page that shows it.

tests/integration/test_drafting_xss.py covers the drafting fields (section and recommendation titles, texts,
rationales, summaries of changes, comments) on the drafting pages. This file covers everything else a person can
type: profiles (display name, native-script name, affiliation), group names and host organisations, subgroup names
and mandates, invitation names, reservation and objection texts, review notes (requests for changes, approvals),
the report's front matter, and where those travel: the dashboard, members, subgroup, recommendation, queue, audit
log, inbox, exports, outline and front-matter pages, the invitation page, the forms that come back with mistakes
(which repeat what was typed), reflected query strings, and the htmx preview fragment.

Each field gets at least 200 payloads, in two ways:

- stored, then shown: one-line fields (limits of 100 to 500 characters) carry the 210 shortest payloads, packed as
  many to a value as fit, each value starting with a marker, over as many objects as that takes (hostile people,
  invitations, subgroups, groups, recommendations, notifications); long fields (mandates, positions, review notes,
  the front matter's texts) carry all 546 as Markdown paragraphs. The bulk arrives through ``wg import`` (the same
  validation as the forms), invitations and decisions also through the API, a profile through its form. Pages
  that list objects (dashboard, members, queue, outline, inbox, home, exports) are opened whole, so every stored
  value is rendered; pages about one object each (a profile, a subgroup, another group, an invitation) are opened
  for the first, the last and evenly between (6 of each), to keep the run inside its time budget;
- typed, then repeated: every form that comes back with a mistake repeats what was typed, so each is sent all 546
  payloads at once in each of its text fields (same template, same escaping as the stored value).

Each page is fetched once and parsed with the checker of test_drafting_xss.py: no script but the app's own, no
event-handler attribute, no ``javascript:``/``data:`` URL, none of the tags that load or run things. A page only
counts when the markers of what it should show are on it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup, Tag
from litestar.testing import TestClient
from sqlmodel import col, select

from tests.integration.test_drafting_xss import PAYLOADS, problems_in
from wg.features.accounts.operations import invitation_token_hash, new_invitation_token
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.report.archive import import_archive
from wg.models import (
    Export,
    Invitation,
    Membership,
    Notification,
    Recommendation,
    ReportSettings,
    Section,
    Subgroup,
    User,
    WorkingGroup,
    utcnow,
)

SLUG = "xss-everywhere"
G = f"/g/{SLUG}"
API = f"/api/v1/groups/{SLUG}"
HOST = "testserver.local"
ORGANIZER = "organizer@example.org"
CO_CHAIR = "eleanor.hayes@example.org"
ADMIN = "admin@example.org"
COUNTRIES = ("US", "JP", "KR")
SEP = " | "
EXTRA_GROUPS = "xss-extra-"
LONG_TEXT_LIMIT = 5000  # mandates, positions and review notes
API_INVITATIONS = 3
SHORT_FIELD_PAYLOADS = 210  # one-line fields carry the shortest payloads (every field also gets all of them at once)


# --- packing payloads into fields ----------------------------------------------------------------------------------


def shortest(count: int) -> list[str]:
    """The ``count`` shortest distinct payloads, whitespace collapsed as one-line fields store them."""
    return sorted({" ".join(p.split()) for p in PAYLOADS if p.strip()}, key=len)[:count]


SHORT = shortest(SHORT_FIELD_PAYLOADS)


def line_packs(marker: str, limit: int, payloads: list[str] = SHORT) -> list[str]:
    """The payloads packed into one-line values of at most ``limit`` characters, each starting with
    ``<marker><n>Z`` (so each is findable); a payload too long for the field on its own is left out."""
    result: list[str] = []
    current: list[str] = []

    def head() -> str:
        return f"{marker}{len(result):03d}Z "

    for payload in payloads:
        flat = " ".join(payload.split())
        if not flat or len(head()) + len(flat) > limit:
            continue
        candidate = head() + SEP.join([*current, flat])
        if current and len(candidate) > limit:
            result.append(head() + SEP.join(current))
            current = []
        current.append(flat)
    if current:
        result.append(head() + SEP.join(current))
    assert all(len(p) <= limit for p in result)
    return result


def text_chunks(marker: str, limit: int, payloads: list[str] = PAYLOADS) -> list[str]:
    """The payloads as Markdown paragraphs in values of at most ``limit`` characters, each starting with a
    ``<marker><n>Z`` paragraph."""
    result: list[str] = []
    current: list[str] = []

    def head() -> str:
        return f"{marker}{len(result):03d}Z"

    for payload in payloads:
        if len(head()) + 2 + len(payload) > limit:
            continue
        if current and len("\n\n".join([head(), *current, payload])) > limit:
            result.append("\n\n".join([head(), *current]))
            current = []
        current.append(payload)
    if current:
        result.append("\n\n".join([head(), *current]))
    assert all(len(c) <= limit for c in result)
    return result


def spread(count: int, start: int = 0, how_many: int = 6) -> list[int]:
    """Indexes from ``start`` to ``count - 1``: the first, the last and evenly between (pages about one object
    each are opened for these; the lists that show every object are opened whole)."""
    if count - start <= how_many:
        return list(range(start, count))
    step = (count - 1 - start) / (how_many - 1)
    return sorted({start + round(k * step) for k in range(how_many)})


def markers(values: Iterable[str]) -> list[str]:
    """The markers at the start of packed values."""
    found = []
    for value in values:
        match = re.match(r"\s*([A-Z][A-Za-z]*\d{3}Z)", value)
        assert match, value[:60]
        found.append(match.group(1))
    return found


def covered(values: list[str]) -> int:
    """How many distinct payloads a list of packed values carries (to prove the 200 floor)."""
    text = "\n".join(values)
    return sum(1 for p in PAYLOADS if " ".join(p.split()) in " ".join(text.split()))


# --- what counts as inert ----------------------------------------------------------------------------------------

PROGRESS_SVG = frozenset({"class", "viewbox", "preserveaspectratio", "role", "aria-label"})
PROGRESS_RECT = frozenset({"class", "x", "y", "height", "width"})


def _is_progress_bar(svg: Tag) -> bool:
    """The dashboard's own progress bar: an svg of three plain rectangles, nothing else."""
    children = [c for c in svg.children if isinstance(c, Tag)]
    return (set(svg.attrs) == PROGRESS_SVG and svg.get("class") == ["progress"]
            and len(children) == 3 and all(c.name == "rect" and set(c.attrs) <= PROGRESS_RECT for c in children)
            and not svg.get_text(strip=True))


def page_problems(html: str, where: str, partial: bool = False) -> list[str]:
    """The drafting checker, once the dashboard's own progress bars (the app's markup) are set aside."""
    soup = BeautifulSoup(html, "html.parser")
    bars = [svg for svg in soup.find_all("svg") if _is_progress_bar(svg)]
    if not bars:
        return problems_in(html, where, partial)
    for svg in bars:
        svg.decompose()
    return problems_in(str(soup), where, partial)


# --- the hostile group ---------------------------------------------------------------------------------------------


@dataclass
class Hostile:
    """Every hostile value, by field, as written."""

    display_names: list[str] = field(default_factory=lambda: line_packs("Xdn", 120))
    native_names: list[str] = field(default_factory=lambda: line_packs("Xnn", 120))
    affiliations: list[str] = field(default_factory=lambda: line_packs("Xaf", 200))
    group_names: list[str] = field(default_factory=lambda: line_packs("Xgn", 200))
    hosts: list[str] = field(default_factory=lambda: line_packs("Xho", 200))
    subgroup_names: list[str] = field(default_factory=lambda: line_packs("Xsn", 200))
    mandates: list[str] = field(default_factory=lambda: text_chunks("Xmd", LONG_TEXT_LIMIT))
    titles: list[str] = field(default_factory=lambda: line_packs("Xti", 300))
    reservations: list[str] = field(default_factory=lambda: text_chunks("Xrs", LONG_TEXT_LIMIT))
    objections: list[str] = field(default_factory=lambda: text_chunks("Xob", LONG_TEXT_LIMIT))
    change_notes: list[str] = field(default_factory=lambda: text_chunks("Xcn", LONG_TEXT_LIMIT))
    approve_notes: list[str] = field(default_factory=lambda: text_chunks("Xan", LONG_TEXT_LIMIT))
    submit_notes: list[str] = field(default_factory=lambda: text_chunks("Xsu", LONG_TEXT_LIMIT))
    invitation_names: list[str] = field(default_factory=lambda: line_packs("Xin", 120))
    report_titles: list[str] = field(default_factory=lambda: line_packs("Xrt", 300))
    subtitles: list[str] = field(default_factory=lambda: line_packs("Xst", 300))
    series_lines: list[str] = field(default_factory=lambda: line_packs("Xsl", 300))
    date_lines: list[str] = field(default_factory=lambda: line_packs("Xdl", 100))
    messages: list[str] = field(default_factory=lambda: line_packs("Xms", 500))
    front_texts: dict[str, list[str]] = field(default_factory=lambda: {
        name: text_chunks(f"X{name[:2]}", 20_000) for name in ("acknowledgements", "foreword", "executive_summary",
                                                                  "disclaimer")})

    def review_notes(self) -> list[tuple[str, str]]:
        """(kind, note) of the newest review event of R-2, R-3 and so on."""
        return ([("request-changes", n) for n in self.change_notes] + [("approve", n) for n in self.approve_notes]
                + [("submit", n) for n in self.submit_notes])

    @property
    def people(self) -> int:
        """How many hostile people carry the profile packs."""
        return max(len(self.display_names), len(self.native_names), len(self.affiliations))

    def person_email(self, i: int) -> str:
        """The address of hostile person ``i``."""
        return f"xss{i:03d}@example.org"


def _at(values: list[str], i: int, fallback: str) -> str:
    return values[i] if i < len(values) else fallback


def hostile_archive(h: Hostile) -> dict[str, Any]:
    """A whole group in wg's archive format with hostile text in every field a person can type."""
    when = "2026-11-01T09:00:00Z"
    people: list[dict[str, Any]] = [
        {"email": ORGANIZER, "display_name": "Grace Whitfield", "country": "US", "role": "organizer"},
        {"email": CO_CHAIR, "display_name": "Eleanor Hayes", "country": "US", "role": "co-chair"},
    ]
    for i in range(h.people):
        people.append({
            "email": h.person_email(i), "display_name": _at(h.display_names, i, f"Xdn person {i}"),
            "native_name": _at(h.native_names, i, ""), "affiliation": _at(h.affiliations, i, ""),
            "country": COUNTRIES[i % 3], "sector": "academia", "time_zone": "Asia/Tokyo",
            "consents_to_attribution": True, "role": "co-chair" if i == 0 else "member"})
    members = [{**p, "role": p["role"], "joined_at": when} for p in people]
    signers = [h.person_email(i) for i in range(h.people)]
    subgroups = [{"name": name, "mandate": _at(h.mandates, i, ""), "created_at": when,
                  "chairs": [signers[0]], "members": signers[:3]} for i, name in enumerate(h.subgroup_names)]
    recs = []
    for n, title in enumerate(h.titles, start=1):
        rec: dict[str, Any] = {
            "number": n, "key": f"R-{n}", "created_at": when,
            "revisions": [{"rev_no": 1, "author": ORGANIZER, "created_at": when, "title": title,
                           "text": f"Plain text of R-{n}.", "rationale": "", "note": ""}],
            "review_events": [{"kind": "submit", "rev_no": 1, "actor": ORGANIZER, "note": "",
                               "deadline": "2030-01-01T00:00:00Z", "created_at": when}],
            "positions": [], "comments": []}
        recs.append(rec)
    first = recs[0]
    # R-1 carries every reservation and objection; a recommendation's page shows the note of its newest review
    # event, so the notes of requests for changes, approvals and submissions go one to a recommendation.
    stances = [("reservation", t) for t in h.reservations] + [("object", t) for t in h.objections]
    assert len(stances) < h.people
    first["positions"] = [{"member": signers[i + 1], "stance": stance, "text": text, "updated_at": when}
                          for i, (stance, text) in enumerate(stances)]
    later = "2026-11-02T09:00:00Z"
    for number, (kind, note) in enumerate(h.review_notes(), start=2):
        recs[number - 1]["review_events"].append({"kind": kind, "rev_no": 1, "actor": CO_CHAIR, "note": note,
                                                  "created_at": later})
        if kind == "approve":  # an approved item's positions meet the group's rule (the importer checks the history)
            recs[number - 1]["positions"] = [{"member": signers[i], "stance": "support", "text": "",
                                              "updated_at": when} for i in range(len(COUNTRIES))]
    sections = [{"subgroup": h.subgroup_names[0], "created_at": when,
                 "revisions": [{"rev_no": 1, "author": ORGANIZER, "created_at": when, "title": "Hostile section",
                                "text": "Section text.", "note": ""}],
                 "review_events": [], "comments": [], "recommendations": recs}]
    report = {"title": h.report_titles[0], "subtitle": h.subtitles[0], "series_line": h.series_lines[0],
              "date_line": h.date_lines[0], **{k: v[0] for k, v in h.front_texts.items()}, "paper_size": "A4"}
    return {"format": "wg-archive", "version": 1, "exported_at": when,
            "group": {"slug": SLUG, "name": h.group_names[0], "host_organisation": h.hosts[0],
                      "countries": list(COUNTRIES), "attribution_mode": "name", "consensus_rule": "each-country",
                      "state": "active", "created_at": when, "report": report},
            "members": members, "former_members": [], "subgroups": subgroups, "sections": sections}


# --- the visitor ---------------------------------------------------------------------------------------------------


class Visitor:
    """One browser: fetches pages, checks each with the drafting checker, and checks the expected markers."""

    def __init__(self, client: TestClient[Any], who: str) -> None:
        self.client = client
        self.who = who
        self.token = client.get("/api/v1/session").json()["csrf_token"]
        self.problems: list[str] = []
        self.missing: list[str] = []
        self.pages = 0

    def check(self, response: Any, where: str, expect: Iterable[str] = (), status: int = 200,
              partial: bool = False) -> str:
        """One response: the status, HTML, every expected marker on it, nothing live in it."""
        assert response.status_code == status, (self.who, where, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("text/html"), where
        text = response.text
        self.missing += [f"{self.who} {where}: {m}" for m in expect if m not in text]
        self.problems += page_problems(text, f"{self.who} {where}", partial)
        self.pages += 1
        return str(text)

    def page(self, url: str, expect: Iterable[str] = (), status: int = 200) -> str:
        """GET and check a page."""
        return self.check(self.client.get(url, follow_redirects=False), url, expect, status)

    def form(self, url: str, data: dict[str, Any], expect: Iterable[str] = (), status: int = 422,
             htmx: bool = False) -> str:
        """POST a form as a browser would (htmx when asked) and check what comes back."""
        headers = {"x-csrftoken": self.token, **({"HX-Request": "true"} if htmx else {})}
        response = self.client.post(url, data=data, headers=headers, follow_redirects=False)
        return self.check(response, f"POST {url}", expect, status, partial=htmx)

    def api(self, method: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
        """Call the JSON API."""
        response = self.client.request(method, path, json=body, headers={"x-csrftoken": self.token})
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        return response.json()


def browser_as(app: Any, db: Any, settings: Any, email: str) -> TestClient[Any]:
    """A test browser already logged in as ``email`` (a session issued directly: no password hashing)."""
    client: TestClient[Any] = TestClient(app=app, base_url=f"http://{HOST}")
    client.__enter__()
    with db.transaction() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        client.cookies.set(SESSION_COOKIE, issue_session(s, user, settings.session_max_age), domain=HOST, path="/")
    return client


def all_payloads(limit: int | None = None) -> str:
    """Every payload on one line (longer than any field allows, so the form comes back with what was typed)."""
    text = "XallZ " + SEP.join(" ".join(p.split()) for p in PAYLOADS)
    return text if limit is None else text[:limit]


def all_paragraphs() -> str:
    """Every payload as a Markdown paragraph."""
    return "\n\n".join(["XallZ", *PAYLOADS])


# --- the test ------------------------------------------------------------------------------------------------------


def test_every_payload_in_every_field_is_inert_on_every_page_that_shows_it(app, db, settings):
    h = Hostile()
    # Every field carries at least 200 payloads (one-line fields lose only what is longer than the field itself).
    floors = {name: covered(values) for name, values in vars(h).items() if isinstance(values, list)}
    floors |= {name: covered(values) for name, values in h.front_texts.items()}
    assert min(floors.values()) >= 200, floors

    with db.transaction() as s:
        import_archive(s, hostile_archive(h))
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == SLUG)).one()
        gid = group.id
        subgroup_ids = [sg.id for sg in s.exec(select(Subgroup).where(Subgroup.group_id == gid)
                                               .order_by(col(Subgroup.position)))]
        section_id = s.exec(select(Section.id).where(Section.group_id == gid)).one()
        numbers = sorted(s.exec(select(Recommendation.number).where(Recommendation.group_id == gid)))
        people = {u.email: u for u in s.exec(select(User).where(col(User.email).like("xss%@example.org")))}
        organizer_id = s.exec(select(User.id).where(User.email == ORGANIZER)).one()
    assert len(numbers) == len(h.titles) and len(subgroup_ids) == len(h.subgroup_names)
    # What was stored is the hostile text itself (nothing was stripped on the way in): the pages must escape it.
    assert sum("<script>" in u.display_name for u in people.values()) >= 3
    assert sum('onerror="' in u.affiliation or "onerror=" in u.affiliation for u in people.values()) >= 3

    # Groups can have one name each: more groups carry the rest of the one-per-group fields.
    extra = max(len(h.group_names), len(h.hosts), len(h.report_titles), len(h.subtitles), len(h.series_lines))
    # date_line (100 characters) would need twice as many groups: its packs ride along as far as the groups go,
    # and its only page also gets every payload at once below.
    h.date_lines = h.date_lines[:extra]
    with db.transaction() as s:
        for i in range(1, extra):
            g = WorkingGroup(slug=f"{EXTRA_GROUPS}{i}", name=_at(h.group_names, i, f"Xgn extra {i}"),
                             host_organisation=_at(h.hosts, i, ""), countries=list(COUNTRIES))
            s.add(g)
            s.flush()
            s.add(Membership(group_id=g.id or 0, user_id=organizer_id or 0, role="organizer"))
            s.add(ReportSettings(group_id=g.id or 0, title=_at(h.report_titles, i, ""),
                                 subtitle=_at(h.subtitles, i, ""), series_line=_at(h.series_lines, i, ""),
                                 date_line=_at(h.date_lines, i, "")))
        # Notifications name what people wrote: their messages carry every payload, in the organizer's inbox.
        for message in h.messages:
            s.add(Notification(user_id=organizer_id or 0, group_id=gid or 0, kind="mention", message=message,
                               link=f"{G}/r/1"))
        # Exports list who asked for them.
        for i, email in enumerate(sorted(people)[:12]):
            s.add(Export(group_id=gid or 0, user_id=people[email].id, profile="internal", format="pdf",
                         status="failed" if i % 2 else "queued", error="", created_at=utcnow() - dt.timedelta(days=1)))

    organizer_client = browser_as(app, db, settings, ORGANIZER)
    member_client = browser_as(app, db, settings, h.person_email(1))
    admin_client = browser_as(app, db, settings, ADMIN)
    anonymous: TestClient[Any] = TestClient(app=app, base_url=f"http://{HOST}")
    anonymous.__enter__()
    try:
        organizer = Visitor(organizer_client, "organizer")
        member = Visitor(member_client, "member")
        admin = Visitor(admin_client, "admin")
        guest = Visitor(anonymous, "anonymous")

        # Invitations: the first few through the API (the real path), the rest as rows.
        tokens = []
        for i, name in enumerate(h.invitation_names[:API_INVITATIONS]):
            made = organizer.api("POST", f"{API}/invitations", {
                "email": f"invitee{i}@example.org", "display_name": name, "country": COUNTRIES[i % 3],
                "role": "member"})
            tokens.append(made["link"].rsplit("/", 1)[1])
        with db.transaction() as s:
            for i, name in enumerate(h.invitation_names[API_INVITATIONS:], start=API_INVITATIONS):
                tokens.append(new_invitation_token())
                s.add(Invitation(group_id=gid or 0, token_hash=invitation_token_hash(tokens[-1]),
                                 email=f"invitee{i}@example.org", display_name=name, country=COUNTRIES[i % 3],
                                 role="member", created_by=organizer_id,
                                 expires_at=utcnow() + dt.timedelta(days=7)))
        # A chair's decisions and a submission through the API notify people and write the audit log.
        chair = Visitor(browser_as(app, db, settings, h.person_email(0)), "co-chair")
        free = numbers[len(h.review_notes()) + 1:]  # submitted, no note
        assert len(free) >= 4
        for number in free[:3]:
            chair.api("POST", f"{API}/recommendations/{number}/decisions", {
                "decision": "request-changes", "rev_no": 1, "note": h.change_notes[0]}, status=200)

        # Profiles: every hostile person's own profile form and header (the values sit in input attributes).
        names, natives, affiliations = (markers(h.display_names), markers(h.native_names),
                                        markers(h.affiliations))
        with db.transaction() as s:
            tokens_by_person = [issue_session(s, people[h.person_email(i)], settings.session_max_age)
                                for i in range(h.people)]
        for i in spread(len(tokens_by_person)):
            member_client.cookies.set(SESSION_COOKIE, tokens_by_person[i], domain=HOST, path="/")
            expect = [m[i] for m in (names, natives, affiliations) if i < len(m)]
            member.page("/profile", expect)
        with db.transaction() as s:
            token = issue_session(s, people[h.person_email(1)], settings.session_max_age)
        member_client.cookies.set(SESSION_COOKIE, token, domain=HOST, path="/")
        member.token = member_client.get("/api/v1/session").json()["csrf_token"]
        # One person saves a hostile profile through the form, then it shows in the header of every page.
        response = member_client.post("/profile", data={
            "display_name": h.display_names[1], "native_name": h.native_names[1], "affiliation": h.affiliations[1],
            "country": "JP", "sector": "academia", "time_zone": "Asia/Tokyo", "_csrf_token": member.token},
            follow_redirects=False)
        assert response.status_code == 303, response.text[:500]

        # The hostile group's pages, as the organizer (who sees every control) and as a member.
        sub_names = markers(h.subgroup_names)
        titles = markers(h.titles)
        group_marker = markers(h.group_names)[0]
        for visitor in (organizer, member):
            visitor.page(G, [group_marker, markers(h.hosts)[0], *sub_names, *names])
            visitor.page(f"{G}/members", [group_marker, *names, *affiliations]
                         + (markers(h.invitation_names) if visitor is organizer else []))
            visitor.page(f"{G}/report", [group_marker, *titles, sub_names[0]])
            visitor.page(f"{G}/r/1", [group_marker, titles[0], *markers(h.reservations), *markers(h.objections),
                                      *names[1:len(h.reservations) + len(h.objections) + 1]])
            visitor.page(f"{G}/r/{free[0]}", [titles[free[0] - 1], markers(h.change_notes)[0]])
            visitor.page(f"{G}/r/1/history", [titles[0]])
            visitor.page(f"{G}/r/1/edit", [titles[0]])
            visitor.page(f"{G}/sections/{section_id}", [group_marker, sub_names[0], *titles])
            visitor.page(f"{G}/sections/{section_id}/history", [group_marker])
            visitor.page("/", [group_marker, markers(h.hosts)[0]])
        for i in sorted(set(range(len(h.mandates))) | set(spread(len(subgroup_ids)))):
            sid = subgroup_ids[i]
            mandate = [markers(h.mandates)[i]] if i < len(h.mandates) else []
            organizer.page(f"{G}/subgroups/{sid}", [sub_names[i], *mandate, *names[:3]])
        for number, (_, note) in enumerate(h.review_notes(), start=2):
            organizer.page(f"{G}/r/{number}", [titles[number - 1], *markers([note])])
        organizer.page(f"{G}/subgroups/new", [group_marker])
        organizer.page(f"{G}/sections/new", [group_marker])
        organizer.page(f"{G}/sections/{section_id}/recommendations/new", [group_marker])
        organizer.page(f"{G}/audit", [group_marker, names[0]])
        organizer.page(f"{G}/audit?action=review", [names[0]])
        organizer.page(f"{G}/exports", [group_marker, markers(h.report_titles)[0], *names[:12]])
        waiting = [1, *range(len(h.review_notes()) - len(h.submit_notes) + 2, len(h.review_notes()) + 2), *free[3:]]
        chair.page(f"{G}/queue", [group_marker, *[titles[n - 1] for n in waiting]])
        organizer.page(f"{G}/report/settings", [group_marker, markers(h.report_titles)[0], markers(h.subtitles)[0],
                                                markers(h.series_lines)[0], markers(h.date_lines)[0],
                                                *[markers(v)[0] for v in h.front_texts.values()]])
        organizer.page("/inbox", [*markers(h.messages), *[titles[n - 1] for n in free[:3]]])
        organizer.page("/", [*markers(h.group_names), *markers(h.hosts)])
        admin.page("/", [*markers(h.group_names)])
        admin.page("/admin/groups/new")
        # The front matter texts and the groups beyond the first.
        with db.transaction() as s:
            settings_row = s.exec(select(ReportSettings).where(ReportSettings.group_id == gid)).one()
            for name, chunks in h.front_texts.items():
                setattr(settings_row, name, chunks[-1])
            s.add(settings_row)
        organizer.page(f"{G}/report/settings", [markers(v)[-1] for v in h.front_texts.values()])
        for i in spread(extra, start=1):
            slug = f"{EXTRA_GROUPS}{i}"
            expect = [m[i] for m in (markers(h.group_names), markers(h.hosts)) if i < len(m)]
            organizer.page(f"/g/{slug}", expect)
            expect = [m[i] for m in (markers(h.group_names), markers(h.report_titles), markers(h.subtitles),
                                     markers(h.series_lines), markers(h.date_lines)) if i < len(m)]
            organizer.page(f"/g/{slug}/report/settings", expect)
        # Invitation pages, as the invited person sees them before logging in.
        invitation_markers = markers(h.invitation_names)
        for i in spread(len(tokens)):
            token = tokens[i]
            guest.page(f"/invite/{token}", [invitation_markers[i], group_marker, markers(h.hosts)[0]])

        # Forms that come back with a mistake repeat everything typed: all payloads at once in each field.
        everything = all_payloads()
        paragraphs = all_paragraphs()
        member.form("/profile", {"display_name": everything, "native_name": everything, "affiliation": everything,
                                 "country": "JP", "sector": "academia", "time_zone": "Asia/Tokyo"}, ["XallZ"])
        organizer.form(f"{G}/members/invite", {"email": "new@example.org", "display_name": everything,
                                                "country": "JP", "role": "member"}, ["XallZ"])
        organizer.form(f"{G}/subgroups", {"name": everything, "mandate": paragraphs}, ["XallZ"])
        organizer.form(f"{G}/subgroups/{subgroup_ids[0]}", {"name": everything, "mandate": paragraphs}, ["XallZ"])
        organizer.form(f"{G}/report/settings", {
            "title": everything, "subtitle": everything, "series_line": everything, "date_line": everything,
            **{k: paragraphs * 2 for k in h.front_texts}, "paper_size": "A4"}, ["XallZ"])
        admin.form("/admin/groups", {"name": everything, "slug": "new-group", "host_organisation": everything,
                                     "countries": "US, JP", "organizer_email": "o@example.org",
                                     "organizer_name": everything}, ["XallZ"])
        member.form(f"{G}/r/1/position", {"stance": "reservation", "text": paragraphs}, ["XallZ"])
        chair.form(f"{G}/r/{free[3]}/decision", {"decision": "request-changes", "rev_no": "1", "note": paragraphs},
                   ["XallZ"])
        chair.form(f"{G}/r/{free[0]}/submit", {"deadline": everything[:200], "note": paragraphs}, ["XallZ"])
        guest.form("/login", {"email": everything[:5000], "password": "x", "next": everything[:2000]}, [],
                   status=400)
        # Reflected query strings and paths.
        reflected = quote(everything[:1500], safe="")
        guest.page(f"/login?next={reflected}")
        organizer.page(f"{G}/audit?action={reflected}&since={reflected}&actor={reflected}")
        organizer.page(f"/no-such-page/{reflected}", status=404)
        organizer.page(f"{G}/r/1/diff?from_rev={reflected}&to_rev=1", status=400)
        # The live preview fragment that htmx swaps into the editor.
        organizer.form(f"{G}/preview", {"text": paragraphs}, ["XallZ"], status=200, htmx=True)

        visitors = (organizer, member, admin, guest, chair)
        problems = [p for v in visitors for p in v.problems]
        missing = [m for v in visitors for m in v.missing]
        assert problems == [], f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:25])
        assert missing == [], f"{len(missing)} values not shown where expected, first ones:\n" + "\n".join(
            missing[:25])
        assert sum(v.pages for v in visitors) > 100
    finally:
        for c in (chair.client if "chair" in locals() else None, anonymous, admin_client, member_client,
                  organizer_client):
            if c is not None:
                c.__exit__(None, None, None)


def test_only_the_dashboards_own_progress_bar_is_set_aside():
    """The exemption for the app's progress bar is narrow: any other svg, or one with a handler, still counts."""
    head = ('<html><head><script src="/static/vendor/htmx-2.0.11.min.js"></script>'
            '<script src="/static/wg.js"></script></head><body>{}</body></html>')
    bar = ('<svg class="progress" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label="x">'
           '<rect class="approved" x="0" y="0" height="8" width="1"></rect><rect class="review" x="1" y="0" '
           'height="8" width="1"></rect><rect class="drafting" x="2" y="0" height="8" width="1"></rect></svg>')
    assert page_problems(head.format(bar), "page") == []
    for live in (bar.replace('role="img"', 'role="img" onload="window.__xss=1"'),
                 bar.replace('<rect class="approved"', '<rect onclick="x" class="approved"'),
                 bar.replace("</svg>", "<script>window.__xss=1</script></svg>"),
                 '<svg onload="window.__xss=1"></svg>', "<svg><animate onbegin=x></animate></svg>"):
        assert page_problems(head.format(live), "page"), live
