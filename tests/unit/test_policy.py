"""The permission rules of wg as one table: who (a role in the group) × what (every rule in wg.policy) → allowed.

Adding a ``can_*`` (or ``is_*``) function to wg.policy without rows here fails ``test_every_rule_is_in_the_table``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from wg import policy
from wg.models.enums import Role
from wg.policy import ANONYMOUS, Actor

SELF = 5
OTHER = 6
MY_SUBGROUP = 7
OTHER_SUBGROUP = 8


def _in_group(role: Role, *, chairs: frozenset[int] = frozenset(), subgroups: frozenset[int] = frozenset()) -> Actor:
    return Actor(user_id=SELF, role=role, chairs=chairs, subgroups=subgroups)


ACTORS: dict[str, Actor] = {
    "anonymous": ANONYMOUS,
    "non-member": Actor(user_id=SELF),
    "admin": Actor(user_id=SELF, is_admin=True),  # a platform admin who is not a member of the group
    "observer": _in_group(Role.OBSERVER),
    "adviser": _in_group(Role.ADVISER),
    "member": _in_group(Role.MEMBER, subgroups=frozenset({MY_SUBGROUP})),
    "chair": _in_group(Role.MEMBER, chairs=frozenset({MY_SUBGROUP}), subgroups=frozenset({MY_SUBGROUP})),
    "co-chair": _in_group(Role.CO_CHAIR, subgroups=frozenset({MY_SUBGROUP})),
    "organizer": _in_group(Role.ORGANIZER),
}

# Each action: (the policy function it exercises, how it is called).
ACTIONS: dict[str, tuple[str, Callable[[Actor], bool]]] = {
    "create a group": ("can_create_group", policy.can_create_group),
    "list all groups": ("can_list_all_groups", policy.can_list_all_groups),
    "view the group": ("can_view_group", policy.can_view_group),
    "view the roster": ("can_view_roster", policy.can_view_roster),
    "manage members": ("can_manage_members", policy.can_manage_members),
    "make another member co-chair": ("can_change_role", lambda a: policy.can_change_role(a, OTHER, Role.CO_CHAIR)),
    "demote another member to observer": ("can_change_role",
                                          lambda a: policy.can_change_role(a, OTHER, Role.OBSERVER)),
    "change their own role": ("can_change_role", lambda a: policy.can_change_role(a, SELF, Role.MEMBER)),
    "remove another member": ("can_remove_member", lambda a: policy.can_remove_member(a, OTHER)),
    "remove themselves": ("can_remove_member", lambda a: policy.can_remove_member(a, SELF)),
    "manage subgroups": ("can_manage_subgroups", policy.can_manage_subgroups),
    "view their own subgroup": ("can_view_subgroup", lambda a: policy.can_view_subgroup(a, MY_SUBGROUP)),
    "view another subgroup": ("can_view_subgroup", lambda a: policy.can_view_subgroup(a, OTHER_SUBGROUP)),
    "chair their own subgroup": ("is_subgroup_chair", lambda a: policy.is_subgroup_chair(a, MY_SUBGROUP)),
    "chair another subgroup": ("is_subgroup_chair", lambda a: policy.is_subgroup_chair(a, OTHER_SUBGROUP)),
    "view the audit log": ("can_view_audit", policy.can_view_audit),
    "draft in their subgroup's section": ("can_draft", lambda a: policy.can_draft(a, MY_SUBGROUP)),
    "draft in another subgroup's section": ("can_draft", lambda a: policy.can_draft(a, OTHER_SUBGROUP)),
    "draft in a section of no subgroup": ("can_draft", lambda a: policy.can_draft(a, None)),
    "add a section for their subgroup": ("can_create_section",
                                         lambda a: policy.can_create_section(a, MY_SUBGROUP)),
    "add a section for another subgroup": ("can_create_section",
                                           lambda a: policy.can_create_section(a, OTHER_SUBGROUP)),
    "add a section of no subgroup": ("can_create_section", lambda a: policy.can_create_section(a, None)),
    "reorder sections": ("can_reorder_sections", policy.can_reorder_sections),
    "move a recommendation within their subgroup": (
        "can_move_recommendation", lambda a: policy.can_move_recommendation(a, MY_SUBGROUP, MY_SUBGROUP)),
    "move a recommendation to another subgroup": (
        "can_move_recommendation", lambda a: policy.can_move_recommendation(a, MY_SUBGROUP, OTHER_SUBGROUP)),
    "move a recommendation in from another subgroup": (
        "can_move_recommendation", lambda a: policy.can_move_recommendation(a, OTHER_SUBGROUP, MY_SUBGROUP)),
    "comment": ("can_comment", policy.can_comment),
    "resolve their own comment": ("can_resolve_comment",
                                  lambda a: policy.can_resolve_comment(a, SELF, OTHER_SUBGROUP)),
    "resolve another's comment in their subgroup": (
        "can_resolve_comment", lambda a: policy.can_resolve_comment(a, OTHER, MY_SUBGROUP)),
    "resolve another's comment elsewhere": ("can_resolve_comment",
                                            lambda a: policy.can_resolve_comment(a, OTHER, OTHER_SUBGROUP)),
    "resolve an authorless comment in their subgroup": (
        "can_resolve_comment", lambda a: policy.can_resolve_comment(a, None, MY_SUBGROUP)),
    "submit their subgroup's work for review": ("can_submit_for_review",
                                                lambda a: policy.can_submit_for_review(a, MY_SUBGROUP)),
    "submit another subgroup's work for review": ("can_submit_for_review",
                                                  lambda a: policy.can_submit_for_review(a, OTHER_SUBGROUP)),
    "approve in their subgroup": ("can_decide", lambda a: policy.can_decide(a, MY_SUBGROUP)),
    "approve in another subgroup": ("can_decide", lambda a: policy.can_decide(a, OTHER_SUBGROUP)),
    "approve a section of no subgroup": ("can_decide", lambda a: policy.can_decide(a, None)),
    "record a position": ("can_take_position", policy.can_take_position),
    "reopen an approved item in their subgroup": ("can_reopen", lambda a: policy.can_reopen(a, MY_SUBGROUP)),
    "reopen an approved item in another subgroup": ("can_reopen", lambda a: policy.can_reopen(a, OTHER_SUBGROUP)),
    "ask the chair to reopen an approved item": ("can_ask_to_reopen", policy.can_ask_to_reopen),
    "see the review queue": ("can_view_review_queue", policy.can_view_review_queue),
    "see and download exports": ("can_view_exports", policy.can_view_exports),
    "export the report": ("can_export", policy.can_export),
    "edit the front matter": ("can_edit_front_matter", policy.can_edit_front_matter),
    "finalise the report": ("can_finalise_report", policy.can_finalise_report),
}

# Columns in the order of ACTORS: anonymous, non-member, admin, observer, adviser, member, chair, co-chair,
# organizer. "Y" allowed, "." refused.
TABLE: dict[str, str] = {
    #                                    anon non admin obs adv mem chair co org
    "create a group":                    ". . Y . . . . . .",
    "list all groups":                   ". . Y . . . . . .",
    "view the group":                    ". . . Y Y Y Y Y Y",
    "view the roster":                   ". . . Y Y Y Y Y Y",
    "manage members":                    ". . . . . . . . Y",
    "make another member co-chair":      ". . . . . . . . Y",
    "demote another member to observer": ". . . . . . . . Y",
    "change their own role":             ". . . . . . . . .",
    "remove another member":             ". . . . . . . . Y",
    "remove themselves":                 ". . . . . . . . .",
    "manage subgroups":                  ". . . . . . . . Y",
    "view their own subgroup":           ". . . Y Y Y Y Y Y",
    "view another subgroup":             ". . . Y Y Y Y Y Y",
    "chair their own subgroup":          ". . . . . . Y . .",
    "chair another subgroup":            ". . . . . . . . .",
    "view the audit log":                ". . . . . . . . Y",
    # Drafting: members in their own subgroups; co-chairs and organizers everywhere.
    "draft in their subgroup's section":   ". . . . . Y Y Y Y",
    "draft in another subgroup's section": ". . . . . . . Y Y",
    "draft in a section of no subgroup":   ". . . . . . . Y Y",
    "add a section for their subgroup":    ". . . . . . Y Y Y",
    "add a section for another subgroup":  ". . . . . . . Y Y",
    "add a section of no subgroup":        ". . . . . . . Y Y",
    "reorder sections":                    ". . . . . . . Y Y",
    "move a recommendation within their subgroup":    ". . . . . Y Y Y Y",
    "move a recommendation to another subgroup":      ". . . . . . . Y Y",
    "move a recommendation in from another subgroup": ". . . . . . . Y Y",
    # Comments: everyone in the group but observers; threads are resolved by their author, the chair, the leads.
    "comment":                                         ". . . . Y Y Y Y Y",
    "resolve their own comment":                       ". . . . Y Y Y Y Y",
    "resolve another's comment in their subgroup":     ". . . . . . Y Y Y",
    "resolve another's comment elsewhere":             ". . . . . . . Y Y",
    "resolve an authorless comment in their subgroup": ". . . . . . Y Y Y",
    # Review: whoever drafts submits; the subgroup's chair and the co-chairs decide; signatories take positions.
    "submit their subgroup's work for review":   ". . . . . Y Y Y Y",
    "submit another subgroup's work for review": ". . . . . . . Y Y",
    "approve in their subgroup":                 ". . . . . . Y Y .",
    "approve in another subgroup":               ". . . . . . . Y .",
    "approve a section of no subgroup":          ". . . . . . . Y .",
    "record a position":                         ". . . . . Y Y Y .",
    # Positions lock on approval: signatories ask, the deciders reopen.
    "reopen an approved item in their subgroup":   ". . . . . . Y Y .",
    "reopen an approved item in another subgroup": ". . . . . . . Y .",
    "ask the chair to reopen an approved item":    ". . . . . Y Y Y .",
    "see the review queue":                      ". . . . . . Y Y .",
    # The report: every member sees the exports; the leads export; the organizer edits and finalises.
    "see and download exports":                  ". . . Y Y Y Y Y Y",
    "export the report":                         ". . . . . . . Y Y",
    "edit the front matter":                     ". . . . . . . . Y",
    "finalise the report":                       ". . . . . . . . Y",
}


def _cases() -> list[tuple[str, str, bool]]:
    cases = []
    for action, row in TABLE.items():
        marks = row.split()
        assert len(marks) == len(ACTORS), f"row {action!r} needs one mark per role"
        for who, mark in zip(ACTORS, marks, strict=True):
            cases.append((who, action, mark == "Y"))
    return cases


@pytest.mark.parametrize(("who", "action", "allowed"), _cases())
def test_permission_table(who: str, action: str, allowed: bool) -> None:
    _name, rule = ACTIONS[action]
    assert rule(ACTORS[who]) is allowed


def test_every_rule_is_in_the_table() -> None:
    rules = {
        name for name, fn in inspect.getmembers(policy, inspect.isfunction)
        if fn.__module__ == policy.__name__ and name.startswith(("can_", "is_"))
    }
    covered = {name for name, _ in ACTIONS.values()}
    assert rules == covered
    assert set(TABLE) == set(ACTIONS)
    assert any(name.startswith("can_") for name in rules)
