"""Two groups with every kind of object, and browsers for each role, for the authorization tests in this folder.

Group A is the demo group ``trilateral``; group B (``bravo``) is a copy of it made through wg's own archive
export and import, with every e-mail address moved to another domain, so its people belong to B only and every
kind of object (subgroup, section, recommendation, revision, comment, position, review event, export,
invitation, notification) exists in both groups with different ids.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import inspect, text
from sqlmodel import Session, col, func, select

from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.accounts.operations import find_user_by_email, invitation_token_hash, new_invitation_token
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.drafting import operations as drafting
from wg.features.drafting.targets import recommendation_target, section_target
from wg.features.groups.context import GroupContext, load_group_context
from wg.features.report.archive import export_archive, import_archive
from wg.features.report.exports import export_now
from wg.features.review import operations as review
from wg.models import (
    Comment,
    Export,
    Invitation,
    Membership,
    Notification,
    Recommendation,
    ReviewEvent,
    Revision,
    Section,
    Subgroup,
    SubgroupMember,
    WorkingGroup,
    utcnow,
)

B_SLUG = "bravo"
B_DOMAIN = "bravo.example"
SUBGROUP = "Domestic constraints"  # chaired by maya.chen; haruka.sato is a plain member of it
IP = "127.0.0.1"

# The roles of the matrix, in the order the table's columns list them.
ROLES = ("anonymous", "member_b", "member", "subgroup_chair", "co_chair", "organizer", "observer", "admin")
EMAILS = {
    "member_b": f"haruka.sato@{B_DOMAIN}",  # a plain member of group B only
    "member": "haruka.sato@example.org",
    "subgroup_chair": "maya.chen@example.org",
    "co_chair": "eleanor.hayes@example.org",
    "organizer": "organizer@example.org",
    "observer": "takeshi.ono@example.org",
    "admin": "admin@example.org",
}


@dataclass
class Side:
    """The ids of one group's objects that the tests put in URLs and bodies."""

    slug: str
    group_id: int
    subgroup: int
    section: int
    number: int
    section_comment: int
    rec_comment: int
    export: int
    member: int
    notification: int
    invitation: int


@dataclass
class World:
    """Group A with objects made for the matrix, and group B."""

    db: Database
    a: Side
    b: Side
    users: dict[str, int]
    # Objects made in A for the matrix, in the subgroup SUBGROUP (so members, the chair, co-chairs and organizers
    # all have rights in them): a section with recommendations for drafting, one to withdraw, one to decide on,
    # one to submit, and an empty section to approve.
    s_edit: int = 0
    r_edit: int = 0
    r_withdraw: int = 0
    r_decide: int = 0
    r_submit: int = 0
    s_approve: int = 0
    s_edit_comment: int = 0
    r_edit_comment: int = 0
    invite_token: str = ""
    counter: int = 0

    def next(self) -> int:
        """A number no earlier request used (for unique names and texts)."""
        self.counter += 1
        return self.counter


def _copy_demo_as_group_b(s: Session) -> WorkingGroup:
    """Group B: the demo group through wg's own archive, its people moved to another e-mail domain."""
    group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
    document = json.dumps(export_archive(s, group)).replace("@example.org", f"@{B_DOMAIN}")
    return import_archive(s, json.loads(document), slug=B_SLUG)


def _side(s: Session, slug: str, exports_dir: Path, source_export: Export) -> Side:
    group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).one()
    gid = group.id or 0
    subgroup = s.exec(select(Subgroup).where(Subgroup.group_id == gid, Subgroup.name == SUBGROUP)).one()
    section = s.exec(select(Section).where(Section.subgroup_id == subgroup.id).order_by(col(Section.id))).first()
    assert section is not None
    rec = s.exec(select(Recommendation).where(Recommendation.section_id == section.id)
                 .order_by(col(Recommendation.number))).first()
    assert rec is not None
    section_comment = s.exec(select(Comment.id).where(Comment.group_id == gid, Comment.target_type == "section")
                             .order_by(col(Comment.id))).first()
    rec_comment = s.exec(select(Comment.id).where(Comment.group_id == gid, Comment.target_type == "recommendation")
                         .order_by(col(Comment.id))).first()
    domain = "example.org" if slug == DEMO_SLUG else B_DOMAIN
    member = find_user_by_email(s, f"haruka.sato@{domain}")
    assert member is not None and section_comment and rec_comment
    if source_export.group_id == gid:
        export = source_export
    else:  # the same finished file, stored under B's folder and recorded as B's export
        folder = exports_dir / slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(str(source_export.path)).name.replace(DEMO_SLUG, slug, 1)
        shutil.copyfile(str(source_export.path), path)
        export = Export(group_id=gid, user_id=None, profile="internal", format="docx", status="done",
                        path=str(path), sha256=source_export.sha256, size=source_export.size,
                        report_version=source_export.report_version, finished_at=utcnow())
        s.add(export)
        s.flush()
    note = Notification(user_id=member.id or 0, group_id=gid, kind="demo", message="A notification.",
                        link=f"/g/{slug}")
    invitation = Invitation(group_id=gid, token_hash=invitation_token_hash(new_invitation_token()),
                            email=f"someone.new@{domain}", display_name="Someone New", country="JP", role="member",
                            expires_at=utcnow() + dt.timedelta(days=7))
    s.add(note)
    s.add(invitation)
    s.flush()
    return Side(slug=slug, group_id=gid, subgroup=subgroup.id or 0, section=section.id or 0, number=rec.number,
                section_comment=section_comment, rec_comment=rec_comment, export=export.id or 0,
                member=member.id or 0, notification=note.id or 0, invitation=invitation.id or 0)


def _user_id(s: Session, email: str) -> int:
    user = find_user_by_email(s, email)
    assert user is not None and user.id is not None, email
    return user.id


def _ctx(s: Session, email: str, slug: str = DEMO_SLUG) -> GroupContext:
    user = find_user_by_email(s, email)
    return load_group_context(s, user, slug)


def build_world(db: Database, exports_dir: Path) -> World:
    """Create group B and the objects the matrix needs in group A; returns their ids."""
    with db.transaction() as s:
        _copy_demo_as_group_b(s)
        # B's member logs in with the demo password (the archive brings people without one).
        a_member = find_user_by_email(s, EMAILS["member"])
        b_member = find_user_by_email(s, EMAILS["member_b"])
        assert a_member is not None and b_member is not None
        b_member.password_hash = a_member.password_hash
        s.add(b_member)
        a_group_id = s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == DEMO_SLUG)).one() or 0
    a_export = export_now(db, a_group_id, "internal", "docx", exports_dir, None)  # a real, finished file
    assert a_export.status == "done", a_export.error
    with db.transaction() as s:
        a = _side(s, DEMO_SLUG, exports_dir, a_export)
        b = _side(s, B_SLUG, exports_dir, a_export)
        users = {name: _user_id(s, email) for name, email in EMAILS.items()}
        for key in ("priya.raman", "park.sungho", "robert.lindqvist", "kim.minjun"):
            users[key] = _user_id(s, f"{key}@example.org")
    world = World(db=db, a=a, b=b, users=users)
    with db.transaction() as s:
        organizer = _ctx(s, EMAILS["organizer"])
        kim = _ctx(s, "kim.minjun@example.org")  # a member of SUBGROUP who is none of the matrix's roles
        section = drafting.create_section(s, organizer, {"title": "Matrix section", "subgroup_id": str(a.subgroup),
                                                         "text": "First paragraph.\n\nSecond paragraph."}, IP)
        empty = drafting.create_section(s, organizer, {"title": "Section to approve", "subgroup_id": str(a.subgroup),
                                                       "text": "Nothing inside yet."}, IP)
        recs = [drafting.create_recommendation(s, organizer, section, {"title": f"Matrix item {i}",
                                                                        "text": f"Do thing {i}."}, IP)
                for i in range(4)]
        world.s_edit, world.s_approve = section.id or 0, empty.id or 0
        world.r_edit, world.r_withdraw, world.r_decide, world.r_submit = (r.number for r in recs)
        world.s_edit_comment = drafting.add_comment(s, kim, section_target(s, kim, world.s_edit),
                                                    {"body": "A comment by Kim."}, IP).id or 0
        world.r_edit_comment = drafting.add_comment(s, kim, recommendation_target(s, kim, world.r_edit),
                                                    {"body": "Another comment by Kim."}, IP).id or 0
        review.submit_recommendation(s, kim, recommendation_target(s, kim, world.r_decide), {}, IP)
        token = new_invitation_token()
        s.add(Invitation(group_id=a.group_id, token_hash=invitation_token_hash(token), email="guest@example.org",
                         display_name="Guest Person", country="JP", role="member",
                         expires_at=utcnow() + dt.timedelta(days=7)))
        world.invite_token = token
    return world


def standing_in_a(db: Database) -> dict[str, tuple[str | None, str]]:
    """Each role's standing in group A: (role in the group, "chair"/"member"/"" of the subgroup SUBGROUP)."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        subgroup = s.exec(select(Subgroup).where(Subgroup.group_id == group.id, Subgroup.name == SUBGROUP)).one()
        standing: dict[str, tuple[str | None, str]] = {}
        for role, email in EMAILS.items():
            user_id = _user_id(s, email)
            membership = s.exec(select(Membership).where(Membership.group_id == group.id,
                                                         Membership.user_id == user_id)).first()
            seat = s.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == subgroup.id,
                                                       SubgroupMember.user_id == user_id)).first()
            standing[role] = (membership.role if membership else None,
                              "" if seat is None else "chair" if seat.is_chair else "member")
        return standing


# --- state the write routes need before each request -----------------------------------------------------------


def head_rev(db: Database, kind: str, ident: int, slug: str = DEMO_SLUG) -> int:
    """The newest revision number of a section (by id) or recommendation (by number) of a group."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).one()
        if kind == "recommendation":
            rec = s.exec(select(Recommendation).where(Recommendation.group_id == group.id,
                                                      Recommendation.number == ident)).one()
            ident = rec.id or 0
        newest = s.exec(select(func.max(Revision.rev_no)).where(Revision.target_type == kind,
                                                                Revision.target_id == ident)).one()
        return int(newest or 0)


def add_review_event(db: Database, number: int, kind: str) -> None:
    """Put a recommendation of group A in a review state directly (submit → submitted, request-changes → …)."""
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        rec = s.exec(select(Recommendation).where(Recommendation.group_id == group.id,
                                                  Recommendation.number == number)).one()
        rev = s.exec(select(func.max(Revision.rev_no)).where(Revision.target_type == "recommendation",
                                                             Revision.target_id == rec.id)).one()
        s.add(ReviewEvent(group_id=group.id or 0, target_type="recommendation", target_id=rec.id or 0,
                          rev_no=int(rev or 1), kind=kind, actor_id=None, note="Set up by the test.",
                          deadline=utcnow() + dt.timedelta(days=3) if kind == "submit" else None))


def add_section_revision(db: Database, section_id: int) -> None:
    """A new revision of a section of group A (so an approval of it no longer matches and it can be approved)."""
    with db.transaction() as s:
        section = s.get(Section, section_id)
        assert section is not None
        head = s.exec(select(Revision).where(Revision.target_type == "section", Revision.target_id == section_id)
                      .order_by(col(Revision.rev_no).desc())).first()
        assert head is not None
        s.add(Revision(group_id=section.group_id, target_type="section", target_id=section_id,
                       rev_no=head.rev_no + 1, parent_rev_no=head.rev_no, title=head.title,
                       text=f"{head.text}\n\nAdded at revision {head.rev_no + 1}.", note="Set up by the test."))


def new_invitation(db: Database, email: str, group_id: int) -> str:
    """An open invitation into a group for ``email``; returns the one-time token."""
    token = new_invitation_token()
    with db.transaction() as s:
        s.add(Invitation(group_id=group_id, token_hash=invitation_token_hash(token), email=email,
                         display_name="Invited Person", country="JP", role="member",
                         expires_at=utcnow() + dt.timedelta(days=7)))
    return token


# --- browsers --------------------------------------------------------------------------------------------------


class Browser:
    """A test client acting as one role, with the CSRF token of its current session."""

    def __init__(self, client: TestClient[Litestar], role: str) -> None:
        self.client = client
        self.role = role
        self._token: str | None = None

    @property
    def token(self) -> str:
        """The CSRF token for this browser's session (fetched once per session)."""
        if self._token is None:
            self._token = str(self.client.get("/api/v1/session").json()["csrf_token"])
        return self._token

    def request(self, method: str, url: str, form: dict[str, Any] | None = None,
                body: Any = None) -> Any:
        """Send a request as a browser or API client would, with a valid CSRF token on changes."""
        headers = {}
        kwargs: dict[str, Any] = {}
        if method not in {"GET", "HEAD", "OPTIONS"}:
            headers["x-csrftoken"] = self.token
            if body is not None:
                kwargs["json"] = body
            else:
                kwargs["data"] = {**(form or {}), "_csrf_token": self.token}
        response = self.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
        if any(f"{SESSION_COOKIE}=" in c for c in response.headers.get_list("set-cookie")):
            self._token = None  # a new session (login, rotation) has a new token
        return response


def open_browser(db: Database, make_client: Any, role: str) -> Browser:
    """A browser logged in as ``role`` (the session is issued directly: logging in is tested on its own row)."""
    client = make_client()
    if role != "anonymous":
        with db.transaction() as s:
            user = find_user_by_email(s, EMAILS[role])
            assert user is not None, role
            token = issue_session(s, user, 3600)
        client.cookies.set(SESSION_COOKIE, token)
    return Browser(client, role)


# --- rows --------------------------------------------------------------------------------------------------------

_SKIP_TABLES = {"web_sessions", "alembic_version"}


def rows_snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table (sessions aside: reading a page may refresh one), to prove nothing changed."""
    with db.engine.connect() as conn:
        names = sorted(set(inspect(conn).get_table_names()) - _SKIP_TABLES)
        return {name: sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))
                for name in names}


def diff_snapshots(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """What rows appeared and disappeared, per table."""
    changes: dict[str, dict[str, list[str]]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            changes[name] = {"gone": sorted(old - new)[:3], "new": sorted(new - old)[:3]}
    return changes


PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def fill(template: str, values: dict[str, Any]) -> str:
    """A concrete URL for a route template; every parameter must have a value."""
    def one(match: re.Match[str]) -> str:
        return str(values[match.group(1)])
    return PARAM.sub(one, template)
