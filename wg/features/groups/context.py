"""Loading a group together with what the current user may do in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from wg.lib.errors import not_found
from wg.models import Membership, Role, Subgroup, SubgroupMember, User, WorkingGroup
from wg.policy import Actor, can_view_group


@dataclass(frozen=True)
class GroupContext:
    """A group as seen by one user: the policy actor and the membership behind it."""

    group: WorkingGroup
    user: User
    actor: Actor
    membership: Membership | None

    @property
    def group_id(self) -> int:
        """The group's id."""
        return self.group.id or 0


def actor_for(db: Session, user: User | None, group_id: int | None) -> Actor:
    """Build the policy actor for ``user`` in a group."""
    if user is None:
        return Actor()
    if group_id is None:
        return Actor(user_id=user.id, is_admin=user.is_admin)
    return _actor(db, user, group_id, _membership(db, group_id, user.id or 0))


def _membership(db: Session, group_id: int, user_id: int) -> Membership | None:
    return db.exec(select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)).first()


def _actor(db: Session, user: User, group_id: int, membership: Membership | None) -> Actor:
    if membership is None:
        return Actor(user_id=user.id, is_admin=user.is_admin)
    rows = db.exec(
        select(SubgroupMember.subgroup_id, SubgroupMember.is_chair)
        .join(Subgroup, col(Subgroup.id) == col(SubgroupMember.subgroup_id))
        .where(SubgroupMember.user_id == user.id, Subgroup.group_id == group_id)
    ).all()
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        role=Role(membership.role),
        chairs=frozenset(sid for sid, chair in rows if chair),
        subgroups=frozenset(sid for sid, _ in rows),
    )


def load_group_context(db: Session, user: User | None, slug: str) -> GroupContext:
    """The group at ``slug`` for ``user``, or 404 when it does not exist or the user is not a member."""
    if "\x00" in slug:  # no slug has one, and PostgreSQL refuses to compare text containing NUL (a 500)
        raise not_found()
    group = db.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).first()
    if group is None or user is None:
        raise not_found()
    membership = _membership(db, group.id or 0, user.id or 0)
    actor = _actor(db, user, group.id or 0, membership)
    if not can_view_group(actor):
        raise not_found()
    return GroupContext(group=group, user=user, actor=actor, membership=membership)
