"""The demo trilateral working group (fictional people), loaded by ``wg demo``; loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from wg.demo_content import SECTIONS, DemoComment, DemoRevision
from wg.features.accounts.operations import create_user, find_user_by_email
from wg.features.accounts.passwords import hash_password
from wg.features.drafting.operations import (
    add_comment,
    create_recommendation,
    create_section,
    read_draft,
    read_note,
    save_revision,
    set_resolved,
)
from wg.features.drafting.targets import Target, recommendation_target, section_target
from wg.features.groups.context import GroupContext, load_group_context
from wg.features.groups.operations import create_subgroup, set_subgroup_members
from wg.features.report.snapshot import DEFAULT_DISCLAIMER
from wg.features.review.operations import approve_section, decide_on_revision, record_position, submit_recommendation
from wg.models import (
    Membership,
    Notification,
    ReportSettings,
    Role,
    Subgroup,
    User,
    WorkingGroup,
    story_time,
    utcnow,
)

DEMO_SLUG = "trilateral"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for anyone trying the demo  # nosec B105
DEMO_ADMIN = "admin@example.org"


@dataclass(frozen=True)
class DemoPerson:
    """One fictional member of the demo group."""

    key: str
    name: str
    native: str
    country: str
    affiliation: str
    sector: str
    time_zone: str
    role: Role

    @property
    def email(self) -> str:
        """The demo login."""
        return f"{self.key}@example.org"


_TZ = {"US": "America/New_York", "JP": "Asia/Tokyo", "KR": "Asia/Seoul"}


def _p(key: str, name: str, native: str, country: str, affiliation: str, sector: str, role: Role) -> DemoPerson:
    return DemoPerson(key, name, native, country, affiliation, sector, _TZ[country], role)


PEOPLE: tuple[DemoPerson, ...] = (
    _p("organizer", "Grace Whitfield", "", "US", "Pacific Alliance Forum", "think tank", Role.ORGANIZER),
    _p("eleanor.hayes", "Eleanor Hayes", "", "US", "Potomac Institute for Asian Affairs", "think tank",
       Role.CO_CHAIR),
    _p("kenji.morimoto", "Kenji Morimoto", "森本健二", "JP", "Kansai University of Foreign Studies", "academia",
       Role.CO_CHAIR),
    _p("robert.lindqvist", "Robert Lindqvist", "", "US", "former Deputy Assistant Secretary (ret.)", "government",
       Role.ADVISER),
    _p("park.sungho", "Park Sung-ho", "박성호", "KR", "Seoul Academy of Diplomacy", "academia", Role.ADVISER),
    _p("takeshi.ono", "Takeshi Ono", "小野武", "JP", "serving official (observer)", "government", Role.OBSERVER),
    _p("maya.chen", "Maya Chen", "", "US", "Center for Alliance Studies", "think tank", Role.MEMBER),
    _p("james.holloway", "James Holloway", "", "US", "Congressional research staff", "government", Role.MEMBER),
    _p("priya.raman", "Priya Raman", "", "US", "Midwest State University", "academia", Role.MEMBER),
    _p("haruka.sato", "Haruka Sato", "佐藤遥", "JP", "Tokyo Institute of International Affairs", "academia",
       Role.MEMBER),
    _p("ren.nakamura", "Ren Nakamura", "中村蓮", "JP", "Japan Forum on Security Policy", "think tank", Role.MEMBER),
    _p("aoi.kobayashi", "Aoi Kobayashi", "小林葵", "JP", "Prefectural international affairs office", "government",
       Role.MEMBER),
    _p("kim.minjun", "Kim Min-jun", "김민준", "KR", "East Asia Peace Institute", "think tank", Role.MEMBER),
    _p("lee.seoyeon", "Lee Seo-yeon", "이서연", "KR", "Hanbit University", "academia", Role.MEMBER),
    _p("choi.jiwoo", "Choi Ji-woo", "최지우", "KR", "National Assembly research service", "government", Role.MEMBER),
    _p("jung.haeun", "Jung Ha-eun", "정하은", "KR", "Korea–Japan Business Council", "business", Role.MEMBER),
)

SUBGROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Domestic constraints",
     "Analyse the domestic politics in Washington, Tokyo and Seoul that limit trilateral cooperation, and propose "
     "ways leaders can manage them.",
     "maya.chen", ("maya.chen", "haruka.sato", "kim.minjun", "choi.jiwoo")),
    ("Non-traditional security: pandemics and climate",
     "Propose practical trilateral cooperation on pandemic preparedness, public health and climate change.",
     "ren.nakamura", ("ren.nakamura", "priya.raman", "lee.seoyeon", "aoi.kobayashi")),
    ("New areas of cooperation",
     "Humanitarian assistance, women's empowerment and space policy: revive and extend the 2017 "
     "vice-ministerial agenda.",
     "lee.seoyeon", ("lee.seoyeon", "james.holloway", "aoi.kobayashi", "jung.haeun")),
)


@dataclass(frozen=True)
class DemoResult:
    """What ``load_demo`` did."""

    created: bool
    group: WorkingGroup


def load_demo(db: Session) -> DemoResult:
    """Create the demo admin, people, group and subgroups unless the demo group exists (the caller commits)."""
    existing = db.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).first()
    if existing is not None:
        return DemoResult(created=False, group=existing)
    # Everyone in the demo has the same published password: hash it once (Argon2 takes about a second a hash on a
    # busy machine, and the demo has seventeen logins).
    password_hash = hash_password(DEMO_PASSWORD)

    def with_password(user: User) -> User:
        user.password_hash = password_hash
        db.add(user)
        return user

    if find_user_by_email(db, DEMO_ADMIN) is None:
        with_password(create_user(db, email=DEMO_ADMIN, display_name="Platform Administrator", password=None,
                                  country="US", time_zone="America/New_York", is_admin=True))
    group = WorkingGroup(
        slug=DEMO_SLUG,
        name="U.S.–Japan–ROK Trilateral Working Group",
        host_organisation="Pacific Alliance Forum",
        countries=["US", "JP", "KR"],
    )
    db.add(group)
    db.flush()
    users = {}
    for person in PEOPLE:
        user = find_user_by_email(db, person.email) or with_password(create_user(
            db, email=person.email, display_name=person.name, native_name=person.native, password=None,
            country=person.country, affiliation=person.affiliation, sector=person.sector,
            time_zone=person.time_zone))
        users[person.key] = user
        db.add(Membership(group_id=group.id or 0, user_id=user.id or 0, role=person.role.value,
                          listed_in_report=person.role is not Role.OBSERVER))
    db.flush()
    story = _Story(db, group, users)
    _load_subgroups(story)
    drafts = _load_drafts(story)
    _load_review(story, drafts)
    story.read_everything()
    db.add(ReportSettings(
        group_id=group.id or 0, title="Reinvesting in U.S.–Japan–ROK Strategic Relations",
        subtitle="A Practical Trilateral Agenda",
        series_line="Policy recommendations from an Emerging Leaders working group", date_line="November 2026",
        acknowledgements=(
            "This report would not have been possible without the support of the **Harbor Foundation** and the "
            "**Kanagawa Fund for Civil Exchange**. The working group is grateful to its senior advisers, Robert "
            "Lindqvist and Park Sung-ho (박성호), who read every draft and challenged every easy answer, and to the "
            "staff of the Pacific Alliance Forum, who organised the meetings in Washington, Tokyo and Seoul."),
        foreword=(
            "The Pacific Alliance Forum convened ten emerging leaders from the United States, Japan and the "
            "Republic of Korea — scholars, think-tank analysts and government practitioners — to ask what the "
            "three countries can practically do together now. They met under the Chatham House rule and speak "
            "in their personal capacities. This report is theirs."),
        executive_summary=(
            "Trilateral cooperation is made or unmade at home. The working group recommends that the three "
            "governments manage their alliances as a whole-of-government priority, insulate security "
            "cooperation from historical disputes, and build habits of cooperation in areas where their "
            "interests plainly coincide: pandemics and public health, climate and clean energy, humanitarian "
            "assistance, women's empowerment, space, business partnerships and exchanges between their "
            "societies."),
        disclaimer=DEFAULT_DISCLAIMER))
    return DemoResult(created=True, group=group)


T = TypeVar("T")
_IP = "demo"


class _Story:
    """Runs the operations members use, as the demo's people, and dates what each one wrote to its moment.

    The operations date what they write with ``utcnow()``; a real group's history is spread over weeks, so each step
    runs inside ``story_time`` at its own moment (weeks ago for drafting, hours ago for the latest review).
    """

    def __init__(self, db: Session, group: WorkingGroup, users: dict[str, User]) -> None:
        self.db, self.group, self.users = db, group, users
        self.contexts: dict[str, GroupContext] = {}

    def ctx(self, key: str) -> GroupContext:
        """The group as the demo person ``key`` sees it (reloaded after subgroup changes)."""
        if key not in self.contexts:
            self.contexts[key] = load_group_context(self.db, self.users[key], DEMO_SLUG)
        return self.contexts[key]

    def at(self, when: dt.datetime, step: Callable[..., T], *args: Any) -> T:
        """Run one step (an operation and its arguments) as if it were ``when``."""
        with story_time(when):
            return step(*args)

    def section(self, key: str, section_id: int) -> Target:
        """A section as a drafting target, for ``key``."""
        return section_target(self.db, self.ctx(key), section_id)

    def rec(self, key: str, number: int) -> Target:
        """A recommendation (R-number) as a drafting target, for ``key``."""
        return recommendation_target(self.db, self.ctx(key), number)

    def read_everything(self) -> None:
        """Members have read the demo's past notifications, an hour after each arrived."""
        for note in self.db.exec(select(Notification).where(Notification.group_id == self.group.id)).all():
            note.read_at = note.created_at + dt.timedelta(hours=1)
            self.db.add(note)
        self.db.flush()


class _Clock:
    """Hands out plausible past times, a few hours apart, so the demo history reads like weeks of work."""

    def __init__(self, steps: int) -> None:
        self.at = utcnow() - dt.timedelta(hours=7 * steps)

    def tick(self) -> dt.datetime:
        self.at += dt.timedelta(hours=7)
        return self.at


@dataclass
class _Drafts:
    """What the demo drafts created: sections (id, head revision, numbers inside) and recommendations."""

    sections: list[tuple[int, int, list[int]]]
    recommendations: dict[int, tuple[int, int]]


def _load_subgroups(story: _Story) -> None:
    """The organizer creates the three subgroups and seats their members and chairs, five to seven weeks ago."""
    start = utcnow() - dt.timedelta(weeks=7)
    ids = {key: user.id or 0 for key, user in story.users.items()}
    for index, (name, mandate, chair, members) in enumerate(SUBGROUPS):
        when = start + dt.timedelta(days=index, hours=2)
        organizer = story.ctx("organizer")
        subgroup = story.at(when, create_subgroup, story.db, organizer, {"name": name, "mandate": mandate}, _IP)
        story.at(when + dt.timedelta(minutes=20), set_subgroup_members, story.db, organizer, subgroup,
                 [ids[k] for k in members], [ids[chair]], _IP)
    story.contexts.clear()  # seats changed what people may do


def _draft_fields(rev: DemoRevision, target: str = "") -> dict[str, str]:
    return {"title": rev.title, "text": rev.text, "rationale": rev.rationale, "target": target, "note": rev.note}


def _load_drafts(story: _Story) -> _Drafts:
    """The report's sections, recommendations, their revisions and comments, as members made them."""
    db = story.db
    steps = sum(len(s.revisions) + sum(len(r.revisions) + 1 for r in s.recommendations) + 1 for s in SECTIONS)
    clock = _Clock(steps + 20)
    subgroup_ids = {sg.name: sg.id for sg in db.exec(select(Subgroup).where(Subgroup.group_id == story.group.id))}
    made = _Drafts(sections=[], recommendations={})
    for demo_section in SECTIONS:
        first, *later = demo_section.revisions
        data = {**_draft_fields(first), "subgroup_id": str(subgroup_ids.get(demo_section.subgroup or "") or "")}
        section = story.at(clock.tick(), create_section, db, story.ctx(first.author), data, _IP)
        sid = section.id or 0
        for rev_no, rev in enumerate(later, start=1):
            _save(story, clock.tick(), rev.author, story.section(rev.author, sid), rev_no, _draft_fields(rev))
        made.sections.append((sid, len(demo_section.revisions), []))
        _comments(story, clock, story.section, sid, demo_section.comments)
        for demo_rec in demo_section.recommendations:
            first, *later = demo_rec.revisions
            rec = story.at(clock.tick(), create_recommendation, db, story.ctx(first.author), section,
                           _draft_fields(first, demo_rec.target), _IP)
            for rev_no, rev in enumerate(later, start=1):
                _save(story, clock.tick(), rev.author, story.rec(rev.author, rec.number), rev_no,
                      _draft_fields(rev, demo_rec.target))
            made.recommendations[rec.number] = (rec.id or 0, len(demo_rec.revisions))
            made.sections[-1][2].append(rec.number)
            _comments(story, clock, story.rec, rec.number, demo_rec.comments)
    return made


def _save(story: _Story, when: dt.datetime, author: str, target: Target, base: int, data: dict[str, str]) -> None:
    kind = "section" if target.recommendation is None else "recommendation"
    draft = read_draft(data, kind, story.group.countries)
    outcome = story.at(when, save_revision, story.db, story.ctx(author), target, base, draft, read_note(data), _IP)
    if outcome.kind != "saved":
        raise RuntimeError(f"the demo revision {base + 1} of {target.label} was not saved: {outcome.kind}")


def _comments(story: _Story, clock: _Clock, target_for: Callable[[str, int], Target], ident: int,
              comments: tuple[DemoComment, ...], parent_id: int | None = None) -> None:
    for demo in comments:
        at = clock.tick()
        data = {"body": demo.body, "paragraph": str(demo.paragraph or ""), "parent_id": str(parent_id or "")}
        comment = story.at(at, add_comment, story.db, story.ctx(demo.author), target_for(demo.author, ident), data,
                           _IP)
        _comments(story, clock, target_for, ident, demo.replies, comment.id)
        if demo.resolved:
            story.at(clock.tick(), set_resolved, story.db, story.ctx(demo.author),
                     target_for(demo.author, ident), comment, True, _IP)


# Positions: (number, person key, stance, text). Every country supports the approved items; R-2 carries a
# reservation and R-7 an objection, so the demo shows additional views and a blocked approval.
_POSITIONS: tuple[tuple[int, str, str, str], ...] = (
    *((n, k, "support", "") for n in (1, 2, 3, 8) for k in ("maya.chen", "haruka.sato", "kim.minjun")),
    (1, "eleanor.hayes", "support", ""),
    (2, "choi.jiwoo", "reservation", "Insulating security talks must not become a reason to shelve the history "
                                     "questions themselves; both governments should say so."),
    (3, "choi.jiwoo", "abstain", ""),
    (4, "ren.nakamura", "support", ""), (4, "priya.raman", "support", ""), (4, "lee.seoyeon", "support", ""),
    (7, "lee.seoyeon", "support", ""), (7, "aoi.kobayashi", "support", ""), (7, "jung.haeun", "support", ""),
    (7, "james.holloway", "object", "Aid without verifiable monitoring would ease pressure on Pyongyang at the "
                                    "wrong moment; I cannot support this text."),
    (8, "lee.seoyeon", "support", ""), (8, "james.holloway", "support", ""),
)


def _load_review(story: _Story, drafts: _Drafts) -> None:
    """Review history: section 2 approved, R-4 submitted (deadline soon), R-5 sent back, R-7 blocked, R-8 approved."""
    db, now = story.db, utcnow()

    def ago(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    def submit(number: int, key: str, hours_ago: float, due_tomorrow: bool = False) -> None:
        # The review deadline: the form's default (a week after submitting), or the end of tomorrow in the
        # submitter's time zone (within 48 hours, so the deadline reminder has something to say).
        tomorrow = (now.astimezone(ZoneInfo(story.users[key].time_zone)).date() + dt.timedelta(days=1)).isoformat()
        story.at(ago(hours_ago), submit_recommendation, db, story.ctx(key), story.rec(key, number),
                 {"deadline": tomorrow if due_tomorrow else ""}, _IP)

    def decide(number: int, key: str, decision: str, note: str, hours_ago: float) -> None:
        story.at(ago(hours_ago), decide_on_revision, db, story.ctx(key), story.rec(key, number), decision,
                 drafts.recommendations[number][1], {"note": note}, _IP)

    def positions(number: int, hours_ago: float) -> None:
        for offset, (n, key, stance, text) in enumerate(p for p in _POSITIONS if p[0] == number):
            story.at(ago(hours_ago - offset * 0.4), record_position, db, story.ctx(key), story.rec(key, n),
                     {"stance": stance, "text": text}, _IP)

    # In the order it happened (hours ago).
    submit(8, "aoi.kobayashi", 70)
    for number in (1, 2, 3):
        submit(number, "haruka.sato", 60)
    submit(5, "lee.seoyeon", 50)
    submit(7, "lee.seoyeon", 40)
    for number, hours in ((1, 36), (2, 34), (3, 32)):
        positions(number, hours)
    decide(5, "ren.nakamura", "request-changes",
           "Name the finance mechanism and who would host it; the current text is too general.", 30)
    positions(8, 29)
    positions(7, 27)
    for number in (1, 2, 3):
        decide(number, "maya.chen", "approve", "Ready for the report.", 25)
    section_id, section_rev, _numbers = drafts.sections[1]
    story.at(ago(24), approve_section, db, story.ctx("maya.chen"), story.section("maya.chen", section_id),
             section_rev, {}, _IP)
    submit(4, "priya.raman", 20, due_tomorrow=True)
    positions(4, 16)
    decide(8, "lee.seoyeon", "approve", "Approved as drafted.", 10)


def demo_logins() -> list[tuple[str, str]]:
    """(what, e-mail) pairs to print for people trying the demo."""
    return [
        ("platform admin", DEMO_ADMIN),
        ("organizer", "organizer@example.org"),
        ("co-chair", "eleanor.hayes@example.org"),
        ("subgroup chair (Domestic constraints)", "maya.chen@example.org"),
        ("member (Japan)", "haruka.sato@example.org"),
        ("member (Korea)", "kim.minjun@example.org"),
        ("observer", "takeshi.ono@example.org"),
    ]
