"""The group archive: one JSON document holding a whole working group, in the format of docs/archive-format.md.

``export_archive`` reads a group into plain, JSON-ready data; ``validate_archive`` checks a whole document and
names every bad field by its JSON path (``sections[2].recommendations[0].revisions[3].rev_no``);
``import_archive`` writes a checked document as a new group in the caller's transaction, all or nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from wg.features.accounts.operations import create_user, find_user_by_email, validate_profile
from wg.features.audit.log import record
from wg.features.drafting.operations import MAX_COMMENT, MAX_TEXT, MAX_TITLE
from wg.features.drafting.operations import MAX_NOTE as MAX_REVISION_NOTE
from wg.features.drafting.targets import RECOMMENDATION, SECTION
from wg.features.review.consensus import PositionFact, Stance, evaluate
from wg.features.review.operations import MAX_NOTE as MAX_REVIEW_NOTE
from wg.features.review.operations import MAX_POSITION_TEXT
from wg.lib.errors import ValidationFailed
from wg.lib.fields import check_country, check_email, check_role, check_slug, normalise_email
from wg.lib.images import MAX_IMAGE_BYTES, PNG, SVG, CleanImage, ImageRejected, clean_logo
from wg.lib.svg_raster import with_png_fallback
from wg.models import (
    AttributionMode,
    Comment,
    ConsensusRule,
    GroupState,
    Membership,
    Mention,
    Position,
    Recommendation,
    ReportLogo,
    ReportSettings,
    ReviewEvent,
    Revision,
    Role,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
    utcnow,
)

FORMAT_NAME = "wg-archive"
FORMAT_VERSION = 2
# Version 2 added the report's back matter, the advisers' heading and the logo (docs/archive-format.md); version-1
# documents are still read.
READABLE_VERSIONS = (1, 2)
# Integer columns are 32-bit on PostgreSQL.
MAX_INT = 2_147_483_647
# The same limits the front-matter form applies (wg.features.report.controllers, which this module must not import).
MAX_FRONT_LINE = 300
MAX_DATE_LINE = 100
MAX_FRONT_TEXT = 20_000
MAX_ADVISERS_HEADING = 60
DEFAULT_ADVISERS_HEADING = "Advisers"
# Base64 of the largest logo the form accepts.
MAX_LOGO_BASE64 = (MAX_IMAGE_BYTES + 2) // 3 * 4
MAX_MANDATE = 5000
MAX_TARGET = 40
MAX_FINGERPRINT = 2000
PAPER_SIZES = ("A4", "Letter")
EVENT_KINDS = ("submit", "approve", "request-changes", "reopen")
DECISION_KINDS = ("approve", "request-changes", "reopen")
SIGNATORY_ROLES = (Role.MEMBER.value, Role.CO_CHAIR.value)
# What wg writes as a section approval's fingerprint (wg.features.review.state.section_fingerprint).
_FINGERPRINT_PART = re.compile(r"R(\d+)\.(\d+)(w?)(?:o(\d+))?")
STANCES = tuple(s.value for s in Stance)
NEEDS_TEXT = {Stance.RESERVATION.value, Stance.OBJECT.value}

# C0 controls but tab and newlines, DEL, C1 controls, surrogates and the non-characters U+FFFE/U+FFFF: the same set
# every form of wg strips (wg.lib.markdown.clean_text). An archive carrying one is damaged, so it is refused.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_MISSING: Any = object()


# --- The checked document -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDoc:
    """Someone the archive names, identified by e-mail, with the profile fields of their account."""

    email: str
    display_name: str
    native_name: str
    country: str
    affiliation: str
    sector: str
    time_zone: str
    consents_to_attribution: bool


@dataclass(frozen=True)
class MemberDoc:
    """A membership of the group."""

    person: PersonDoc
    role: str
    listed_in_report: bool
    joined_at: dt.datetime | None


@dataclass(frozen=True)
class SubgroupDoc:
    """A subgroup; ``members`` includes the chairs."""

    name: str
    mandate: str
    created_at: dt.datetime | None
    chairs: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class RevisionDoc:
    """One saved version of a section or recommendation."""

    rev_no: int
    parent_rev_no: int | None
    merged_rev_no: int | None
    restored_from: int | None
    author: str | None
    created_at: dt.datetime
    title: str
    text: str
    rationale: str
    target: str
    note: str


@dataclass(frozen=True)
class ReviewEventDoc:
    """A submission or a chair's decision on one revision."""

    kind: str
    rev_no: int
    actor: str | None
    note: str
    deadline: dt.datetime | None
    fingerprint: str
    created_at: dt.datetime


@dataclass(frozen=True)
class CommentDoc:
    """A comment; ``parent`` is the index of an earlier comment of the same item."""

    parent: int | None
    paragraph: int | None
    rev_no: int | None
    author: str | None
    body: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class PositionDoc:
    """A member's position on a recommendation."""

    member: str
    stance: str
    text: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class RecommendationDoc:
    """A recommendation with its history, positions and comments."""

    number: int
    created_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None
    revisions: tuple[RevisionDoc, ...]
    review_events: tuple[ReviewEventDoc, ...]
    positions: tuple[PositionDoc, ...]
    comments: tuple[CommentDoc, ...]


@dataclass(frozen=True)
class SectionDoc:
    """A section with its history, comments and recommendations in report order."""

    subgroup: str | None
    created_at: dt.datetime | None
    revisions: tuple[RevisionDoc, ...]
    review_events: tuple[ReviewEventDoc, ...]
    comments: tuple[CommentDoc, ...]
    recommendations: tuple[RecommendationDoc, ...]


@dataclass(frozen=True)
class ReportDoc:
    """The report's front matter."""

    title: str
    subtitle: str
    series_line: str
    date_line: str
    acknowledgements: str
    foreword: str
    executive_summary: str
    disclaimer: str
    paper_size: str
    finalised_at: dt.datetime | None
    finalised_by: str | None
    updated_at: dt.datetime | None
    about_host: str = ""
    funders: str = ""
    advisers_heading: str = DEFAULT_ADVISERS_HEADING
    logo: CleanImage | None = None


@dataclass(frozen=True)
class GroupDoc:
    """The group's own fields."""

    slug: str
    name: str
    host_organisation: str
    countries: tuple[str, ...]
    attribution_mode: str
    consensus_rule: str
    state: str
    created_at: dt.datetime | None
    report: ReportDoc | None


@dataclass(frozen=True)
class ArchiveDoc:
    """A whole archive that passed every check."""

    group: GroupDoc
    members: tuple[MemberDoc, ...]
    former_members: tuple[PersonDoc, ...]
    subgroups: tuple[SubgroupDoc, ...]
    sections: tuple[SectionDoc, ...]


@dataclass(frozen=True)
class ImportResult:
    """What an import made: the group, the accounts it created (without passwords) and the rows per kind."""

    group: WorkingGroup
    new_accounts: tuple[str, ...]
    reused_accounts: tuple[str, ...]
    counts: dict[str, int]


# --- Export ---------------------------------------------------------------------------------------------------


def iso(value: dt.datetime | None) -> str | None:
    """A time as the archive writes it: ISO 8601 in UTC with microseconds and a ``Z``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _person(user: User) -> dict[str, Any]:
    return {"email": user.email, "display_name": user.display_name, "native_name": user.native_name,
            "country": user.country, "affiliation": user.affiliation, "sector": user.sector,
            "time_zone": user.time_zone, "consents_to_attribution": user.consents_to_attribution}


def export_archive(db: Session, group: WorkingGroup) -> dict[str, Any]:
    """The whole group as an archive document (plain data, ready for ``json.dumps``), in a fixed number of queries."""
    gid = group.id or 0
    memberships = db.exec(select(Membership, User).join(User, col(User.id) == col(Membership.user_id))
                          .where(Membership.group_id == gid).order_by(col(Membership.id))).all()
    subgroups = db.exec(select(Subgroup).where(Subgroup.group_id == gid)
                        .order_by(col(Subgroup.position), col(Subgroup.id))).all()
    subgroup_rows = db.exec(select(SubgroupMember).where(
        col(SubgroupMember.subgroup_id).in_([s.id for s in subgroups]))).all() if subgroups else []
    sections = db.exec(select(Section).where(Section.group_id == gid)
                       .order_by(col(Section.position), col(Section.id))).all()
    recommendations = db.exec(select(Recommendation).where(Recommendation.group_id == gid)
                              .order_by(col(Recommendation.position), col(Recommendation.id))).all()
    revisions = db.exec(select(Revision).where(Revision.group_id == gid).order_by(col(Revision.rev_no))).all()
    events = db.exec(select(ReviewEvent).where(ReviewEvent.group_id == gid).order_by(col(ReviewEvent.id))).all()
    comments = db.exec(select(Comment).where(Comment.group_id == gid).order_by(col(Comment.id))).all()
    mentions = db.exec(select(Mention).where(
        col(Mention.comment_id).in_([c.id for c in comments]))).all() if comments else []
    positions = db.exec(select(Position).where(Position.group_id == gid).order_by(col(Position.id))).all()
    report = db.exec(select(ReportSettings).where(ReportSettings.group_id == gid)).first()
    logo = db.exec(select(ReportLogo).where(ReportLogo.group_id == gid)).first() if report is not None else None

    # Everyone the history names: members first, then whoever else (removed members, administrators).
    users: dict[int, User] = {u.id or 0: u for _, u in memberships}
    named: set[int] = set()
    named.update(r.author_id for r in revisions if r.author_id)
    named.update(e.actor_id for e in events if e.actor_id)
    named.update(c.author_id for c in comments if c.author_id)
    named.update(c.resolved_by for c in comments if c.resolved_by)
    named.update(m.user_id for m in mentions)
    named.update(p.user_id for p in positions)
    named.update(r.withdrawn_by for r in recommendations if r.withdrawn_by)
    if report is not None and report.finalised_by:
        named.add(report.finalised_by)
    others = named - users.keys()
    former = db.exec(select(User).where(col(User.id).in_(others)).order_by(col(User.email))).all() if others else []
    users.update({u.id or 0: u for u in former})

    def email(user_id: int | None) -> str | None:
        user = users.get(user_id or 0)
        return user.email if user is not None else None

    subgroup_names = {s.id: s.name for s in subgroups}
    by_subgroup: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for row in subgroup_rows:
        if row.user_id in users:
            by_subgroup[row.subgroup_id].append((users[row.user_id].email, row.is_chair))
    revs_of: dict[tuple[str, int], list[Revision]] = defaultdict(list)
    for rev in revisions:
        revs_of[(rev.target_type, rev.target_id)].append(rev)
    events_of: dict[tuple[str, int], list[ReviewEvent]] = defaultdict(list)
    for event in events:
        events_of[(event.target_type, event.target_id)].append(event)
    comments_of: dict[tuple[str, int], list[Comment]] = defaultdict(list)
    for comment in comments:
        comments_of[(comment.target_type, comment.target_id)].append(comment)
    mentions_of: dict[int, list[str]] = defaultdict(list)
    for mention in mentions:
        if (address := email(mention.user_id)) is not None:
            mentions_of[mention.comment_id].append(address)
    positions_of: dict[int, list[Position]] = defaultdict(list)
    for position in positions:
        positions_of[position.recommendation_id].append(position)
    recs_of: dict[int, list[Recommendation]] = defaultdict(list)
    for rec in recommendations:
        recs_of[rec.section_id].append(rec)

    def revision_list(kind: str, target_id: int) -> list[dict[str, Any]]:
        out = []
        for rev in revs_of[(kind, target_id)]:
            item: dict[str, Any] = {"rev_no": rev.rev_no, "parent_rev_no": rev.parent_rev_no,
                                    "merged_rev_no": rev.merged_rev_no, "restored_from": rev.restored_from,
                                    "author": email(rev.author_id), "created_at": iso(rev.created_at),
                                    "title": rev.title, "text": rev.text}
            if kind == RECOMMENDATION:
                item["rationale"] = rev.rationale
                item["target"] = rev.target
            item["note"] = rev.note
            out.append(item)
        return out

    def event_list(kind: str, target_id: int) -> list[dict[str, Any]]:
        return [{"kind": e.kind, "rev_no": e.rev_no, "actor": email(e.actor_id), "note": e.note,
                 "deadline": iso(e.deadline), "fingerprint": e.fingerprint, "created_at": iso(e.created_at)}
                for e in events_of[(kind, target_id)]]

    def comment_list(kind: str, target_id: int) -> list[dict[str, Any]]:
        items = comments_of[(kind, target_id)]
        index = {c.id: i for i, c in enumerate(items)}
        return [{"parent": index.get(c.parent_id) if c.parent_id is not None else None,
                 "paragraph": c.paragraph, "rev_no": c.rev_no, "author": email(c.author_id), "body": c.body,
                 "created_at": iso(c.created_at), "resolved_at": iso(c.resolved_at),
                 "resolved_by": email(c.resolved_by), "mentions": sorted(mentions_of[c.id or 0])}
                for c in items]

    report_data: dict[str, Any] | None = None
    if report is not None:
        report_data = {"title": report.title, "subtitle": report.subtitle, "series_line": report.series_line,
                       "date_line": report.date_line, "acknowledgements": report.acknowledgements,
                       "foreword": report.foreword, "executive_summary": report.executive_summary,
                       "disclaimer": report.disclaimer, "paper_size": report.paper_size,
                       "finalised_at": iso(report.finalised_at), "finalised_by": email(report.finalised_by),
                       "updated_at": iso(report.updated_at), "about_host": report.about_host,
                       "funders": report.funders, "advisers_heading": report.advisers_heading,
                       "logo": None if logo is None else {
                           "media_type": logo.media_type, "width_px": logo.width_px, "height_px": logo.height_px,
                           "data_base64": base64.b64encode(logo.data).decode("ascii")}}
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": iso(utcnow()),
        "group": {"slug": group.slug, "name": group.name, "host_organisation": group.host_organisation,
                  "countries": list(group.countries), "attribution_mode": group.attribution_mode,
                  "consensus_rule": group.consensus_rule, "state": group.state,
                  "created_at": iso(group.created_at), "report": report_data},
        "members": [{**_person(user), "role": m.role, "listed_in_report": m.listed_in_report,
                     "joined_at": iso(m.created_at)} for m, user in memberships],
        "former_members": [_person(user) for user in former],
        "subgroups": [{"name": s.name, "mandate": s.mandate, "created_at": iso(s.created_at),
                       "chairs": sorted(e for e, chair in by_subgroup[s.id or 0] if chair),
                       "members": sorted(e for e, _ in by_subgroup[s.id or 0])} for s in subgroups],
        "sections": [{
            "subgroup": subgroup_names.get(s.subgroup_id) if s.subgroup_id is not None else None,
            "created_at": iso(s.created_at),
            "revisions": revision_list(SECTION, s.id or 0),
            "review_events": event_list(SECTION, s.id or 0),
            "comments": comment_list(SECTION, s.id or 0),
            "recommendations": [{
                "number": r.number, "key": r.key, "created_at": iso(r.created_at),
                "withdrawn_at": iso(r.withdrawn_at), "withdrawn_by": email(r.withdrawn_by),
                "revisions": revision_list(RECOMMENDATION, r.id or 0),
                "review_events": event_list(RECOMMENDATION, r.id or 0),
                "positions": [{"member": email(p.user_id), "stance": p.stance, "text": p.text,
                               "updated_at": iso(p.updated_at)} for p in positions_of[r.id or 0]],
                "comments": comment_list(RECOMMENDATION, r.id or 0),
            } for r in recs_of[s.id or 0]],
        } for s in sections],
    }


# --- Validation -----------------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Reader:
    """Reads fields out of untrusted JSON, recording one message per bad path and carrying on."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def obj(self, value: Any, path: str, fields: Iterable[str]) -> dict[str, Any]:
        """The object at ``path`` (an empty one if it is not an object); unknown fields are errors."""
        if not isinstance(value, dict):
            self.fail(path or "$", f"Expected an object, got {_kind(value)}.")
            return {}
        allowed = set(fields)
        for key in value:
            if key not in allowed:
                self.fail(_at(path, str(key)), "Unknown field.")
        return value

    def _get(self, o: dict[str, Any], key: str, path: str, required: bool) -> Any:
        if key in o:
            return o[key]
        if required:
            self.fail(_at(path, key), "Required field is missing.")
        return _MISSING

    def string(self, o: dict[str, Any], key: str, path: str, limit: int, *, required: bool = False,
               nonempty: bool = False, one_line: bool = True, nullable: bool = False) -> Any:
        """A string (``""`` or None when absent or bad); text fields may hold line breaks (CR LF becomes LF)."""
        value = self._get(o, key, path, required)
        where = _at(path, key)
        if value is _MISSING:
            return None if nullable else ""
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.fail(where, f"Expected a string{' or null' if nullable else ''}, got {_kind(value)}.")
            return None if nullable else ""
        if not one_line:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if match := _CONTROL.search(value):
            self.fail(where, f"Contains the control character U+{ord(match.group()):04X} at character "
                             f"{match.start() + 1}; remove it.")
        elif one_line and _LINE_BREAK.search(value):
            self.fail(where, "Must be one line: no line breaks or tabs.")
        if len(value) > limit:
            self.fail(where, f"Must be {limit:,} characters or fewer (it has {len(value):,}).")
        if nonempty and not value.strip():
            self.fail(where, "Must not be empty.")
        return value

    def integer(self, o: dict[str, Any], key: str, path: str, *, required: bool = True, nullable: bool = False,
                minimum: int = 1) -> int | None:
        """A whole number from ``minimum`` to 2,147,483,647."""
        value = self._get(o, key, path, required)
        if value is _MISSING or (value is None and nullable):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(_at(path, key), f"Expected a whole number{' or null' if nullable else ''}, got {_kind(value)}.")
            return None
        if not minimum <= value <= MAX_INT:
            self.fail(_at(path, key), f"Must be a whole number from {minimum} to {MAX_INT:,}.")
            return None
        return value

    def boolean(self, o: dict[str, Any], key: str, path: str, default: bool) -> bool:
        """true or false (``default`` when absent)."""
        value = self._get(o, key, path, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(_at(path, key), f"Expected true or false, got {_kind(value)}.")
            return default
        return value

    def when(self, o: dict[str, Any], key: str, path: str, *, required: bool = True, nullable: bool = False
             ) -> dt.datetime | None:
        """An ISO 8601 time with a UTC offset, returned in UTC."""
        value = self._get(o, key, path, required)
        if value is _MISSING or (value is None and nullable):
            return None
        where = _at(path, key)
        if not isinstance(value, str):
            self.fail(where, f"Expected a time as a string{' or null' if nullable else ''}, got {_kind(value)}.")
            return None
        try:
            parsed = dt.datetime.fromisoformat(value) if len(value) <= 40 else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail(where, "Expected an ISO 8601 time such as 2026-03-01T09:30:00.000000Z.")
            return None
        if parsed.tzinfo is None:
            self.fail(where, "The time needs its UTC offset, such as Z or +09:00.")
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            self.fail(where, "The time is out of range.")
            return None

    def array(self, o: dict[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
        """A JSON array (empty when absent or bad)."""
        value = self._get(o, key, path, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(_at(path, key), f"Expected an array, got {_kind(value)}.")
            return []
        return value

    def choice(self, o: dict[str, Any], key: str, path: str, options: Iterable[str], *, required: bool = True,
               default: str = "") -> str:
        """One of ``options``."""
        allowed = list(options)
        value = self.string(o, key, path, 100, required=required)
        if key not in o:
            return default
        if isinstance(o[key], str) and value not in allowed:
            self.fail(_at(path, key), f"Must be one of: {', '.join(allowed)}.")
        return value if isinstance(value, str) else default

    def email(self, value: Any, where: str, nullable: bool = False) -> str | None:
        """A well-formed e-mail address, lower-cased."""
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.fail(where, f"Expected an e-mail address{' or null' if nullable else ''}, got {_kind(value)}.")
            return None
        address = normalise_email(value)
        if _CONTROL.search(value) or check_email(address):
            self.fail(where, "Expected an e-mail address in the right format, like name@example.org.")
            return None
        return address


_PERSON_FIELDS = ("email", "display_name", "native_name", "country", "affiliation", "sector", "time_zone",
                  "consents_to_attribution")
_MEMBER_FIELDS = (*_PERSON_FIELDS, "role", "listed_in_report", "joined_at")
_GROUP_FIELDS = ("slug", "name", "host_organisation", "countries", "attribution_mode", "consensus_rule", "state",
                 "created_at", "report")
_REPORT_LINES = {"title": MAX_FRONT_LINE, "subtitle": MAX_FRONT_LINE, "series_line": MAX_FRONT_LINE,
                 "date_line": MAX_DATE_LINE}
_REPORT_TEXTS = ("acknowledgements", "foreword", "executive_summary", "disclaimer")
_REPORT_FIELDS = (*_REPORT_LINES, *_REPORT_TEXTS, "paper_size", "finalised_at", "finalised_by", "updated_at")
_REPORT_FIELDS_V2 = (*_REPORT_FIELDS, "about_host", "funders", "advisers_heading", "logo")
_LOGO_FIELDS = ("media_type", "width_px", "height_px", "data_base64")
_REVISION_FIELDS = ("rev_no", "parent_rev_no", "merged_rev_no", "restored_from", "author", "created_at", "title",
                    "text", "note")
_EVENT_FIELDS = ("kind", "rev_no", "actor", "note", "deadline", "fingerprint", "created_at")
_COMMENT_FIELDS = ("parent", "paragraph", "rev_no", "author", "body", "created_at", "resolved_at", "resolved_by",
                   "mentions")
_POSITION_FIELDS = ("member", "stance", "text", "updated_at")
_RECOMMENDATION_FIELDS = ("number", "key", "created_at", "withdrawn_at", "withdrawn_by", "revisions",
                          "review_events", "positions", "comments")
_SECTION_FIELDS = ("subgroup", "created_at", "revisions", "review_events", "comments", "recommendations")
_TOP_FIELDS = ("format", "version", "exported_at", "group", "members", "former_members", "subgroups", "sections")


class _Checker:
    """Validates one document; holds who is named so references can be checked as they are read."""

    def __init__(self) -> None:
        self.r = _Reader()
        self.people: dict[str, str] = {}  # e-mail -> path where that person is listed
        self.members: set[str] = set()
        self.subgroups: set[str] = set()
        self.numbers: dict[int, str] = {}
        # Without a readable list of people (or of subgroups), "not listed" would be said of every reference to a
        # broken entry: references are then left unchecked until the list itself is fixed.
        self.people_known = True
        self.subgroups_known = True
        self.version = FORMAT_VERSION

    # People ---------------------------------------------------------------------------------------------------

    def person(self, raw: Any, path: str, fields: tuple[str, ...]) -> tuple[dict[str, Any], PersonDoc]:
        r = self.r
        o = r.obj(raw, path, fields)
        if not isinstance(raw, dict):
            self.people_known = False
            return o, PersonDoc("", "", "", "", "", "", "UTC", False)
        address = r.email(o["email"], _at(path, "email")) if "email" in o else None
        if "email" not in o:
            r.fail(_at(path, "email"), "Required field is missing.")
        if address is None:
            self.people_known = False
        if address is not None:
            if address in self.people:
                r.fail(_at(path, "email"), f"This e-mail address is already listed at {self.people[address]}.")
            else:
                self.people[address] = path
        values = {"display_name": r.string(o, "display_name", path, 120, required=True, nonempty=True),
                  "native_name": r.string(o, "native_name", path, 120),
                  "country": r.string(o, "country", path, 100),
                  "affiliation": r.string(o, "affiliation", path, 200),
                  "sector": r.string(o, "sector", path, 40),
                  "time_zone": r.string(o, "time_zone", path, 64)}
        consent = r.boolean(o, "consents_to_attribution", path, False)
        profile_errors: dict[str, str] = {}
        try:
            profile = validate_profile({**values, "consents_to_attribution": consent}, prefix=_at(path, ""),
                                       country_required=False)
        except ValidationFailed as exc:
            profile_errors = exc.errors
        for where, message in profile_errors.items():
            r.fail(where, message)
        if profile_errors:
            return o, PersonDoc(address or "", "", "", "", "", "", "UTC", consent)
        return o, PersonDoc(email=address or "", consents_to_attribution=consent, display_name=profile.display_name,
                            native_name=profile.native_name, country=profile.country,
                            affiliation=profile.affiliation, sector=profile.sector, time_zone=profile.time_zone)

    def member(self, raw: Any, path: str) -> MemberDoc:
        r = self.r
        o, person = self.person(raw, path, _MEMBER_FIELDS)
        if not isinstance(raw, dict):
            return MemberDoc(person, "", False, None)
        if person.email:
            self.members.add(person.email)
        role = r.string(o, "role", path, 20, required=True)
        if "role" in o and isinstance(o["role"], str) and (problem := check_role(role)):
            r.fail(_at(path, "role"), problem)
        listed = r.boolean(o, "listed_in_report", path, role != Role.OBSERVER.value)
        return MemberDoc(person=person, role=role, listed_in_report=listed,
                         joined_at=r.when(o, "joined_at", path, required=False))

    def reference(self, value: Any, where: str, *, nullable: bool = True, members_only: bool = False) -> str | None:
        """An e-mail address that must name someone listed in ``members`` (or ``former_members``)."""
        address = self.r.email(value, where, nullable=nullable)
        if address is None or not self.people_known:
            return address
        if members_only and address not in self.members:
            self.r.fail(where, f"{address} is not listed in members.")
        elif address not in self.people:
            self.r.fail(where, f"{address} is not listed in members or former_members.")
        return address

    def ref_field(self, o: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        if key not in o:
            if required:
                self.r.fail(_at(path, key), "Required field is missing.")
            return None
        return self.reference(o[key], _at(path, key))

    # Group ----------------------------------------------------------------------------------------------------

    def group(self, raw: Any, path: str) -> GroupDoc:
        r = self.r
        o = r.obj(raw, path, _GROUP_FIELDS)
        if not isinstance(raw, dict):
            return GroupDoc("", "", "", (), "", "", "", None, None)
        slug = r.string(o, "slug", path, 60, required=True)
        if isinstance(o.get("slug"), str) and (problem := check_slug(slug)):
            r.fail(_at(path, "slug"), problem)
        countries: list[str] = []
        raw_countries = r.array(o, "countries", path)
        if "countries" in o and isinstance(o["countries"], list) and not raw_countries:
            r.fail(_at(path, "countries"), "List at least one participating country.")
        for i, code in enumerate(raw_countries):
            where = _at(_at(path, "countries"), i)
            if not isinstance(code, str):
                r.fail(where, f"Expected a country code as a string, got {_kind(code)}.")
            elif problem := check_country(code.strip()):
                r.fail(where, problem)
            elif code.strip().upper() in countries:
                r.fail(where, f"{code.strip().upper()} is listed twice.")
            else:
                countries.append(code.strip().upper())
        report = None
        if "report" in o and o["report"] is not None:
            report = self.report(o["report"], _at(path, "report"))
        return GroupDoc(
            slug=slug, countries=tuple(countries), report=report,
            name=r.string(o, "name", path, 200, required=True, nonempty=True),
            host_organisation=r.string(o, "host_organisation", path, 200),
            attribution_mode=r.choice(o, "attribution_mode", path, [m.value for m in AttributionMode]),
            consensus_rule=r.choice(o, "consensus_rule", path, [c.value for c in ConsensusRule]),
            state=r.choice(o, "state", path, [s.value for s in GroupState], required=False,
                           default=GroupState.ACTIVE.value),
            created_at=r.when(o, "created_at", path, required=False))

    def report(self, raw: Any, path: str) -> ReportDoc:
        r = self.r
        o = r.obj(raw, path, _REPORT_FIELDS if self.version == 1 else _REPORT_FIELDS_V2)
        lines = {k: r.string(o, k, path, limit) for k, limit in _REPORT_LINES.items()}
        texts = {k: r.string(o, k, path, MAX_FRONT_TEXT, one_line=False) for k in _REPORT_TEXTS}
        finalised_at = r.when(o, "finalised_at", path, required=False, nullable=True)
        finalised_by = self.ref_field(o, "finalised_by", path, required=False)
        if finalised_by and finalised_at is None:
            r.fail(_at(path, "finalised_by"), "Only a finalised report (finalised_at set) has finalised_by.")
        heading = r.string(o, "advisers_heading", path, MAX_ADVISERS_HEADING) or DEFAULT_ADVISERS_HEADING
        return ReportDoc(**lines, **texts,
                         paper_size=r.choice(o, "paper_size", path, PAPER_SIZES, required=False, default="A4"),
                         finalised_at=finalised_at, finalised_by=finalised_by,
                         updated_at=r.when(o, "updated_at", path, required=False),
                         about_host=r.string(o, "about_host", path, MAX_FRONT_TEXT, one_line=False),
                         funders=r.string(o, "funders", path, MAX_FRONT_TEXT, one_line=False),
                         advisers_heading=heading,
                         logo=self.logo(o["logo"], _at(path, "logo")) if o.get("logo") is not None else None)

    def logo(self, raw: Any, path: str) -> CleanImage | None:
        """The cover logo: an archive is untrusted, so its image passes the same gate as an upload."""
        r = self.r
        o = r.obj(raw, path, _LOGO_FIELDS)
        media_type = r.choice(o, "media_type", path, (PNG, SVG))
        encoded = r.string(o, "data_base64", path, MAX_LOGO_BASE64, required=True)
        sizes = {k: r.integer(o, k, path, required=False) for k in ("width_px", "height_px")}
        if not isinstance(raw, dict) or not isinstance(o.get("data_base64"), str) or len(encoded) > MAX_LOGO_BASE64:
            return None
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            r.fail(_at(path, "data_base64"), "Expected the image's bytes in standard base64.")
            return None
        try:
            image = with_png_fallback(clean_logo(data))
        except ImageRejected as problem:
            r.fail(_at(path, "data_base64"), str(problem))
            return None
        if media_type and image.media_type != media_type:
            r.fail(_at(path, "media_type"), f"The image is {image.media_type}, not {media_type}.")
        for key, value in (("width_px", image.width_px), ("height_px", image.height_px)):
            if sizes[key] is not None and sizes[key] != value:
                r.fail(_at(path, key), f"The image is {value} pixels, not {sizes[key]}.")
        return image

    def subgroup(self, raw: Any, path: str) -> SubgroupDoc:
        r = self.r
        o = r.obj(raw, path, ("name", "mandate", "created_at", "chairs", "members"))
        if not isinstance(raw, dict):
            self.subgroups_known = False
            return SubgroupDoc("", "", None, (), ())
        name = r.string(o, "name", path, 200, required=True, nonempty=True)
        if isinstance(o.get("name"), str):
            if name in self.subgroups:
                r.fail(_at(path, "name"), "Another subgroup already has this name.")
            self.subgroups.add(name)
        else:
            self.subgroups_known = False
        lists: dict[str, list[str]] = {}
        for key in ("members", "chairs"):
            seen: list[str] = []
            for i, value in enumerate(r.array(o, key, path, required=key == "members")):
                where = _at(_at(path, key), i)
                address = self.reference(value, where, nullable=False, members_only=True)
                if address is not None and address in seen:
                    r.fail(where, f"{address} is listed twice.")
                elif address is not None:
                    seen.append(address)
            lists[key] = seen
        for i, address in enumerate(lists["chairs"]):
            if address not in lists["members"]:
                r.fail(_at(_at(path, "chairs"), i), f"{address} chairs the subgroup but is not in its members.")
        return SubgroupDoc(name=name, mandate=r.string(o, "mandate", path, MAX_MANDATE, one_line=False),
                           created_at=r.when(o, "created_at", path, required=False),
                           chairs=tuple(lists["chairs"]), members=tuple(lists["members"]))

    # Drafts ---------------------------------------------------------------------------------------------------

    def revisions(self, o: dict[str, Any], path: str, kind: str) -> tuple[RevisionDoc, ...]:
        r = self.r
        fields = (*_REVISION_FIELDS, "rationale", "target") if kind == RECOMMENDATION else _REVISION_FIELDS
        items = r.array(o, "revisions", path)
        if "revisions" in o and isinstance(o["revisions"], list) and not items:
            r.fail(_at(path, "revisions"), "Needs at least one revision.")
        out: list[RevisionDoc] = []
        for i, raw in enumerate(items):
            where = _at(_at(path, "revisions"), i)
            ro = r.obj(raw, where, fields)
            if not isinstance(raw, dict):
                # Keep its place, so the revisions after it are not misnumbered.
                out.append(RevisionDoc(i + 1, None, None, None, None, utcnow(), "", "", "", "", ""))
                continue
            rev_no = r.integer(ro, "rev_no", where)
            if rev_no is not None and rev_no != i + 1:
                r.fail(_at(where, "rev_no"), f"Revisions are numbered 1, 2, 3… in order: expected {i + 1}, "
                                             f"got {rev_no}.")
            links: dict[str, int | None] = {}
            for key in ("parent_rev_no", "merged_rev_no", "restored_from"):
                value = r.integer(ro, key, where, required=False, nullable=True)
                if value is not None and value > i:
                    r.fail(_at(where, key), f"Must name an earlier revision (1 to {i}), got {value}."
                           if i else "The first revision has no earlier revision to name.")
                links[key] = value
            out.append(RevisionDoc(
                rev_no=i + 1, **links, author=self.ref_field(ro, "author", where),
                created_at=r.when(ro, "created_at", where) or utcnow(),
                title=r.string(ro, "title", where, MAX_TITLE, required=True, nonempty=True),
                text=r.string(ro, "text", where, MAX_TEXT, required=True, one_line=False),
                rationale=r.string(ro, "rationale", where, MAX_TEXT, one_line=False),
                target=r.string(ro, "target", where, MAX_TARGET),
                note=r.string(ro, "note", where, MAX_REVISION_NOTE)))
        return tuple(out)

    def events(self, o: dict[str, Any], path: str, last_rev: int) -> tuple[ReviewEventDoc, ...]:
        r = self.r
        out: list[ReviewEventDoc] = []
        for i, raw in enumerate(r.array(o, "review_events", path, required=False)):
            where = _at(_at(path, "review_events"), i)
            eo = r.obj(raw, where, _EVENT_FIELDS)
            if not isinstance(raw, dict):
                continue
            rev_no = r.integer(eo, "rev_no", where)
            if rev_no is not None and rev_no > last_rev:
                r.fail(_at(where, "rev_no"), f"No revision {rev_no} here (the revisions go to {last_rev}).")
            out.append(ReviewEventDoc(
                kind=r.choice(eo, "kind", where, EVENT_KINDS), rev_no=rev_no or 1,
                actor=self.ref_field(eo, "actor", where),
                note=r.string(eo, "note", where, MAX_REVIEW_NOTE, one_line=False),
                deadline=r.when(eo, "deadline", where, required=False, nullable=True),
                fingerprint=r.string(eo, "fingerprint", where, MAX_FINGERPRINT),
                created_at=r.when(eo, "created_at", where) or utcnow()))
        return tuple(out)

    def comments(self, o: dict[str, Any], path: str, last_rev: int) -> tuple[CommentDoc, ...]:
        r = self.r
        out: list[CommentDoc] = []
        for i, raw in enumerate(r.array(o, "comments", path, required=False)):
            where = _at(_at(path, "comments"), i)
            co = r.obj(raw, where, _COMMENT_FIELDS)
            if not isinstance(raw, dict):
                continue
            parent = r.integer(co, "parent", where, required=False, nullable=True, minimum=0)
            if parent is not None and parent >= i:
                r.fail(_at(where, "parent"), "A reply's parent must be the index of an earlier comment of the "
                                             f"same item (0 to {i - 1})." if i else
                       "The first comment of an item cannot be a reply.")
            rev_no = r.integer(co, "rev_no", where, required=False, nullable=True)
            if rev_no is not None and rev_no > last_rev:
                r.fail(_at(where, "rev_no"), f"No revision {rev_no} here (the revisions go to {last_rev}).")
            resolved_at = r.when(co, "resolved_at", where, required=False, nullable=True)
            resolved_by = self.ref_field(co, "resolved_by", where, required=False)
            if resolved_by and resolved_at is None:
                r.fail(_at(where, "resolved_by"), "Only a resolved comment (resolved_at set) has resolved_by.")
            mentions: list[str] = []
            for j, value in enumerate(r.array(co, "mentions", where, required=False)):
                address = self.reference(value, _at(_at(where, "mentions"), j), nullable=False)
                if address is not None and address not in mentions:
                    mentions.append(address)
            out.append(CommentDoc(
                parent=parent, rev_no=rev_no, resolved_at=resolved_at, resolved_by=resolved_by,
                mentions=tuple(mentions),
                paragraph=r.integer(co, "paragraph", where, required=False, nullable=True),
                author=self.ref_field(co, "author", where),
                body=r.string(co, "body", where, MAX_COMMENT, required=True, nonempty=True, one_line=False),
                created_at=r.when(co, "created_at", where) or utcnow()))
        return tuple(out)

    def positions(self, o: dict[str, Any], path: str) -> tuple[PositionDoc, ...]:
        r = self.r
        out: list[PositionDoc] = []
        seen: set[str] = set()
        for i, raw in enumerate(r.array(o, "positions", path, required=False)):
            where = _at(_at(path, "positions"), i)
            po = r.obj(raw, where, _POSITION_FIELDS)
            if not isinstance(raw, dict):
                continue
            member = self.ref_field(po, "member", where)
            if "member" in po and po["member"] is None:
                r.fail(_at(where, "member"), "Expected an e-mail address, got null.")
            if member is not None:
                if member in seen:
                    r.fail(_at(where, "member"), f"{member} already has a position on this recommendation.")
                seen.add(member)
            stance = r.choice(po, "stance", where, STANCES)
            text = r.string(po, "text", where, MAX_POSITION_TEXT, one_line=False)
            if stance in NEEDS_TEXT and not text.strip():
                r.fail(_at(where, "text"), f"A{'n' if stance == 'object' else ''} {stance} must say what it is: "
                                           "it is printed as an additional view.")
            elif stance in STANCES and stance not in NEEDS_TEXT and text:
                r.fail(_at(where, "text"), "Only a reservation or an objection carries text.")
            out.append(PositionDoc(member=member or "", stance=stance, text=text,
                                   updated_at=r.when(po, "updated_at", where) or utcnow()))
        return tuple(out)

    def recommendation(self, raw: Any, path: str) -> RecommendationDoc | None:
        r = self.r
        o = r.obj(raw, path, _RECOMMENDATION_FIELDS)
        if not isinstance(raw, dict):
            return None
        number = r.integer(o, "number", path)
        if number is not None:
            if number in self.numbers:
                r.fail(_at(path, "number"), f"R-{number} is already used at {self.numbers[number]}.")
            else:
                self.numbers[number] = path
        key = r.string(o, "key", path, 20)
        if key and number is not None and key != f"R-{number}":
            r.fail(_at(path, "key"), f"The key of number {number} is R-{number}.")
        withdrawn_at = r.when(o, "withdrawn_at", path, required=False, nullable=True)
        withdrawn_by = self.ref_field(o, "withdrawn_by", path, required=False)
        if withdrawn_by and withdrawn_at is None:
            r.fail(_at(path, "withdrawn_by"), "Only a withdrawn recommendation (withdrawn_at set) has withdrawn_by.")
        revisions = self.revisions(o, path, RECOMMENDATION)
        return RecommendationDoc(
            number=number or 0, created_at=r.when(o, "created_at", path, required=False),
            withdrawn_at=withdrawn_at, withdrawn_by=withdrawn_by, revisions=revisions,
            review_events=self.events(o, path, len(revisions)), positions=self.positions(o, path),
            comments=self.comments(o, path, len(revisions)))

    def section(self, raw: Any, path: str) -> SectionDoc | None:
        r = self.r
        o = r.obj(raw, path, _SECTION_FIELDS)
        if not isinstance(raw, dict):
            return None
        subgroup = r.string(o, "subgroup", path, 200, nullable=True)
        if isinstance(subgroup, str) and self.subgroups_known and subgroup not in self.subgroups:
            r.fail(_at(path, "subgroup"), f"No subgroup named “{subgroup[:200]}” in subgroups.")
        revisions = self.revisions(o, path, SECTION)
        recs = [self.recommendation(item, _at(_at(path, "recommendations"), i))
                for i, item in enumerate(r.array(o, "recommendations", path, required=False))]
        return SectionDoc(subgroup=subgroup, created_at=r.when(o, "created_at", path, required=False),
                          revisions=revisions, review_events=self.events(o, path, len(revisions)),
                          comments=self.comments(o, path, len(revisions)),
                          recommendations=tuple(rec for rec in recs if rec is not None))

    # Document -------------------------------------------------------------------------------------------------

    def document(self, data: Any) -> ArchiveDoc:
        r = self.r
        o = r.obj(data, "", _TOP_FIELDS)
        if not isinstance(data, dict):
            raise ValidationFailed(r.errors)
        name = o.get("format", _MISSING)
        if name != FORMAT_NAME:
            r.fail("format", "Required field is missing: this is not a wg archive." if name is _MISSING
                   else f"Expected \"{FORMAT_NAME}\": this is not a wg archive.")
        version = o.get("version", _MISSING)
        if version is _MISSING:
            r.fail("version", "Required field is missing.")
        elif isinstance(version, bool) or version not in READABLE_VERSIONS:
            r.fail("version", f"This wg reads versions {', '.join(map(str, READABLE_VERSIONS))} of the archive "
                              f"format, not {version!r}.")
        if r.errors:
            # Another format or version: checking its fields against ours would only add noise.
            raise ValidationFailed(r.errors)
        self.version = version
        r.when(o, "exported_at", "", required=False)
        self.people_known = isinstance(o.get("members"), list) and isinstance(o.get("former_members", []), list)
        # A person entry without a readable e-mail turns reference checks off (see ``reference``).
        members = tuple(self.member(item, _at("members", i)) for i, item in enumerate(r.array(o, "members", "")))
        former = tuple(self.person(item, _at("former_members", i), _PERSON_FIELDS)[1]
                       for i, item in enumerate(r.array(o, "former_members", "", required=False)))
        group = self.group(o.get("group", _MISSING), "group") if "group" in o else None
        if group is None:
            r.fail("group", "Required field is missing.")
        subgroups = tuple(self.subgroup(item, _at("subgroups", i))
                          for i, item in enumerate(r.array(o, "subgroups", "", required=False)))
        sections = [self.section(item, _at("sections", i)) for i, item in enumerate(r.array(o, "sections", ""))]
        if r.errors or group is None:
            raise ValidationFailed(r.errors)
        doc = ArchiveDoc(group=group, members=members, former_members=former, subgroups=subgroups,
                         sections=tuple(s for s in sections if s is not None))
        # Only a well-formed document is checked as a history: on a broken one these checks would only add noise.
        _HistoryChecker(doc, r).check()
        if r.errors:
            raise ValidationFailed(r.errors)
        return doc


class _HistoryChecker:
    """Checks that a well-formed archive tells a possible review history (docs/archive-format.md, "History").

    wg keeps no history of roles, so a decision is checked against the roles the archive records: the decider must
    be a co-chair in ``members`` or a chair of the item's subgroup in ``subgroups``. A section approval's fingerprint
    must name revisions that exist. An approved recommendation's positions must meet the group's rule (positions
    are locked while it is approved, so the archive's positions are those it was approved on).
    """

    def __init__(self, doc: ArchiveDoc, reader: _Reader) -> None:
        self.doc = doc
        self.r = reader
        self.roles = {m.person.email: m.role for m in doc.members}
        self.countries = {p.email: p.country for p in [m.person for m in doc.members] + list(doc.former_members)}
        self.chairs = {s.name: set(s.chairs) for s in doc.subgroups}
        self.revisions = {rec.number: len(rec.revisions) for sec in doc.sections for rec in sec.recommendations}

    def check(self) -> None:
        for i, section in enumerate(self.doc.sections):
            path = _at("sections", i)
            self.events(section.review_events, path, section.subgroup, SECTION, len(section.revisions))
            for j, rec in enumerate(section.recommendations):
                rpath = _at(_at(path, "recommendations"), j)
                self.events(rec.review_events, rpath, section.subgroup, RECOMMENDATION, len(rec.revisions))
                self.outcome(rec, rpath)

    def events(self, events: tuple[ReviewEventDoc, ...], path: str, subgroup: str | None, kind: str,
               last_rev: int) -> None:
        approved = False
        for k, e in enumerate(events):
            where = _at(_at(path, "review_events"), k)
            if e.kind in DECISION_KINDS:
                self.decider(e, where, subgroup)
            if e.kind == "reopen":
                if kind == SECTION:
                    self.r.fail(_at(where, "kind"), "Only a recommendation is reopened; a section is approved again.")
                elif not approved:
                    self.r.fail(_at(where, "kind"), "Only an approved recommendation can be reopened: the event "
                                                    "before a reopening must be an approval.")
            approved = e.kind == "approve"
            if kind == SECTION and e.kind == "approve":
                self.fingerprint(e, where, last_rev)
            elif e.fingerprint:
                self.r.fail(_at(where, "fingerprint"), "Only a section's approval carries a fingerprint.")

    def decider(self, e: ReviewEventDoc, where: str, subgroup: str | None) -> None:
        verb = {"approve": "approves", "request-changes": "requests changes", "reopen": "reopens"}[e.kind]
        if e.actor is None:
            self.r.fail(_at(where, "actor"), f"A decision names who made it: only a chair {verb}.")
            return
        if self.roles.get(e.actor) == Role.CO_CHAIR.value:
            return
        if subgroup is not None and e.actor in self.chairs.get(subgroup, set()):
            return
        who = ("the co-chairs" if subgroup is None
               else f"the chairs of “{subgroup[:200]}” and the co-chairs")
        role = self.roles.get(e.actor)
        held = f"is {'an' if role in {'organizer', 'adviser', 'observer'} else 'a'} {role}" if role \
            else "is a former member"
        self.r.fail(_at(where, "actor"), f"{e.actor} {held} and does not chair this subgroup: only {who} decide "
                                         f"here, so this {e.kind} could not have been made.")

    def fingerprint(self, e: ReviewEventDoc, where: str, last_rev: int) -> None:
        if not e.fingerprint:
            return
        head, *parts = e.fingerprint.split(";")
        if not head.startswith("s") or not head[1:].isdigit():
            self.r.fail(_at(where, "fingerprint"), "Expected s<section revision>;R<n>.<revision>…, as wg writes it.")
            return
        problems: list[str] = []  # one message per path: every problem of the fingerprint in it
        if int(head[1:]) != e.rev_no:
            problems.append(f"It names section revision {head[1:]}, but the approval is of revision {e.rev_no}.")
        elif int(head[1:]) > last_rev:
            problems.append(f"It names section revision {head[1:]}; the revisions go to {last_rev}.")
        for part in parts:
            match = _FINGERPRINT_PART.fullmatch(part)
            if match is None:
                problems.append(f"“{part[:40]}” is not R<n>.<revision>, as wg writes it.")
                continue
            number, rev = int(match.group(1)), int(match.group(2))
            if number not in self.revisions:
                problems.append(f"It names R-{number}, which is not in the archive.")
            elif rev < 1 or rev > self.revisions[number]:
                problems.append(f"It names revision {rev} of R-{number}, which has revisions 1 to "
                                f"{self.revisions[number]}.")
        if problems:
            self.r.fail(_at(where, "fingerprint"), " ".join(problems))

    def outcome(self, rec: RecommendationDoc, path: str) -> None:
        if rec.withdrawn_at is not None or not rec.review_events:
            return
        last = rec.review_events[-1]
        if last.kind != "approve" or last.rev_no != len(rec.revisions):
            return
        g = self.doc.group
        submissions = [e for e in rec.review_events if e.kind in {"submit", "reopen"}]
        facts = [PositionFact(user_id=n, country=self.countries.get(p.member, ""), stance=Stance(p.stance),
                              text=p.text) for n, p in enumerate(rec.positions)]
        signatories = {m.person.country for m in self.doc.members if m.role in SIGNATORY_ROLES}
        verdict = evaluate(g.consensus_rule, g.countries, facts, signatories | {f.country for f in facts},
                           deadline=submissions[-1].deadline if submissions else None, now=last.created_at)
        if not verdict.met:
            self.r.fail(_at(path, "positions"), f"R-{rec.number} is approved, but its positions do not meet the "
                                                f"group's {g.consensus_rule} rule: " + " ".join(verdict.reasons))


def validate_archive(data: Any) -> ArchiveDoc:
    """Check a whole archive document; raise ValidationFailed naming the JSON path of every bad field."""
    return _Checker().document(data)


# --- Import ---------------------------------------------------------------------------------------------------


def import_archive(db: Session, data: Any, slug: str | None = None) -> WorkingGroup:
    """Check ``data`` whole, then create it as a new group (``slug`` renames it); the caller commits."""
    return restore_archive(db, validate_archive(data), slug).group


def restore_archive(db: Session, doc: ArchiveDoc, slug: str | None = None) -> ImportResult:
    """Write a checked archive as a new group in the caller's transaction.

    People are matched by e-mail: an existing account is reused as it is (its profile is the person's own and is
    not overwritten); anyone else gets a new account without a password, who cannot log in until given one.
    """
    where = "slug" if slug is not None else "group.slug"
    new_slug = (slug if slug is not None else doc.group.slug).strip().lower()
    if problem := check_slug(new_slug):
        raise ValidationFailed({where: problem})
    if db.exec(select(WorkingGroup).where(WorkingGroup.slug == new_slug)).first() is not None:
        raise ValidationFailed({where: f"A group with the address “{new_slug}” already exists; import it under "
                                       "another address (wg import FILE --slug NEW)."})
    users: dict[str, User] = {}
    new_accounts: list[str] = []
    reused: list[str] = []
    for person in [m.person for m in doc.members] + list(doc.former_members):
        user = find_user_by_email(db, person.email)
        if user is None:
            user = create_user(db, email=person.email, display_name=person.display_name, password=None,
                               country=person.country, native_name=person.native_name,
                               affiliation=person.affiliation, sector=person.sector, time_zone=person.time_zone)
            user.consents_to_attribution = person.consents_to_attribution
            db.add(user)
            new_accounts.append(person.email)
        else:
            reused.append(person.email)
        users[person.email] = user

    def uid(address: str | None) -> int | None:
        return users[address].id if address is not None else None

    g = doc.group
    group = WorkingGroup(slug=new_slug, name=g.name, host_organisation=g.host_organisation,
                         countries=list(g.countries), attribution_mode=g.attribution_mode,
                         consensus_rule=g.consensus_rule, state=g.state, created_at=g.created_at or utcnow())
    db.add(group)
    db.flush()
    gid = group.id or 0
    counts: dict[str, int] = defaultdict(int)
    if g.report is not None:
        rep = g.report
        db.add(ReportSettings(group_id=gid, title=rep.title, subtitle=rep.subtitle, series_line=rep.series_line,
                              date_line=rep.date_line, acknowledgements=rep.acknowledgements,
                              foreword=rep.foreword, executive_summary=rep.executive_summary,
                              disclaimer=rep.disclaimer, paper_size=rep.paper_size, finalised_at=rep.finalised_at,
                              finalised_by=uid(rep.finalised_by), updated_at=rep.updated_at or utcnow(),
                              about_host=rep.about_host, funders=rep.funders,
                              advisers_heading=rep.advisers_heading))
        if rep.logo is not None:
            db.add(ReportLogo(group_id=gid, media_type=rep.logo.media_type, data=rep.logo.data,
                              width_px=rep.logo.width_px, height_px=rep.logo.height_px,
                              png_fallback=rep.logo.png_fallback,
                              sha256=hashlib.sha256(rep.logo.data).hexdigest()))
    for m in doc.members:
        db.add(Membership(group_id=gid, user_id=uid(m.person.email) or 0, role=m.role,
                          listed_in_report=m.listed_in_report, created_at=m.joined_at or utcnow()))
        counts["members"] += 1
    subgroup_ids: dict[str, int] = {}
    for position, s in enumerate(doc.subgroups):
        subgroup = Subgroup(group_id=gid, name=s.name, mandate=s.mandate, position=position,
                            created_at=s.created_at or utcnow())
        db.add(subgroup)
        db.flush()
        subgroup_ids[s.name] = subgroup.id or 0
        for address in s.members:
            db.add(SubgroupMember(subgroup_id=subgroup.id or 0, user_id=uid(address) or 0,
                                  is_chair=address in s.chairs))
        counts["subgroups"] += 1

    def history(kind: str, target_id: int, revisions: tuple[RevisionDoc, ...], events: tuple[ReviewEventDoc, ...],
                comments: tuple[CommentDoc, ...]) -> None:
        for rev in revisions:
            db.add(Revision(group_id=gid, target_type=kind, target_id=target_id, rev_no=rev.rev_no,
                            parent_rev_no=rev.parent_rev_no, merged_rev_no=rev.merged_rev_no,
                            restored_from=rev.restored_from, author_id=uid(rev.author), created_at=rev.created_at,
                            title=rev.title, text=rev.text, rationale=rev.rationale if kind == RECOMMENDATION else "",
                            target=rev.target if kind == RECOMMENDATION else "", note=rev.note))
        for e in events:
            db.add(ReviewEvent(group_id=gid, target_type=kind, target_id=target_id, rev_no=e.rev_no, kind=e.kind,
                               actor_id=uid(e.actor), note=e.note, deadline=e.deadline, fingerprint=e.fingerprint,
                               created_at=e.created_at))
        made: list[int] = []
        for c in comments:
            comment = Comment(group_id=gid, target_type=kind, target_id=target_id,
                              parent_id=made[c.parent] if c.parent is not None else None, paragraph=c.paragraph,
                              rev_no=c.rev_no, author_id=uid(c.author), body=c.body, created_at=c.created_at,
                              resolved_at=c.resolved_at, resolved_by=uid(c.resolved_by))
            db.add(comment)
            db.flush()
            made.append(comment.id or 0)
            for address in c.mentions:
                db.add(Mention(comment_id=comment.id or 0, user_id=uid(address) or 0))
        counts["revisions"] += len(revisions)
        counts["review events"] += len(events)
        counts["comments"] += len(comments)

    for position, sd in enumerate(doc.sections):
        section = Section(group_id=gid, subgroup_id=subgroup_ids[sd.subgroup] if sd.subgroup is not None else None,
                          position=position, created_at=sd.created_at or utcnow())
        db.add(section)
        db.flush()
        history(SECTION, section.id or 0, sd.revisions, sd.review_events, sd.comments)
        counts["sections"] += 1
        for rec_position, rd in enumerate(sd.recommendations):
            rec = Recommendation(group_id=gid, section_id=section.id or 0, number=rd.number, position=rec_position,
                                 withdrawn_at=rd.withdrawn_at, withdrawn_by=uid(rd.withdrawn_by),
                                 created_at=rd.created_at or utcnow())
            db.add(rec)
            db.flush()
            history(RECOMMENDATION, rec.id or 0, rd.revisions, rd.review_events, rd.comments)
            for p in rd.positions:
                db.add(Position(group_id=gid, recommendation_id=rec.id or 0, user_id=uid(p.member) or 0,
                                stance=p.stance, text=p.text, updated_at=p.updated_at))
            counts["recommendations"] += 1
            counts["positions"] += len(rd.positions)
    db.flush()
    record(db, "group.imported", actor_id=None, group_id=gid, object_type="group", object_id=gid,
           slug=new_slug, archive_slug=g.slug, new_accounts=len(new_accounts))
    return ImportResult(group=group, new_accounts=tuple(new_accounts), reused_accounts=tuple(reused),
                        counts=dict(counts))
