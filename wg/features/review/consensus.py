"""Consensus rules, outcome labels and additional views: pure functions of the positions (no database, no web).

Who counts: positions are recorded by the group's signatories (members and co-chairs). Advisers and observers do
not sign, and organizers run the process; their positions are never asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wg.lib.countries import country_name


class Stance(StrEnum):
    """A member's position on a recommendation."""

    SUPPORT = "support"
    RESERVATION = "reservation"
    ABSTAIN = "abstain"
    OBJECT = "object"

    @property
    def label(self) -> str:
        """The stance as people say it."""
        return {
            "support": "Support",
            "reservation": "Support with a reservation",
            "abstain": "Abstain",
            "object": "Object",
        }[self.value]

    @property
    def supports(self) -> bool:
        """Support, with or without a reservation."""
        return self in {Stance.SUPPORT, Stance.RESERVATION}

    @property
    def needs_text(self) -> bool:
        """A reservation or objection must say what it is."""
        return self in {Stance.RESERVATION, Stance.OBJECT}


@dataclass(frozen=True)
class PositionFact:
    """One member's position as the rules see it."""

    user_id: int
    country: str
    stance: Stance
    text: str = ""
    name: str = ""
    consents_to_attribution: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether a recommendation meets the group's rule, why not, and the label the report prints."""

    met: bool
    reasons: tuple[str, ...]
    label: str
    supporters: int
    reservations: int
    objections: int
    abstentions: int


def outcome_label(positions: Sequence[PositionFact], met: bool) -> str:
    """ "Consensus", "Consensus with reservations", or "Majority; N members dissent" (empty when not adopted)."""
    if not met:
        return ""
    objections = sum(1 for p in positions if p.stance is Stance.OBJECT)
    if objections:
        return f"Majority; {objections} member{'s' if objections != 1 else ''} dissent{'s' if objections == 1 else ''}"
    if any(p.stance is Stance.RESERVATION for p in positions):
        return "Consensus with reservations"
    return "Consensus"


def evaluate(
    rule: str,
    countries: Sequence[str],
    positions: Sequence[PositionFact],
    member_countries: Iterable[str],
    deadline: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Verdict:
    """Apply a group's consensus rule to the recorded positions.

    ``member_countries`` are the countries of the group's signatories (a participating country with no
    signatory can never supply a supporter, and the reason says so). ``deadline`` is the end of the silence
    procedure for the ``no-objection`` rule.
    """
    supporters = [p for p in positions if p.stance.supports]
    objections = [p for p in positions if p.stance is Stance.OBJECT]
    reservations = [p for p in positions if p.stance is Stance.RESERVATION]
    abstentions = [p for p in positions if p.stance is Stance.ABSTAIN]
    reasons: list[str] = []
    if rule == "each-country":
        present = set(member_countries)
        supported = {p.country for p in supporters}
        for code in countries:
            if code not in present:
                reasons.append(f"No member from {country_name(code)} is in the group, so {country_name(code)} "
                               "cannot support it.")
            elif code not in supported:
                reasons.append(f"No member from {country_name(code)} supports it yet.")
        if objections:
            reasons.append(_objection_reason(len(objections)))
    elif rule == "no-objection":
        if objections:
            reasons.append(_objection_reason(len(objections)))
        if deadline is None:
            reasons.append("The silence procedure has not started: submit it for review to set its deadline.")
        elif (now or dt.datetime.now(dt.UTC)) < deadline:
            reasons.append("The silence procedure is still running until its deadline.")
    elif rule == "majority":
        voting = len(supporters) + len(objections)
        if voting == 0 or len(supporters) * 2 <= voting:
            reasons.append(f"{len(supporters)} of {voting} members who took a side support it; a majority is needed.")
    else:
        reasons.append(f"Unknown consensus rule {rule!r}.")
    met = not reasons
    return Verdict(met=met, reasons=tuple(reasons), label=outcome_label(positions, met), supporters=len(supporters),
                   reservations=len(reservations), objections=len(objections), abstentions=len(abstentions))


def _objection_reason(count: int) -> str:
    return f"{count} member{'s' if count != 1 else ''} object{'s' if count == 1 else ''}."


@dataclass(frozen=True)
class AdditionalView:
    """A reservation or dissent as the report prints it."""

    stance: Stance
    attribution: str
    text: str


def additional_views(positions: Sequence[PositionFact], attribution_mode: str) -> list[AdditionalView]:
    """Reservations and objections as additional views, attributed as the group's mode and each member allow."""
    views: list[AdditionalView] = []
    ordered = sorted((p for p in positions if p.stance.needs_text and p.text.strip()),
                     key=lambda p: (p.stance is Stance.OBJECT, country_name(p.country), p.user_id))
    for p in ordered:
        verb = "dissents" if p.stance is Stance.OBJECT else "adds"
        if attribution_mode == "name" and p.consents_to_attribution and p.name:
            who = p.name
        elif attribution_mode in {"country", "name"} and p.country:
            who = f"A member from {country_name(p.country)}"
        else:
            who = "One member"
        views.append(AdditionalView(stance=p.stance, attribution=f"{who} {verb}:", text=p.text.strip()))
    return views
