"""Every permission rule of wg, as pure ``can_*`` functions of an :class:`Actor` (no database, no web).

Rules that concern what is inside a working group answer False for anyone who is not a member; the web layer
turns "cannot view the group" into 404 so that non-members learn nothing, and other refusals into 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wg.models.enums import Role


@dataclass(frozen=True)
class Actor:
    """Who is asking, as far as the rules care: admin flag, role in the group, subgroups chaired and joined."""

    user_id: int | None = None
    is_admin: bool = False
    role: Role | None = None
    chairs: frozenset[int] = field(default_factory=frozenset)
    subgroups: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_member(self) -> bool:
        """True for anyone with a role in the group, observers included."""
        return self.role is not None


ANONYMOUS = Actor()


def can_create_group(actor: Actor) -> bool:
    """Only platform admins create working groups."""
    return actor.is_admin


def can_list_all_groups(actor: Actor) -> bool:
    """Platform admins see the list of every group (names and organizers, nothing inside)."""
    return actor.is_admin


def can_view_group(actor: Actor) -> bool:
    """Members in any role see the group; everyone else gets 404 (platform admins included)."""
    return actor.is_member


def can_view_roster(actor: Actor) -> bool:
    """Every member sees who else is in the group."""
    return actor.is_member


def can_manage_members(actor: Actor) -> bool:
    """Organizers invite members, change roles and remove members."""
    return actor.role is Role.ORGANIZER


def can_change_role(actor: Actor, target_user_id: int, new_role: Role) -> bool:
    """Organizers change roles, but never their own (so a group cannot lose its last organizer by accident)."""
    return can_manage_members(actor) and actor.user_id != target_user_id


def can_remove_member(actor: Actor, target_user_id: int) -> bool:
    """Organizers remove members other than themselves."""
    return can_manage_members(actor) and actor.user_id != target_user_id


def can_manage_subgroups(actor: Actor) -> bool:
    """Organizers create subgroups and set their mandate, chairs and members."""
    return actor.role is Role.ORGANIZER


def can_view_subgroup(actor: Actor, subgroup_id: int) -> bool:
    """Every member of the group may read every subgroup (track-II groups work in the open internally)."""
    return actor.is_member


def is_subgroup_chair(actor: Actor, subgroup_id: int) -> bool:
    """True when the actor chairs that subgroup."""
    return actor.is_member and subgroup_id in actor.chairs


def can_view_audit(actor: Actor) -> bool:
    """Organizers read the group's audit log."""
    return actor.role is Role.ORGANIZER


def _group_wide_editor(actor: Actor) -> bool:
    return actor.role in {Role.ORGANIZER, Role.CO_CHAIR}


def can_draft(actor: Actor, subgroup_id: int | None) -> bool:
    """Write in a section: members in their own subgroups' sections; co-chairs and organizers anywhere."""
    if _group_wide_editor(actor):
        return True
    return actor.role is Role.MEMBER and subgroup_id is not None and subgroup_id in actor.subgroups


def can_create_section(actor: Actor, subgroup_id: int | None) -> bool:
    """Add a section: co-chairs and organizers anywhere; a subgroup's chair for that subgroup."""
    if _group_wide_editor(actor):
        return True
    return actor.role is Role.MEMBER and subgroup_id is not None and subgroup_id in actor.chairs


def can_reorder_sections(actor: Actor) -> bool:
    """Change the order of the report's sections."""
    return _group_wide_editor(actor)


def can_move_recommendation(actor: Actor, from_subgroup_id: int | None, to_subgroup_id: int | None) -> bool:
    """Move a recommendation between sections: drafting rights on both sides."""
    return can_draft(actor, from_subgroup_id) and can_draft(actor, to_subgroup_id)


def can_comment(actor: Actor) -> bool:
    """Comment: every member, adviser, chair, co-chair and organizer; observers only read."""
    return actor.is_member and actor.role is not Role.OBSERVER


def can_resolve_comment(actor: Actor, comment_author_id: int | None, subgroup_id: int | None) -> bool:
    """Resolve or reopen a comment thread: its author, the subgroup's chair, co-chairs and organizers."""
    if not can_comment(actor):
        return False
    if _group_wide_editor(actor) or (actor.user_id is not None and actor.user_id == comment_author_id):
        return True
    return subgroup_id is not None and subgroup_id in actor.chairs


def can_submit_for_review(actor: Actor, subgroup_id: int | None) -> bool:
    """Submit a recommendation for the chair's review: whoever may draft it."""
    return can_draft(actor, subgroup_id)


def can_decide(actor: Actor, subgroup_id: int | None) -> bool:
    """Approve or request changes: the chair of the owning subgroup; the co-chairs for anything."""
    if actor.role is Role.CO_CHAIR:
        return True
    return actor.role is Role.MEMBER and subgroup_id is not None and subgroup_id in actor.chairs


def can_take_position(actor: Actor) -> bool:
    """Record a position: the signatories (members and co-chairs); advisers, observers and organizers do not sign."""
    return actor.role in {Role.MEMBER, Role.CO_CHAIR}


def can_reopen(actor: Actor, subgroup_id: int | None) -> bool:
    """Move an approved recommendation back to review: whoever may decide on it (its subgroup's chair, co-chairs)."""
    return can_decide(actor, subgroup_id)


def can_ask_to_reopen(actor: Actor) -> bool:
    """Ask the chair to reopen an approved recommendation: the signatories, whose positions it locked."""
    return can_take_position(actor)


def can_view_review_queue(actor: Actor) -> bool:
    """See the chairs' queue: co-chairs and subgroup chairs."""
    return actor.role is Role.CO_CHAIR or (actor.role is Role.MEMBER and bool(actor.chairs))


def can_view_exports(actor: Actor) -> bool:
    """Every member may see and download the group's exports."""
    return actor.is_member


def can_export(actor: Actor) -> bool:
    """Organizers and co-chairs compile the report."""
    return actor.role in {Role.ORGANIZER, Role.CO_CHAIR}


def can_edit_front_matter(actor: Actor) -> bool:
    """Organizers set the title, acknowledgements, foreword and the rest of the front matter."""
    return actor.role is Role.ORGANIZER


def can_finalise_report(actor: Actor) -> bool:
    """Organizers finalise the report (once every section is approved) and can re-open it."""
    return actor.role is Role.ORGANIZER
