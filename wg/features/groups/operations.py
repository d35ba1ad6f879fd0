"""Group operations: each checks the policy, changes the rows and writes the audit entry. Callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from wg.db import lock_key, lock_row
from wg.features.accounts.operations import (
    find_user_by_email,
    invitation_expiry,
    invitation_token_hash,
    new_invitation_token,
)
from wg.features.audit.log import record
from wg.features.groups.context import GroupContext
from wg.lib.errors import NotAllowed, ValidationFailed, not_found
from wg.lib.fields import (
    check_country,
    check_email,
    check_optional,
    check_required,
    check_role,
    check_slug,
    clean_line,
    normalise_email,
    strip_controls,
)
from wg.models import (
    AttributionMode,
    ConsensusRule,
    Invitation,
    Membership,
    Role,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)
from wg.policy import (
    Actor,
    can_change_role,
    can_create_group,
    can_manage_members,
    can_manage_subgroups,
    can_remove_member,
)
from wg.settings import Settings

# The largest id a database row can have: a larger number in a URL names nothing (and SQLite would raise
# OverflowError on it rather than find nothing).
MAX_ROW_ID = 2**63 - 1


@dataclass(frozen=True)
class InvitationIssued:
    """An invitation and its one-time token (shown once to the organizer, stored only as a hash)."""

    invitation: Invitation
    token: str


def _countries(value: Any) -> list[str]:
    if isinstance(value, str):
        items = value.replace(";", ",").split(",")
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = []
    seen: list[str] = []
    for item in items:
        code = clean_line(item).upper()
        if code and code not in seen:
            seen.append(code)
    return seen


def create_group(db: Session, actor: Actor, settings: Settings, data: dict[str, Any], ip: str) -> tuple[
        WorkingGroup, InvitationIssued | None]:
    """Create a working group and name its first organizer (an existing user joins; a new one is invited)."""
    if not can_create_group(actor):
        raise NotAllowed("Only platform administrators create working groups.")
    name = clean_line(data.get("name"))
    slug = clean_line(data.get("slug")).lower()
    host = clean_line(data.get("host_organisation"))
    countries = _countries(data.get("countries"))
    attribution = clean_line(data.get("attribution_mode")) or AttributionMode.NONE.value
    rule = clean_line(data.get("consensus_rule")) or ConsensusRule.EACH_COUNTRY.value
    organizer_email = normalise_email(data.get("organizer_email"))
    organizer_name = clean_line(data.get("organizer_name"))
    errors: dict[str, str] = {}
    if problem := check_required(name, "the group's name", 200):
        errors["name"] = problem
    if problem := check_slug(slug):
        errors["slug"] = problem
    else:
        lock_key(db, f"group-slug:{slug}")  # the same address twice at once: the second is told it is taken
        if db.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).first() is not None:
            errors["slug"] = "Another group already uses this address."
    if problem := check_optional(host, "the host organisation", 200):
        errors["host_organisation"] = problem
    if not countries:
        errors["countries"] = "Enter the participating countries, such as US, JP, KR."
    else:
        bad = [c for c in countries if check_country(c)]
        if bad:
            errors["countries"] = f"Unknown country code: {', '.join(bad)}. Use ISO 3166 codes such as US, JP, KR."
    if attribution not in {m.value for m in AttributionMode}:
        errors["attribution_mode"] = "Choose none, country or name."
    if rule not in {r.value for r in ConsensusRule}:
        errors["consensus_rule"] = "Choose each-country, no-objection or majority."
    if problem := check_email(organizer_email):
        errors["organizer_email"] = problem
    organizer = find_user_by_email(db, organizer_email) if not errors.get("organizer_email") else None
    if organizer is None and (problem := check_required(organizer_name, "the organizer's name", 120)):
        errors["organizer_name"] = problem
    if errors:
        raise ValidationFailed(errors)
    group = WorkingGroup(slug=slug, name=name, host_organisation=host, countries=countries,
                         attribution_mode=attribution, consensus_rule=rule)
    db.add(group)
    db.flush()
    issued: InvitationIssued | None = None
    if organizer is not None and organizer.password_hash:
        _add_membership(db, group.id or 0, organizer, Role.ORGANIZER)
    else:
        issued = _issue_invitation(db, settings, group.id or 0, actor.user_id, organizer_email, organizer_name,
                                   "", Role.ORGANIZER)
    record(db, "group.created", actor_id=actor.user_id, group_id=group.id, object_type="group", object_id=group.id,
           ip=ip, slug=slug)
    return group, issued


def _add_membership(db: Session, group_id: int, user: User, role: Role) -> Membership:
    membership = Membership(group_id=group_id, user_id=user.id or 0, role=role.value,
                            listed_in_report=role is not Role.OBSERVER)
    db.add(membership)
    user.auth_version += 1
    db.add(user)
    return membership


def _issue_invitation(db: Session, settings: Settings, group_id: int, created_by: int | None, email: str,
                      display_name: str, country: str, role: Role) -> InvitationIssued:
    token = new_invitation_token()
    invitation = Invitation(group_id=group_id, token_hash=invitation_token_hash(token), email=email,
                            display_name=display_name, country=country, role=role.value, created_by=created_by,
                            expires_at=invitation_expiry(settings))
    db.add(invitation)
    db.flush()
    return InvitationIssued(invitation=invitation, token=token)


def reissue_invitation(db: Session, ctx: GroupContext, invitation_id: int) -> InvitationIssued | None:
    """A new one-time link for an invitation still open (``None`` when it was used or is gone).

    The answer to an invitation form sent twice: the browser shows only the last answer, so the link shown to the
    organizer must work — the invitation gets a new token and the first, never shown, stops working.
    """
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.group_id != ctx.group_id or invitation.used_at is not None:
        return None
    token = new_invitation_token()
    invitation.token_hash = invitation_token_hash(token)
    db.add(invitation)
    db.flush()
    return InvitationIssued(invitation=invitation, token=token)


def invite_member(db: Session, ctx: GroupContext, settings: Settings, data: dict[str, Any], ip: str
                  ) -> InvitationIssued:
    """Invite someone into the group with a one-time, expiring link."""
    if not can_manage_members(ctx.actor):
        raise NotAllowed("Only organizers invite members.")
    email = normalise_email(data.get("email"))
    display_name = clean_line(data.get("display_name"))
    country = clean_line(data.get("country")).upper()
    role = clean_line(data.get("role")) or Role.MEMBER.value
    errors: dict[str, str] = {}
    if problem := check_email(email):
        errors["email"] = problem
    else:
        existing = find_user_by_email(db, email)
        # A member without a password (imported from an archive) can be sent a link to set one.
        if existing is not None and existing.password_hash and db.exec(select(Membership).where(
                Membership.group_id == ctx.group_id, Membership.user_id == existing.id)).first() is not None:
            errors["email"] = "This person is already a member of the group."
    if problem := check_required(display_name, "the person's name", 120):
        errors["display_name"] = problem
    if problem := check_country(country):
        errors["country"] = problem
    if problem := check_role(role):
        errors["role"] = problem
    if errors:
        raise ValidationFailed(errors)
    issued = _issue_invitation(db, settings, ctx.group_id, ctx.user.id, email, display_name, country, Role(role))
    record(db, "member.invited", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="invitation",
           object_id=issued.invitation.id, ip=ip, role=role)
    return issued


def _membership_of(db: Session, ctx: GroupContext, user_id: int) -> Membership:
    """The membership to change, read under the group's lock: a role change and a removal of the same member (or
    two removals) at once take turns, and the second finds what the first left."""
    if not 0 < user_id <= MAX_ROW_ID:
        raise not_found()
    lock_row(db, WorkingGroup, ctx.group_id)
    membership = db.exec(
        select(Membership).where(Membership.group_id == ctx.group_id, Membership.user_id == user_id)
    ).first()
    if membership is None:
        raise not_found()
    return membership


def change_role(db: Session, ctx: GroupContext, user_id: int, role_value: str, ip: str) -> Membership:
    """Give a member another role; their sessions rotate on the next request."""
    if not can_manage_members(ctx.actor):
        raise NotAllowed("Only organizers change roles.")
    membership = _membership_of(db, ctx, user_id)
    role_value = clean_line(role_value)
    if problem := check_role(role_value):
        raise ValidationFailed({"role": problem})
    role = Role(role_value)
    if not can_change_role(ctx.actor, user_id, role):
        raise NotAllowed("You cannot change your own role; ask another organizer.")
    old = membership.role
    membership.role = role.value
    if role is Role.OBSERVER:
        membership.listed_in_report = False
    elif old == Role.OBSERVER.value:
        # Observers are left off the report's member list; someone who stops observing is listed like any member.
        membership.listed_in_report = True
    db.add(membership)
    user = db.get(User, user_id)
    if user is not None:
        user.auth_version += 1
        db.add(user)
    record(db, "member.role_changed", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="user",
           object_id=user_id, ip=ip, old=old, new=role.value)
    return membership


def remove_member(db: Session, ctx: GroupContext, user_id: int, ip: str) -> None:
    """Take a member out of the group and its subgroups; it takes effect on their next request."""
    if not can_manage_members(ctx.actor):
        raise NotAllowed("Only organizers remove members.")
    membership = _membership_of(db, ctx, user_id)
    if not can_remove_member(ctx.actor, user_id):
        raise NotAllowed("You cannot remove yourself; ask another organizer.")
    subgroup_ids = select(Subgroup.id).where(Subgroup.group_id == ctx.group_id)
    db.exec(delete(SubgroupMember).where(
        col(SubgroupMember.user_id) == user_id, col(SubgroupMember.subgroup_id).in_(subgroup_ids)))
    db.delete(membership)
    user = db.get(User, user_id)
    if user is not None:
        user.auth_version += 1
        db.add(user)
    record(db, "member.removed", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="user",
           object_id=user_id, ip=ip, role=membership.role)


def _subgroup_fields(db: Session, ctx: GroupContext, data: dict[str, Any], current: Subgroup | None
                     ) -> tuple[str, str]:
    name = clean_line(data.get("name"))
    mandate = strip_controls(str(data.get("mandate") or "")).strip()
    errors: dict[str, str] = {}
    if problem := check_required(name, "the subgroup's name", 200):
        errors["name"] = problem
    else:
        lock_row(db, WorkingGroup, ctx.group_id)  # the same name created twice at once: the second is told
        clash = db.exec(select(Subgroup).where(Subgroup.group_id == ctx.group_id, Subgroup.name == name)).first()
        if clash is not None and (current is None or clash.id != current.id):
            errors["name"] = "Another subgroup already has this name."
    if problem := check_optional(mandate, "the mandate", 5000):
        errors["mandate"] = problem
    if errors:
        raise ValidationFailed(errors)
    return name, mandate


def get_subgroup(db: Session, ctx: GroupContext, subgroup_id: int) -> Subgroup:
    """A subgroup of this group, or 404 (ids of other groups' subgroups find nothing)."""
    subgroup = db.get(Subgroup, subgroup_id) if 0 < subgroup_id <= MAX_ROW_ID else None
    if subgroup is None or subgroup.group_id != ctx.group_id:
        raise not_found()
    return subgroup


def create_subgroup(db: Session, ctx: GroupContext, data: dict[str, Any], ip: str) -> Subgroup:
    """Add a subgroup with a name and mandate."""
    if not can_manage_subgroups(ctx.actor):
        raise NotAllowed("Only organizers create subgroups.")
    name, mandate = _subgroup_fields(db, ctx, data, None)
    count = len(db.exec(select(Subgroup.id).where(Subgroup.group_id == ctx.group_id)).all())
    subgroup = Subgroup(group_id=ctx.group_id, name=name, mandate=mandate, position=count)
    db.add(subgroup)
    db.flush()
    record(db, "subgroup.created", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="subgroup",
           object_id=subgroup.id, ip=ip)
    return subgroup


def update_subgroup(db: Session, ctx: GroupContext, subgroup: Subgroup, data: dict[str, Any], ip: str) -> Subgroup:
    """Rename a subgroup or change its mandate."""
    if not can_manage_subgroups(ctx.actor):
        raise NotAllowed("Only organizers edit subgroups.")
    subgroup.name, subgroup.mandate = _subgroup_fields(db, ctx, data, subgroup)
    db.add(subgroup)
    record(db, "subgroup.updated", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="subgroup",
           object_id=subgroup.id, ip=ip)
    return subgroup


def set_subgroup_members(db: Session, ctx: GroupContext, subgroup: Subgroup, member_ids: list[int],
                         chair_ids: list[int], ip: str) -> None:
    """Replace a subgroup's members and chairs (chairs are always members; all must belong to the group)."""
    if not can_manage_subgroups(ctx.actor):
        raise NotAllowed("Only organizers change subgroup membership.")
    lock_row(db, Subgroup, subgroup.id or 0)  # the same change twice at once: the second finds it made
    wanted = set(member_ids) | set(chair_ids)
    roles = dict(db.exec(select(Membership.user_id, Membership.role).where(Membership.group_id == ctx.group_id)).all())
    errors: dict[str, str] = {}
    if set(member_ids) - set(roles):
        errors["members"] = "Only members of the working group can join a subgroup."
    if set(chair_ids) - set(roles):
        errors["chairs"] = "Only members of the working group can chair a subgroup."
    elif any(roles[uid] != Role.MEMBER.value for uid in chair_ids):
        # Chairs decide on their subgroup's work; only signatory members can (co-chairs decide everywhere anyway).
        errors["chairs"] = ("A subgroup's chair must have the role member "
                            "(advisers, observers and organizers cannot chair).")
    if errors:
        raise ValidationFailed(errors)
    old_rows = db.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == subgroup.id)).all()
    old = {row.user_id: row.is_chair for row in old_rows}
    new = {uid: uid in set(chair_ids) for uid in wanted}
    if old == new:
        return
    for row in old_rows:
        if row.user_id not in new:
            db.delete(row)
        elif row.is_chair != new[row.user_id]:
            row.is_chair = new[row.user_id]
            db.add(row)
    for uid, is_chair in new.items():
        if uid not in old:
            db.add(SubgroupMember(subgroup_id=subgroup.id or 0, user_id=uid, is_chair=is_chair))
    changed = {uid for uid in set(old) | set(new) if old.get(uid) != new.get(uid)}
    for user in db.exec(select(User).where(col(User.id).in_(changed))).all():
        user.auth_version += 1
        db.add(user)
    record(db, "subgroup.members_set", actor_id=ctx.user.id, group_id=ctx.group_id, object_type="subgroup",
           object_id=subgroup.id, ip=ip, members=sorted(new), chairs=sorted(u for u, c in new.items() if c))
