"""The demo trilateral working group (fictional people), loaded by ``wg demo``; loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from wg.demo_content import SECTIONS, DemoComment, DemoRevision
from wg.features.accounts.operations import create_user, find_user_by_email
from wg.features.audit.log import record
from wg.features.drafting.operations import MENTION_RE, mention_handle
from wg.features.report.snapshot import DEFAULT_DISCLAIMER
from wg.features.review.state import section_fingerprint
from wg.models import (
    Comment,
    Membership,
    Mention,
    Notification,
    Position,
    Recommendation,
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
    if find_user_by_email(db, DEMO_ADMIN) is None:
        create_user(db, email=DEMO_ADMIN, display_name="Platform Administrator", password=DEMO_PASSWORD,
                    country="US", time_zone="America/New_York", is_admin=True)
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
        user = find_user_by_email(db, person.email) or create_user(
            db, email=person.email, display_name=person.name, native_name=person.native, password=DEMO_PASSWORD,
            country=person.country, affiliation=person.affiliation, sector=person.sector,
            time_zone=person.time_zone)
        users[person.key] = user
        db.add(Membership(group_id=group.id or 0, user_id=user.id or 0, role=person.role.value,
                          listed_in_report=person.role is not Role.OBSERVER))
    subgroups: dict[str, int] = {}
    for position, (name, mandate, chair, members) in enumerate(SUBGROUPS):
        subgroup = Subgroup(group_id=group.id or 0, name=name, mandate=mandate, position=position)
        db.add(subgroup)
        db.flush()
        subgroups[name] = subgroup.id or 0
        for key in members:
            db.add(SubgroupMember(subgroup_id=subgroup.id or 0, user_id=users[key].id or 0, is_chair=key == chair))
    drafts = _load_drafts(db, group.id or 0, users, subgroups)
    _load_review(db, group.id or 0, users, drafts)
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
    record(db, "demo.loaded", actor_id=None, group_id=group.id, object_type="group", object_id=group.id)
    return DemoResult(created=True, group=group)


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


def _load_drafts(db: Session, group_id: int, users: dict[str, User], subgroups: dict[str, int]) -> _Drafts:
    """The report's sections, recommendations, their revisions and comments, as members would have made them."""
    steps = sum(len(s.revisions) + sum(len(r.revisions) + 1 for r in s.recommendations) + 1 for s in SECTIONS)
    clock = _Clock(steps + 20)
    handles = {mention_handle(u.display_name): u for u in users.values()}
    number = 0
    made = _Drafts(sections=[], recommendations={})
    for position, demo_section in enumerate(SECTIONS):
        section = Section(group_id=group_id, subgroup_id=subgroups.get(demo_section.subgroup or ""),
                          position=position, created_at=clock.tick())
        db.add(section)
        db.flush()
        _revisions(db, group_id, "section", section.id or 0, demo_section.revisions, users, clock)
        made.sections.append((section.id or 0, len(demo_section.revisions), []))
        _comments(db, group_id, "section", section.id or 0, demo_section.comments, users, handles, clock,
                  len(demo_section.revisions))
        for rec_position, demo_rec in enumerate(demo_section.recommendations):
            number += 1
            rec = Recommendation(group_id=group_id, section_id=section.id or 0, number=number, position=rec_position,
                                 created_at=clock.tick())
            db.add(rec)
            db.flush()
            revisions = tuple(DemoRevision(r.author, r.title, r.text, r.rationale, r.note) for r in demo_rec.revisions)
            _revisions(db, group_id, "recommendation", rec.id or 0, revisions, users, clock, demo_rec.target)
            made.recommendations[number] = (rec.id or 0, len(revisions))
            made.sections[-1][2].append(number)
            _comments(db, group_id, "recommendation", rec.id or 0, demo_rec.comments, users, handles, clock,
                      len(revisions))

    return made

def _revisions(db: Session, group_id: int, kind: str, target_id: int, revisions: tuple[DemoRevision, ...],
               users: dict[str, User], clock: _Clock, target: str = "") -> None:
    for rev_no, rev in enumerate(revisions, start=1):
        db.add(Revision(group_id=group_id, target_type=kind, target_id=target_id, rev_no=rev_no,
                        parent_rev_no=rev_no - 1 or None, author_id=users[rev.author].id, created_at=clock.tick(),
                        title=rev.title, text=rev.text, rationale=rev.rationale, target=target,
                        note=rev.note or ("Created" if rev_no == 1 else "")))


def _comments(db: Session, group_id: int, kind: str, target_id: int, comments: tuple[DemoComment, ...],
              users: dict[str, User], handles: dict[str, User], clock: _Clock, rev_no: int,
              parent_id: int | None = None) -> None:
    for demo in comments:
        at = clock.tick()
        comment = Comment(group_id=group_id, target_type=kind, target_id=target_id, parent_id=parent_id,
                          paragraph=demo.paragraph, rev_no=rev_no, author_id=users[demo.author].id, body=demo.body,
                          created_at=at, resolved_at=at + dt.timedelta(hours=3) if demo.resolved else None,
                          resolved_by=users[demo.author].id if demo.resolved else None)
        db.add(comment)
        db.flush()
        for handle in {h.lower() for h in MENTION_RE.findall(demo.body)} & handles.keys():
            db.add(Mention(comment_id=comment.id or 0, user_id=handles[handle].id or 0))
        _comments(db, group_id, kind, target_id, demo.replies, users, handles, clock, rev_no, comment.id)


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


def _load_review(db: Session, group_id: int, users: dict[str, User], drafts: _Drafts) -> None:
    """Review history: section 2 approved, R-4 submitted (deadline soon), R-5 sent back, R-7 blocked, R-8 approved."""
    now = utcnow()

    def event(number: int, kind: str, actor: str, note: str = "", hours_ago: float = 0,
              deadline: dt.datetime | None = None) -> None:
        rec_id, head = drafts.recommendations[number]
        db.add(ReviewEvent(group_id=group_id, target_type="recommendation", target_id=rec_id, rev_no=head,
                           kind=kind, actor_id=users[actor].id, note=note, deadline=deadline,
                           created_at=now - dt.timedelta(hours=hours_ago)))

    for number, key, stance, text in _POSITIONS:
        db.add(Position(group_id=group_id, recommendation_id=drafts.recommendations[number][0],
                        user_id=users[key].id or 0, stance=stance, text=text,
                        updated_at=now - dt.timedelta(hours=30)))
    for number in (1, 2, 3):
        event(number, "submit", "haruka.sato", hours_ago=60, deadline=now + dt.timedelta(days=3))
        event(number, "approve", "maya.chen", "Ready for the report.", hours_ago=26)
    section_id, section_rev, numbers = drafts.sections[1]
    fingerprint = section_fingerprint(section_rev, [(n, drafts.recommendations[n][1], False) for n in numbers])
    db.add(ReviewEvent(group_id=group_id, target_type="section", target_id=section_id, rev_no=section_rev,
                       kind="approve", actor_id=users["maya.chen"].id, fingerprint=fingerprint,
                       created_at=now - dt.timedelta(hours=24)))
    event(4, "submit", "priya.raman", hours_ago=20, deadline=now + dt.timedelta(hours=36))
    event(5, "submit", "lee.seoyeon", hours_ago=50, deadline=now + dt.timedelta(days=2))
    event(5, "request-changes", "ren.nakamura",
          "Name the finance mechanism and who would host it; the current text is too general.", hours_ago=30)
    event(7, "submit", "lee.seoyeon", hours_ago=40, deadline=now + dt.timedelta(days=4))
    event(8, "submit", "aoi.kobayashi", hours_ago=70, deadline=now + dt.timedelta(days=1))
    event(8, "approve", "lee.seoyeon", "Approved as drafted.", hours_ago=10)
    for key, message, link in (
        ("maya.chen", "R-4 “Vaccine and medical supply chains” review deadline is within 48 hours.", "/r/4"),
        ("haruka.sato", "R-2 was approved (Consensus with reservations).", "/r/2"),
    ):
        db.add(Notification(user_id=users[key].id or 0, group_id=group_id, kind="demo", message=message,
                            link=f"/g/{DEMO_SLUG}{link}", created_at=now - dt.timedelta(hours=5)))


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
