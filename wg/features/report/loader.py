"""Load a group's report into a ReportSnapshot: the only place exports read the database (a fixed number of
queries, whatever the size of the report)."""

from __future__ import annotations

import base64

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
from wg.features.review.queries import review_board
from wg.features.review.state import RecState
from wg.lib.countries import country_name
from wg.models import ReportLogo, ReportSettings, Revision, Role, WorkingGroup

_LANG = {"JP": "ja", "KR": "ko", "KP": "ko", "CN": "zh", "TW": "zh"}
DEFAULT_ADVISERS_HEADING = "Advisers"
LISTED_ROLES = {Role.MEMBER.value: "", Role.CO_CHAIR.value: "Co-chair"}


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
    return ReportImage(media_type=logo.media_type, data_base64=base64.b64encode(logo.data).decode("ascii"),
                       width_px=logo.width_px, height_px=logo.height_px)


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


def _roster(db: Session, group: WorkingGroup) -> tuple[CountryRoster, ...]:
    by_country: dict[str, list[RosterPerson]] = {}
    for entry in roster(db, group.id or 0):
        if not entry.listed_in_report or entry.role not in LISTED_ROLES:
            continue
        u = entry.user
        by_country.setdefault(u.country, []).append(RosterPerson(
            name=u.display_name, native_name=u.native_name, affiliation=u.affiliation,
            role=LISTED_ROLES[entry.role], lang=_LANG.get(u.country, "")))
    order = [c for c in group.countries if c in by_country] + sorted(c for c in by_country if c not in group.countries)
    return tuple(CountryRoster(code, country_name(code) if code else "Other", tuple(by_country[code]))
                 for code in order)


def load_snapshot(db: Session, group: WorkingGroup, profile: Profile) -> ReportSnapshot:
    """Everything the export of ``profile`` shows. Public: approved text only, no comments, no states."""
    settings = report_settings(db, group)
    board = review_board(db, group)
    public = profile == "public"
    wanted: list[tuple[str, int, int]] = []
    if public:
        for s in board.sections:
            if s.last_approval is not None:
                wanted.append(("section", s.view.section.id or 0, s.last_approval.rev_no))
            for r in s.recommendations:
                if r.state in {RecState.APPROVED, RecState.APPROVED_TEXT_CHANGED} and r.last_event is not None:
                    wanted.append(("recommendation", r.view.recommendation.id or 0, r.last_event.rev_no))
    approved: dict[tuple[str, int], Revision] = {}
    if wanted:
        rows = db.exec(select(Revision).where(
            Revision.group_id == group.id,
            tuple_(col(Revision.target_type), col(Revision.target_id), col(Revision.rev_no)).in_(wanted))).all()
        approved = {(r.target_type, r.target_id): r for r in rows}
    rec_comments = {} if public else comment_counts(db, group.id or 0, "recommendation")
    section_comments = {} if public else comment_counts(db, group.id or 0, "section")
    sections: list[SectionSnap] = []
    open_items = 0
    for s in board.sections:
        sid = s.view.section.id or 0
        section_rev = approved.get(("section", sid)) if public else s.view.head
        recs: list[RecommendationSnap] = []
        for r in s.recommendations:
            rid = r.view.recommendation.id or 0
            if public:
                rev = approved.get(("recommendation", rid))
                if rev is None or r.state is RecState.WITHDRAWN:
                    continue
            else:
                rev = r.view.head
            is_open = not r.state.settled
            open_items += is_open
            views = tuple(AdditionalViewSnap(v.attribution, v.text, v.stance.value)
                          for v in additional_views(r.positions, group.attribution_mode))
            recs.append(RecommendationSnap(
                key=r.view.recommendation.key, number=f"{len(sections) + 1}.{len(recs) + 1}", title=rev.title,
                text=rev.text, rationale=rev.rationale, target=rev.target, outcome=r.verdict.label,
                state="" if public else r.state.value, is_open=False if public else is_open,
                comment_count=rec_comments.get(rid, 0), views=views))
        if public and section_rev is None and not recs:
            continue
        title = section_rev.title if section_rev else s.view.head.title
        sections.append(SectionSnap(
            number=len(sections) + 1, title=title, text=section_rev.text if section_rev else "",
            subgroup=s.view.subgroup.name if s.view.subgroup and not public else "",
            state="" if public else s.state.value, is_open=False if public else s.state.value != "approved",
            comment_count=section_comments.get(sid, 0), recommendations=tuple(recs)))
    return ReportSnapshot(
        group_slug=group.slug, group_name=group.name, profile=profile, draft=settings.finalised_at is None,
        front=front_matter(settings, group, report_logo(db, group)), roster=_roster(db, group),
        sections=tuple(sections),
        attribution_mode=group.attribution_mode, consensus_rule=group.consensus_rule,
        open_items=0 if public else open_items)
