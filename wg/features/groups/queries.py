"""Read models for group pages and the API: each loads what a view shows in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from wg.lib.countries import country_name
from wg.models import Invitation, Membership, Subgroup, SubgroupMember, User, WorkingGroup, utcnow


@dataclass(frozen=True)
class RosterEntry:
    """A member as the roster shows them."""

    user: User
    role: str
    listed_in_report: bool


@dataclass(frozen=True)
class SubgroupView:
    """A subgroup with its chairs and members."""

    subgroup: Subgroup
    chairs: list[User]
    members: list[User]


def groups_for_user(db: Session, user: User) -> list[tuple[WorkingGroup, str]]:
    """The groups a user belongs to, with their role in each."""
    rows = db.exec(
        select(WorkingGroup, Membership.role)
        .join(Membership, col(Membership.group_id) == col(WorkingGroup.id))
        .where(Membership.user_id == user.id)
        .order_by(col(WorkingGroup.name))
    ).all()
    return [(group, role) for group, role in rows]


def all_groups(db: Session) -> list[WorkingGroup]:
    """Every group (for platform admins)."""
    return list(db.exec(select(WorkingGroup).order_by(col(WorkingGroup.name))).all())


def roster(db: Session, group_id: int) -> list[RosterEntry]:
    """Every member of a group, sorted by country then name."""
    rows = db.exec(
        select(User, Membership.role, Membership.listed_in_report)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.group_id == group_id)
    ).all()
    entries = [RosterEntry(user=u, role=r, listed_in_report=listed) for u, r, listed in rows]
    return sorted(entries, key=lambda e: (country_name(e.user.country), e.user.display_name.lower()))


def roster_by_country(entries: list[RosterEntry], countries: list[str]) -> list[tuple[str, list[RosterEntry]]]:
    """The roster grouped by country: the group's countries first, in their order, then any others."""
    by_country: dict[str, list[RosterEntry]] = defaultdict(list)
    for entry in entries:
        by_country[entry.user.country].append(entry)
    order = [c for c in countries if c in by_country] + sorted(c for c in by_country if c not in countries)
    return [(code, by_country[code]) for code in order]


def subgroups_with_people(db: Session, group_id: int) -> list[SubgroupView]:
    """Every subgroup of a group with its chairs and members (two queries)."""
    subgroups = db.exec(
        select(Subgroup).where(Subgroup.group_id == group_id).order_by(col(Subgroup.position), col(Subgroup.id))
    ).all()
    ids = [s.id for s in subgroups]
    people: dict[int, list[tuple[User, bool]]] = defaultdict(list)
    if ids:
        for sm, user in db.exec(
            select(SubgroupMember, User).join(User, col(User.id) == col(SubgroupMember.user_id))
            .where(col(SubgroupMember.subgroup_id).in_(ids))
            .order_by(col(User.display_name))
        ).all():
            people[sm.subgroup_id].append((user, sm.is_chair))
    return [
        SubgroupView(subgroup=s, chairs=[u for u, chair in people[s.id or 0] if chair],
                     members=[u for u, _ in people[s.id or 0]])
        for s in subgroups
    ]


def pending_invitations(db: Session, group_id: int) -> list[Invitation]:
    """Invitations not yet used and not expired."""
    return list(db.exec(
        select(Invitation).where(Invitation.group_id == group_id, col(Invitation.used_at).is_(None),
                                 col(Invitation.expires_at) > utcnow())
        .order_by(col(Invitation.created_at))
    ).all())
