"""The audit log as people read it: each event as a sentence ("Maya Chen approved R-3 (2.1), revision 4") with
R-keys, report numbers, titles and names instead of database ids, and its details as short phrases.

``ACTIONS`` is the one place that says how each kind of event reads; an action missing from it is still shown, as
its name in words. The events themselves are unchanged (the CSV export keeps the ids).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from wg.features.report.loader import report_numbers
from wg.features.review.consensus import Stance
from wg.features.review.queries import review_board
from wg.lib.web import localtime
from wg.models import AuditEvent, Comment, Invitation, Role, Subgroup, User, WorkingGroup


@dataclass(frozen=True)
class Ref:
    """Something an event is about, as pages name it: a recommendation's key and report number, a section's or
    subgroup's title, a person's name; ``href`` links to it when it has a page."""

    label: str
    kind: str = ""  # "recommendation" is shown with the rec_key macro; anything else as a plain name or link
    number: str = ""
    href: str = ""


Part = str | Ref


@dataclass(frozen=True)
class AuditLine:
    """One event as the audit page shows it."""

    event: AuditEvent
    actor: str
    sentence: tuple[Part, ...]
    details: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    """How one kind of event reads: a label for the filter and a sentence with ``{placeholders}``.

    ``{actor}`` is the person, ``{object}`` what the event is about; any other placeholder is a detail of the
    event (shown through ``DETAILS`` when it has a phrase there). Details used in the sentence are not repeated.
    """

    label: str
    sentence: str


ACTIONS: dict[str, Action] = {
    # drafting
    "section.created": Action("Section added", "{actor} added {object}"),
    "section.reordered": Action("Section moved", "{actor} moved {object} {direction}"),
    "recommendation.created": Action("Recommendation added", "{actor} added {object}"),
    "recommendation.moved": Action("Recommendation moved", "{actor} moved {object} to {to_section}"),
    "recommendation.reordered": Action("Recommendation moved", "{actor} moved {object} {direction}"),
    "recommendation.withdrawn": Action("Recommendation withdrawn", "{actor} withdrew {object}"),
    "recommendation.reinstated": Action("Recommendation reinstated", "{actor} reinstated {object}"),
    "revision.saved": Action("Text saved", "{actor} saved revision {rev_no} of {object}"),
    "revision.restored": Action("Revision restored",
                                "{actor} restored revision {restored_from} of {object} as revision {rev_no}"),
    "comment.added": Action("Comment added", "{actor} commented on {object}"),
    "comment.resolved": Action("Comment resolved", "{actor} resolved a comment on {object}"),
    "comment.reopened": Action("Comment reopened", "{actor} reopened a comment on {object}"),
    # review
    "recommendation.submitted": Action("Submitted for review", "{actor} submitted {object}, revision {rev_no}"),
    "recommendation.changes_requested": Action("Changes requested",
                                               "{actor} asked for changes to {object}, revision {rev_no}"),
    "recommendation.approved": Action("Recommendation approved", "{actor} approved {object}, revision {rev_no}"),
    "recommendation.reopen_requested": Action("Asked to reopen", "{actor} asked to reopen {object}"),
    "recommendation.reopened": Action("Reopened for review", "{actor} reopened {object} for review"),
    "section.approved": Action("Section approved", "{actor} approved {object}, revision {rev_no}"),
    "position.recorded": Action("Position recorded", "{actor} recorded a position on {object}: {new}"),
    # the group and its people
    "group.created": Action("Group created", "{actor} created the group"),
    "group.imported": Action("Group imported", "The group was imported from an archive"),
    "demo.loaded": Action("Demo loaded", "The demo group was loaded"),
    "member.invited": Action("Member invited", "{actor} invited {object} as {role}"),
    "invitation.accepted": Action("Invitation accepted", "{actor} accepted an invitation and joined as {role}"),
    "member.role_changed": Action("Role changed", "{actor} changed the role of {object} from {old} to {new}"),
    "member.removed": Action("Member removed", "{actor} removed {object} from the group"),
    "subgroup.created": Action("Subgroup created", "{actor} created the subgroup {object}"),
    "subgroup.updated": Action("Subgroup changed", "{actor} changed the subgroup {object}"),
    "subgroup.members_set": Action("Subgroup members set", "{actor} set the members of the subgroup {object}"),
    # the report
    "report.front_matter_saved": Action("Front matter saved", "{actor} saved the report's front matter"),
    "report.finalised": Action("Report finalised", "{actor} marked the report final"),
    "report.reopened": Action("Report reopened", "{actor} reopened the report as a draft"),
    "export.requested": Action("Export requested", "{actor} asked for an export ({profile}, {format})"),
    "export.created": Action("Export finished", "An export for {actor} ({profile}, {format}) {status}"),
    "export.retried": Action("Export retried", "wg tried an interrupted export again"),
    # accounts (events without a group; shown if they ever carry one)
    "login.succeeded": Action("Logged in", "{actor} logged in"),
    "logout": Action("Logged out", "{actor} logged out"),
    "profile.updated": Action("Profile updated", "{actor} updated their profile"),
    "password.changed": Action("Password changed", "{actor} changed their password"),
}

STANCE_WORDS = {s.value: s.label.lower() for s in Stance}
ROLE_WORDS = {r.value: r.label.lower() for r in Role}


def action_label(action: str) -> str:
    """The name of an action kind for people (the filter's choices)."""
    known = ACTIONS.get(action)
    return known.label if known else _words(action)


def _words(name: str) -> str:
    """``recommendation.reopen_requested`` → "Recommendation reopen requested"."""
    text = name.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class _Names:
    """Everything events of one page refer to, loaded in a fixed number of queries (never one per row)."""

    def __init__(self, db: Session, group: WorkingGroup, events: Sequence[AuditEvent]) -> None:
        self.slug = group.slug
        board = review_board(db, group)
        numbers = report_numbers(db, group, board)
        self.recs: dict[int, Ref] = {}
        self.sections: dict[int, Ref] = {}
        for s in board.sections:
            sid = s.view.section.id or 0
            chapter = numbers.chapters.get(sid)
            self.sections[sid] = Ref(f"“{s.view.head.title}”", "section", str(chapter or ""),
                                     f"/g/{group.slug}/sections/{sid}")
            for r in s.view.recommendations:
                rec = r.recommendation
                self.recs[rec.id or 0] = Ref(rec.key, "recommendation", numbers.recs.get(rec.number, ""),
                                             f"/g/{group.slug}/r/{rec.number}")
        ids: dict[str, set[int]] = {"user": set(), "comment": set(), "subgroup": set(), "invitation": set()}
        for e in events:
            if e.object_type in ids and e.object_id.isdigit():
                ids[e.object_type].add(int(e.object_id))
            for key in ("members", "chairs"):
                ids["user"].update(u for u in e.detail.get(key) or () if isinstance(u, int))
        self.users = {u.id or 0: u.display_name for u in db.exec(
            select(User).where(col(User.id).in_(ids["user"])))} if ids["user"] else {}
        self.comments = {c.id or 0: c for c in db.exec(
            select(Comment).where(col(Comment.id).in_(ids["comment"]), Comment.group_id == group.id))
        } if ids["comment"] else {}
        self.subgroups = {g.id or 0: g.name for g in db.exec(
            select(Subgroup).where(col(Subgroup.id).in_(ids["subgroup"]), Subgroup.group_id == group.id))
        } if ids["subgroup"] else {}
        self.invitations = {i.id or 0: i.display_name for i in db.exec(
            select(Invitation).where(col(Invitation.id).in_(ids["invitation"]), Invitation.group_id == group.id))
        } if ids["invitation"] else {}

    def target(self, kind: Any, ident: Any) -> Ref | None:
        """A section or recommendation by its database id."""
        key = int(ident) if str(ident).isdigit() else -1
        if kind == "recommendation":
            return self.recs.get(key)
        if kind == "section":
            return self.sections.get(key)
        return None

    def thing(self, event: AuditEvent) -> Ref | None:
        """What the event is about."""
        kind, ident = event.object_type, event.object_id
        key = int(ident) if ident.isdigit() else -1
        if kind in {"recommendation", "section"}:
            return self.target(kind, ident) or Ref("a deleted item")
        if kind == "comment":
            comment = self.comments.get(key)
            if comment is not None:
                return self.target(comment.target_type, comment.target_id)
            return self.target(event.detail.get("on"), event.detail.get("on_id"))
        if kind == "user":
            return Ref(self.users.get(key, "a former member"))
        if kind == "subgroup":
            return Ref(f"“{self.subgroups[key]}”", "subgroup", href=f"/g/{self.slug}/subgroups/{key}") \
                if key in self.subgroups else Ref("a subgroup")
        if kind == "invitation":
            return Ref(self.invitations.get(key, "someone"))
        return None

    def people(self, ids: Iterable[Any]) -> str:
        """Names of users by id, in the order given."""
        return ", ".join(self.users.get(i, "a former member") for i in ids if isinstance(i, int)) or "nobody"


DetailPhrase = Callable[[Any, _Names, str], str]


def _when(value: Any, tz: str) -> str:
    try:
        return localtime(dt.datetime.fromisoformat(str(value)), tz)
    except ValueError:
        return str(value)


# How each detail of an event reads in the Detail column; "" leaves it out. Details of no interest to a reader
# (a section's fingerprint, a comment's target id, the export's internal version) are not listed.
DETAILS: dict[str, DetailPhrase] = {
    "deadline": lambda v, n, tz: f"review deadline {_when(v, tz)}",
    "outcome": lambda v, n, tz: f"outcome: {v}",
    "previous_outcome": lambda v, n, tz: f"outcome before: {v}",
    "reason": lambda v, n, tz: f"reason: “{v}”",
    "merged_with": lambda v, n, tz: f"merged with revision {v}, saved meanwhile",
    "old": lambda v, n, tz: f"before: {STANCE_WORDS.get(v, ROLE_WORDS.get(v, v))}",
    "role": lambda v, n, tz: f"role: {ROLE_WORDS.get(v, v)}",
    "members": lambda v, n, tz: f"members: {n.people(v)}",
    "chairs": lambda v, n, tz: f"chairs: {n.people(v)}",
    "logo": lambda v, n, tz: "" if v == "kept" else f"logo {v}",
    "slug": lambda v, n, tz: f"address /g/{v}",
    "archive_slug": lambda v, n, tz: f"from the archive of /g/{v}",
    "new_accounts": lambda v, n, tz: f"{v} new account{'s' if v != 1 else ''}",
    "reused": lambda v, n, tz: "the same report was exported before: its file was reused",
    "coalesced_into": lambda v, n, tz: "served by an export already under way",
    "attempt": lambda v, n, tz: f"attempt {v}",
    "rev_no": lambda v, n, tz: f"revision {v}",
    "fingerprint": lambda v, n, tz: "",
    "on": lambda v, n, tz: "",
    "on_id": lambda v, n, tz: "",
    "key": lambda v, n, tz: "",
    "version": lambda v, n, tz: "",
}
# Values placed in a sentence, in words.
SENTENCE_VALUES: dict[str, DetailPhrase] = {
    "new": lambda v, n, tz: STANCE_WORDS.get(v, ROLE_WORDS.get(v, str(v))),
    "old": lambda v, n, tz: STANCE_WORDS.get(v, ROLE_WORDS.get(v, str(v))),
    "role": lambda v, n, tz: ROLE_WORDS.get(v, str(v)),
    "to_section": lambda v, n, tz: (n.target("section", v) or Ref("another section")).label,
    "direction": lambda v, n, tz: {"up": "up", "down": "down"}.get(str(v), str(v)),
    "profile": lambda v, n, tz: {"public": "public report", "internal": "internal draft"}.get(str(v), str(v)),
    "format": lambda v, n, tz: str(v).upper(),
    "status": lambda v, n, tz: {"done": "was ready", "failed": "failed"}.get(str(v), str(v)),
}


def _sentence(template: str, actor: str, thing: Ref | None, event: AuditEvent, names: _Names, tz: str
              ) -> tuple[tuple[Part, ...], set[str]]:
    parts: list[Part] = []
    used: set[str] = set()
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        if field == "actor":
            parts.append(actor)
        elif field == "object":
            parts.append(thing or Ref("something"))
        else:
            used.add(field)
            value = event.detail.get(field)
            if _empty(value):
                parts.append("—")
            else:
                parts.append(SENTENCE_VALUES.get(field, lambda v, n, z: str(v))(value, names, tz))
    return tuple(parts), used


def _details(event: AuditEvent, used: set[str], names: _Names, tz: str) -> tuple[str, ...]:
    phrases = []
    for key, value in sorted(event.detail.items()):
        if key in used or _empty(value):
            continue
        known = DETAILS.get(key)
        phrase = known(value, names, tz) if known else f"{_words(key).lower()}: {value}"
        if phrase:
            phrases.append(phrase)
    return tuple(phrases)


def describe(db: Session, group: WorkingGroup, rows: Sequence[tuple[AuditEvent, User | None]], tz: str
             ) -> list[AuditLine]:
    """Each event of ``rows`` (with its actor) as a sentence and detail phrases, times in zone ``tz``."""
    names = _Names(db, group, [e for e, _ in rows])
    lines = []
    for event, user in rows:
        actor = user.display_name if user is not None else ("wg" if event.actor_id is None else "A former member")
        known = ACTIONS.get(event.action)
        thing = names.thing(event)
        if known is None:
            template = "{actor}: " + _words(event.action).lower() + (" — {object}" if thing else "")
        else:
            template = known.sentence
        sentence, used = _sentence(template, actor, thing, event, names, tz)
        lines.append(AuditLine(event, actor, sentence, _details(event, used, names, tz)))
    return lines
