"""Load a group's report into a ReportSnapshot: the only place exports read the database (a fixed number of
queries, whatever the size of the report)."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass, replace

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from wg.db import lock_row
from wg.features.drafting.queries import comment_counts
from wg.features.groups.queries import roster
from wg.features.report.snapshot import (
    DEFAULT_DISCLAIMER,
    AdditionalViewSnap,
    CountryRoster,
    FrontMatter,
    PaperSize,
    Profile,
    RecommendationSnap,
    ReportImage,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.features.review.consensus import additional_views
from wg.features.review.queries import ReviewBoard, review_board
from wg.features.review.state import RecState
from wg.lib.countries import country_name
from wg.lib.images import SVG
from wg.lib.svg_raster import RasterFailed, svg_to_png
from wg.models import ReportLogo, ReportSettings, Revision, Role, User, WorkingGroup

log = logging.getLogger(__name__)
_REC_KEY = re.compile(r"(?<![\w.-])R-([0-9]{1,9})(?![\w-])")  # an R-key as messages and the audit log write it

_LANG = {"JP": "ja", "KR": "ko", "KP": "ko", "CN": "zh", "TW": "zh"}
DEFAULT_ADVISERS_HEADING = "Advisers"
LISTED_ROLES = {Role.MEMBER.value: "", Role.CO_CHAIR.value: "Co-chair"}
_PUBLISHED_STATES = frozenset({RecState.APPROVED, RecState.APPROVED_TEXT_CHANGED})


def report_settings(db: Session, group: WorkingGroup, create: bool = False) -> ReportSettings:
    """The group's front matter; defaults (not saved unless ``create``, for a caller that commits) when unset.

    ``create`` takes the group's lock first (:func:`wg.db.lock_row`): two first saves at once would both insert."""
    if create:
        lock_row(db, WorkingGroup, group.id or 0)
    found = db.exec(select(ReportSettings).where(ReportSettings.group_id == group.id)).first()
    if found is None:
        found = ReportSettings(group_id=group.id or 0, title=group.name, disclaimer=DEFAULT_DISCLAIMER)
        if create:
            db.add(found)
            db.flush()
    return found


def report_logo(db: Session, group: WorkingGroup) -> ReportLogo | None:
    """The group's cover logo (already cleaned when it was stored), or None."""
    return db.exec(select(ReportLogo).where(ReportLogo.group_id == group.id)).first()


def report_image(logo: ReportLogo | None) -> ReportImage | None:
    """A stored logo as renderers see it."""
    if logo is None:
        return None
    png = base64.b64encode(logo.png_fallback).decode("ascii") if logo.png_fallback else ""
    return ReportImage(media_type=logo.media_type, data_base64=base64.b64encode(logo.data).decode("ascii"),
                       width_px=logo.width_px, height_px=logo.height_px, png_base64=png)


def with_logo_png(snapshot: ReportSnapshot) -> ReportSnapshot:
    """``snapshot`` with its SVG logo's PNG drawing: a logo stored before the drawing was kept (migration 0009) is
    drawn now, for this render only (stored when the organizer next saves the front matter). Unchanged if there is
    nothing to draw, or if drawing fails (then the DOCX cover has no logo, as before, and the log says why)."""
    logo = snapshot.front.logo
    if logo is None or logo.media_type != SVG or logo.png_base64:
        return snapshot
    try:
        png = svg_to_png(base64.b64decode(logo.data_base64), logo.width_px, logo.height_px)
    except (RasterFailed, ValueError, binascii.Error) as problem:
        log.warning("the SVG logo of %s could not be drawn as PNG: %s", snapshot.group_slug, problem)
        return snapshot
    drawn = replace(logo, png_base64=base64.b64encode(png).decode("ascii"))
    return replace(snapshot, front=replace(snapshot.front, logo=drawn))


def front_matter(settings: ReportSettings, group: WorkingGroup, logo: ReportLogo | None = None) -> FrontMatter:
    """The front matter (and back matter) as renderers see it."""
    paper: PaperSize = "Letter" if settings.paper_size == "Letter" else "A4"
    return FrontMatter(
        title=settings.title or group.name, subtitle=settings.subtitle, series_line=settings.series_line,
        host_organisation=group.host_organisation, date_line=settings.date_line,
        acknowledgements=settings.acknowledgements, foreword=settings.foreword,
        executive_summary=settings.executive_summary, disclaimer=settings.disclaimer or DEFAULT_DISCLAIMER,
        paper_size=paper, logo=report_image(logo), about_host=settings.about_host, funders=settings.funders,
        advisers_heading=settings.advisers_heading or DEFAULT_ADVISERS_HEADING)


def _person(user: User, role: str) -> RosterPerson:
    """A listed person as the report shows them."""
    return RosterPerson(name=user.display_name, native_name=user.native_name, affiliation=user.affiliation,
                        role=role, lang=_LANG.get(user.country, ""))


def _people(db: Session, group: WorkingGroup) -> tuple[tuple[CountryRoster, ...], tuple[RosterPerson, ...]]:
    """The members by country, and the advisers (both only those ``listed_in_report``), in roster order."""
    by_country: dict[str, list[RosterPerson]] = {}
    advisers: list[RosterPerson] = []
    for entry in roster(db, group.id or 0):
        if not entry.listed_in_report:
            continue
        u = entry.user
        if entry.role == Role.ADVISER.value:
            advisers.append(_person(u, ""))
        elif entry.role in LISTED_ROLES:
            by_country.setdefault(u.country, []).append(_person(u, LISTED_ROLES[entry.role]))
    order = [c for c in group.countries if c in by_country] + sorted(c for c in by_country if c not in group.countries)
    members = tuple(CountryRoster(code, country_name(code) if code else "Other", tuple(by_country[code]))
                    for code in order)
    return members, tuple(advisers)


@dataclass(frozen=True)
class PublicSelection:
    """What the public report prints, and the numbers every profile and every page give its chapters and items.

    A recommendation is published when a chair approved a revision of it (the approved revision is printed even if
    the text changed since) and it is not withdrawn. A chapter is published when it has published items or approved
    text of its own; the published chapters are numbered 1, 2 … and their published items 1.1, 1.2 ….
    """

    revisions: dict[tuple[str, int], Revision]
    section_numbers: dict[int, int]  # section id -> chapter number
    rec_numbers: dict[int, str]  # recommendation id -> "1.2"



def public_selection(db: Session, board: ReviewBoard) -> PublicSelection:
    """Which chapters and items the public report prints, their approved revisions and their numbers (one query)."""
    wanted: list[tuple[str, int, int]] = []
    for s in board.sections:
        if s.last_approval is not None:
            wanted.append(("section", s.view.section.id or 0, s.last_approval.rev_no))
        for r in s.recommendations:
            if r.state in _PUBLISHED_STATES and r.last_event is not None:
                wanted.append(("recommendation", r.view.recommendation.id or 0, r.last_event.rev_no))
    revisions: dict[tuple[str, int], Revision] = {}
    if wanted:
        rows = db.exec(select(Revision).where(
            Revision.group_id == board.group.id,
            tuple_(col(Revision.target_type), col(Revision.target_id), col(Revision.rev_no)).in_(wanted))).all()
        revisions = {(r.target_type, r.target_id): r for r in rows}
    section_numbers: dict[int, int] = {}
    rec_numbers: dict[int, str] = {}
    for s in board.sections:
        sid = s.view.section.id or 0
        published = [r.view.recommendation.id or 0 for r in s.recommendations
                     if ("recommendation", r.view.recommendation.id or 0) in revisions]
        section_rev = revisions.get(("section", sid))
        if not published and not (section_rev is not None and section_rev.text.strip()):
            continue
        number = len(section_numbers) + 1
        section_numbers[sid] = number
        for index, rid in enumerate(published, start=1):
            rec_numbers[rid] = f"{number}.{index}"
    return PublicSelection(revisions, section_numbers, rec_numbers)


@dataclass(frozen=True)
class ReportNumbers:
    """The report's numbers as pages show them beside the keys: ``recs`` by R-number ("1.4"), ``chapters`` by
    section id (1, 2 …); an item or chapter the public report leaves out has none."""

    recs: dict[int, str]
    chapters: dict[int, int]

    def rec(self, number: int) -> str | None:
        """The report number of recommendation R-``number`` ("2.4"), or None if the public report leaves it out."""
        return self.recs.get(number)

    def name(self, text: str) -> str:
        """``text`` (a stored notification or audit value) with each R-key that has a report number shown as the
        pages name items: "R-7" → "2.4 (R-7)". Keys without a number (not in the public report) stay as they are."""
        return _REC_KEY.sub(lambda m: f"{self.recs[int(m.group(1))]} ({m.group(0)})"
                            if int(m.group(1)) in self.recs else m.group(0), text)


def report_numbers(db: Session, group: WorkingGroup, board: ReviewBoard | None = None) -> ReportNumbers:
    """The numbers the report gives every chapter and item now (``public_selection``): one rule for pages and
    exports, so a chair's "see 2.4" points at the same item in the app and in print."""
    board = board or review_board(db, group)
    selection = public_selection(db, board)
    recs = {r.number: selection.rec_numbers[r.view.recommendation.id or 0]
            for s in board.sections for r in s.recommendations
            if (r.view.recommendation.id or 0) in selection.rec_numbers}
    return ReportNumbers(recs=recs, chapters=dict(selection.section_numbers))


def load_snapshot(db: Session, group: WorkingGroup, profile: Profile) -> ReportSnapshot:
    """Everything the export of ``profile`` shows. Public: approved text only, no comments, no states.

    Numbers come from ``public_selection`` in both profiles: the internal profile marks what the public report
    leaves out (``published=False``, no number) instead of numbering it.
    """
    settings = report_settings(db, group)
    board = review_board(db, group)
    public = profile == "public"
    selection = public_selection(db, board)
    rec_comments = {} if public else comment_counts(db, group.id or 0, "recommendation")
    section_comments = {} if public else comment_counts(db, group.id or 0, "section")
    sections: list[SectionSnap] = []
    open_items = 0
    for s in board.sections:
        sid = s.view.section.id or 0
        chapter = selection.section_numbers.get(sid, 0)
        if public and not chapter:
            continue
        section_rev = selection.revisions.get(("section", sid)) if public else s.view.head
        recs: list[RecommendationSnap] = []
        for r in s.recommendations:
            rid = r.view.recommendation.id or 0
            number = selection.rec_numbers.get(rid, "")
            if public:
                if not number:
                    continue
                rev = selection.revisions[("recommendation", rid)]
            else:
                rev = r.view.head
            is_open = not r.state.settled
            open_items += is_open
            views = tuple(AdditionalViewSnap(v.attribution, v.text, v.stance.value)
                          for v in additional_views(r.positions, group.attribution_mode))
            recs.append(RecommendationSnap(
                key=r.view.recommendation.key, number=number, title=rev.title,
                text=rev.text, rationale=rev.rationale, target=rev.target, outcome=r.verdict.label,
                state="" if public else r.state.value, is_open=False if public else is_open,
                comment_count=rec_comments.get(rid, 0), views=views, published=bool(number)))
        title = section_rev.title if section_rev else s.view.head.title
        sections.append(SectionSnap(
            number=chapter, title=title, text=section_rev.text if section_rev else "",
            subgroup=s.view.subgroup.name if s.view.subgroup and not public else "",
            state="" if public else s.state.value, is_open=False if public else s.state.value != "approved",
            comment_count=section_comments.get(sid, 0), recommendations=tuple(recs), published=bool(chapter)))
    members, advisers = _people(db, group)
    return ReportSnapshot(
        group_slug=group.slug, group_name=group.name, profile=profile, draft=settings.finalised_at is None,
        front=front_matter(settings, group, report_logo(db, group)), roster=members, advisers=advisers,
        sections=tuple(sections),
        attribution_mode=group.attribution_mode, consensus_rule=group.consensus_rule,
        open_items=0 if public else open_items)
