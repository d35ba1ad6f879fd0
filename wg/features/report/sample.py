"""A report snapshot built from the demo content without a database: for renderer tests and benchmarks."""

from __future__ import annotations

from wg.demo import PEOPLE
from wg.demo_content import SECTIONS
from wg.features.report.snapshot import (
    AdditionalViewSnap,
    CountryRoster,
    FrontMatter,
    RecommendationSnap,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.lib.countries import country_name
from wg.models.enums import Role

_LANG = {"JP": "ja", "KR": "ko"}


def sample_front() -> FrontMatter:
    """The demo report's front matter."""
    return FrontMatter(
        title="Reinvesting in U.S.–Japan–ROK Strategic Relations",
        subtitle="A Practical Trilateral Agenda",
        series_line="Policy recommendations from an Emerging Leaders working group",
        host_organisation="Pacific Alliance Forum",
        date_line="November 2026",
        acknowledgements=(
            "The working group thanks the **Harbor Foundation** and the **Kanagawa Fund for Civil Exchange** for "
            "their support, its senior advisers for their guidance, and the staff of the Pacific Alliance Forum."
        ),
        foreword="This report presents the recommendations of a trilateral working group of emerging leaders.",
        executive_summary="Trilateral cooperation is made or unmade at home. We propose a practical agenda.",
        about_host=("The **Pacific Alliance Forum** is an independent, non-partisan institute that brings together "
                    "emerging leaders from the United States, Japan and the Republic of Korea."),
        funders="This working group was made possible by the Harbor Foundation and the Kanagawa Fund.",
        advisers_heading="Senior advisers",
    )


def sample_snapshot(profile: str = "public", draft: bool = True, scale: int = 1) -> ReportSnapshot:
    """The demo report; ``scale`` repeats its sections to make a longer report."""
    roster: dict[str, list[RosterPerson]] = {}
    advisers: list[RosterPerson] = []
    for person in PEOPLE:
        if person.role in {Role.OBSERVER, Role.ORGANIZER}:
            continue
        role = "Co-chair" if person.role == Role.CO_CHAIR else ""
        entry = RosterPerson(name=person.name, native_name=person.native, affiliation=person.affiliation,
                             role=role, lang=_LANG.get(person.country, ""))
        if person.role == Role.ADVISER:
            advisers.append(entry)
        else:
            roster.setdefault(person.country, []).append(entry)
    sections: list[SectionSnap] = []
    number = 0
    for copy in range(scale):
        for demo in SECTIONS:
            number += 1
            head = demo.revisions[-1]
            recs = []
            for index, rec in enumerate(demo.recommendations, start=1):
                last = rec.revisions[-1]
                views = (AdditionalViewSnap("One member adds:", "The timeline should be realistic.", "reservation"),
                         ) if index == 2 else ()
                recs.append(RecommendationSnap(
                    key=f"R-{len(sections) * 10 + index}", number=f"{number}.{index}", title=last.title,
                    text=last.text, rationale=last.rationale, target=rec.target,
                    outcome="Consensus with reservations" if views else "Consensus", views=views,
                    state="approved" if profile == "internal" else ""))
            title = head.title if copy == 0 else f"{head.title} ({copy + 1})"
            sections.append(SectionSnap(number=number, title=title, text=head.text, subgroup=demo.subgroup or "",
                                        recommendations=tuple(recs)))
    return ReportSnapshot(
        group_slug="trilateral", group_name="U.S.–Japan–ROK Trilateral Working Group",
        profile="internal" if profile == "internal" else "public", draft=draft, front=sample_front(),
        roster=tuple(CountryRoster(code, country_name(code), tuple(people))
                     for code, people in roster.items()),
        advisers=tuple(advisers), sections=tuple(sections))
