"""Enums of the domain: roles, attribution modes, consensus rules, group states."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in a working group."""

    ORGANIZER = "organizer"
    CO_CHAIR = "co-chair"
    MEMBER = "member"
    ADVISER = "adviser"
    OBSERVER = "observer"

    @property
    def label(self) -> str:
        """The role as people say it."""
        return {"co-chair": "Co-chair"}.get(self.value, self.value.capitalize())


class AttributionMode(StrEnum):
    """How exports may attribute text: to no one (Chatham House), to a country, or to a consenting member."""

    NONE = "none"
    COUNTRY = "country"
    NAME = "name"


class ConsensusRule(StrEnum):
    """How a recommendation is adopted."""

    EACH_COUNTRY = "each-country"
    NO_OBJECTION = "no-objection"
    MAJORITY = "majority"


class GroupState(StrEnum):
    """A working group's life cycle."""

    ACTIVE = "active"
    ARCHIVED = "archived"
