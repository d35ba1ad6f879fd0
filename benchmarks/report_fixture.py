"""The export benchmark's report: 10 sections × 12 recommendations × ~300 words, members with Japanese and Korean
names, built as a wg archive document and imported into a real database with wg's own import.

The text is the demo group's own drafting (``wg.demo_content``), cycled deterministically so every recommendation
has ~200 words of text and ~100 of rationale (Markdown: paragraphs, emphasis, now and then a list), and every
third recommendation carries a member's reservation, printed as an additional view (a footnote in the PDF and the
DOCX). Everything is approved, so the *public* profile (what a group publishes) shows all of it.
"""

from __future__ import annotations

import datetime as dt
from itertools import cycle
from typing import Any

from wg.db import Database
from wg.demo import PEOPLE, SUBGROUPS
from wg.demo_content import SECTIONS
from wg.features.report.archive import import_archive
from wg.features.review.state import section_fingerprint
from wg.migrate import upgrade
from wg.models import Role

SECTIONS_1X = 10
RECS_PER_SECTION = 12
TEXT_WORDS = 130
RATIONALE_WORDS = 65
_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_SIGNATORIES = [p for p in PEOPLE if p.role in {Role.MEMBER, Role.CO_CHAIR}]
_RESERVING = [p for p in _SIGNATORIES if p.country in {"JP", "KR"}]
# A phrase in the members' own scripts inside the running text, as real drafts quote names and places.
_NATIVE_ASIDES = (
    "as {jp} (東京) and {kr} (서울) argued at the second plenary",
    "a point {kr} pressed in the Seoul session (서울 회의)",
    "echoing the Tokyo workshop chaired by {jp} (東京会合)",
)


def _at(minutes: int) -> str:
    return (_START + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _paragraphs() -> list[str]:
    """Every paragraph of the demo drafts (section texts, recommendation texts and rationales), in order."""
    found: list[str] = []
    for section in SECTIONS:
        found.extend(section.revisions[-1].text.split("\n\n"))
        for rec in section.recommendations:
            last = rec.revisions[-1]
            found.extend(last.text.split("\n\n"))
            found.extend(last.rationale.split("\n\n"))
    return [p.strip() for p in found if p.strip()]


def _titles() -> list[tuple[str, str]]:
    """(title, target) of every demo recommendation."""
    return [(rec.revisions[-1].title, rec.target) for s in SECTIONS for rec in s.recommendations]


class _Text:
    """Deterministic member-like Markdown of a given length, cut from the demo drafts."""

    def __init__(self) -> None:
        self.source = cycle(_paragraphs())
        self.count = 0

    def take(self, words: int) -> str:
        """Whole paragraphs until ``words`` words; every fourth text ends with a short list."""
        parts: list[str] = []
        total = 0
        while total < words:
            paragraph = next(self.source)
            parts.append(paragraph)
            total += len(paragraph.split())
        self.count += 1
        jp = _RESERVING[self.count % 3].native
        kr = _RESERVING[3 + self.count % 4].native
        aside = _NATIVE_ASIDES[self.count % len(_NATIVE_ASIDES)].format(jp=jp, kr=kr)
        parts[0] = f"{parts[0]} This is, {aside}, **a practical priority** rather than *a slogan*."
        if self.count % 4 == 0:
            parts.append("- within the first year\n- reviewed by the three capitals together\n- reported publicly")
        return "\n\n".join(parts)


def benchmark_archive(sections: int = SECTIONS_1X, recs_per_section: int = RECS_PER_SECTION,
                      slug: str = "bench") -> dict[str, Any]:
    """A wg archive document (docs/archive-format.md) of the benchmark report, every item approved."""
    by_key = {p.key: p for p in PEOPLE}
    members = [{
        "email": p.email, "display_name": p.name, "native_name": p.native, "country": p.country,
        "affiliation": p.affiliation, "sector": p.sector, "time_zone": p.time_zone,
        "consents_to_attribution": False, "role": p.role.value, "listed_in_report": p.role is not Role.OBSERVER,
        "joined_at": _at(i),
    } for i, p in enumerate(PEOPLE)]
    subgroups = [{
        "name": name, "mandate": mandate, "created_at": _at(30 + i),
        "chairs": [by_key[chair].email], "members": sorted(by_key[k].email for k in keys),
    } for i, (name, mandate, chair, keys) in enumerate(SUBGROUPS)]
    chair_of = {name: by_key[chair].email for name, _m, chair, _k in SUBGROUPS}
    co_chair = by_key["eleanor.hayes"].email
    text = _Text()
    titles = cycle(_titles())
    demo_sections = cycle(SECTIONS)
    out_sections: list[dict[str, Any]] = []
    number = 0
    minute = 1000
    for s_index in range(sections):
        demo = next(demo_sections)
        subgroup = SUBGROUPS[s_index % len(SUBGROUPS)][0] if s_index % 4 else None
        approver = chair_of[subgroup] if subgroup else co_chair
        recs: list[dict[str, Any]] = []
        for r_index in range(recs_per_section):
            number += 1
            minute += 10
            title, target = next(titles)
            author = _SIGNATORIES[number % len(_SIGNATORIES)].email
            positions = []
            for person in _SIGNATORIES:
                reserving = r_index % 3 == 1 and person is _RESERVING[number % len(_RESERVING)]
                positions.append({
                    "member": person.email, "stance": "reservation" if reserving else "support",
                    "text": ("The timeline should be realistic; the first steps need funding that none of the "
                             "three budgets yet provides." if reserving else ""),
                    "updated_at": _at(minute + 3)})
            recs.append({
                "number": number, "key": f"R-{number}", "created_at": _at(minute), "withdrawn_at": None,
                "withdrawn_by": None,
                "revisions": [{
                    "rev_no": 1, "parent_rev_no": None, "merged_rev_no": None, "restored_from": None,
                    "author": author, "created_at": _at(minute), "title": title,
                    "text": text.take(TEXT_WORDS), "rationale": text.take(RATIONALE_WORDS), "target": target,
                    "note": "Created"}],
                "review_events": [
                    {"kind": "submit", "rev_no": 1, "actor": author, "note": "", "deadline": None, "fingerprint": "",
                     "created_at": _at(minute + 1)},
                    {"kind": "approve", "rev_no": 1, "actor": approver, "note": "", "deadline": None,
                     "fingerprint": "", "created_at": _at(minute + 5)}],
                "positions": positions, "comments": []})
        title = demo.revisions[-1].title
        fingerprint = section_fingerprint(1, [(r["number"], 1, False) for r in recs])
        out_sections.append({
            "subgroup": subgroup, "created_at": _at(minute),
            "revisions": [{"rev_no": 1, "parent_rev_no": None, "merged_rev_no": None, "restored_from": None,
                           "author": approver, "created_at": _at(minute),
                           "title": title if s_index < len(SECTIONS) else f"{title} ({s_index // len(SECTIONS) + 1})",
                           "text": text.take(TEXT_WORDS), "note": "Created"}],
            "review_events": [{"kind": "approve", "rev_no": 1, "actor": approver, "note": "", "deadline": None,
                               "fingerprint": fingerprint, "created_at": _at(minute + 8)}],
            "comments": [], "recommendations": recs})
    return {
        "format": "wg-archive", "version": 1,
        "group": {
            "slug": slug, "name": "U.S.–Japan–ROK Trilateral Working Group",
            "host_organisation": "Pacific Alliance Forum",
            "countries": ["US", "JP", "KR"], "attribution_mode": "country", "consensus_rule": "each-country",
            "state": "active", "created_at": _at(0),
            "report": {
                "title": "Reinvesting in U.S.–Japan–ROK Strategic Relations",
                "subtitle": "A Practical Trilateral Agenda",
                "series_line": "Policy recommendations from an Emerging Leaders working group",
                "date_line": "November 2026",
                "acknowledgements": ("The working group thanks the **Harbor Foundation** and the **Kanagawa Fund "
                                     "for Civil Exchange** for their support, its senior advisers — Robert "
                                     "Lindqvist and 박성호 (Park Sung-ho) — for their guidance, and the staff of the "
                                     "Pacific Alliance Forum."),
                "foreword": text.take(150), "executive_summary": text.take(300),
                "paper_size": "A4", "finalised_at": None, "finalised_by": None, "updated_at": _at(minute + 60)},
        },
        "members": members, "former_members": [], "subgroups": subgroups, "sections": out_sections,
    }


def build_database(database_url: str, groups: dict[str, int]) -> Database:
    """Migrate a database and import one benchmark group per ``{slug: number of sections}``."""
    database = Database(database_url)
    upgrade(database.engine)
    with database.transaction() as db:
        for slug, sections in groups.items():
            import_archive(db, benchmark_archive(sections=sections, slug=slug))
    return database
