"""Field checks shared by every form and API body: each returns an error message or None."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from wg.lib.countries import COUNTRIES
from wg.lib.markdown import BIDI_CONTROLS, clean_text
from wg.models.enums import Role

EMAIL_RE = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
SECTORS = ("academia", "think tank", "government", "business", "civil society", "media", "other")
_TIMEZONES: frozenset[str] | None = None


def strip_controls(value: str) -> str:
    """Drop control characters (keeping newlines and tabs), surrogates and non-characters; normalise newlines."""
    return clean_text(value)


def clean_line(value: object) -> str:
    """A one-line text field: controls dropped, whitespace collapsed and trimmed."""
    text = strip_controls(str(value or ""))
    return " ".join(text.split())


def check_required(value: str, label: str, max_length: int) -> str | None:
    """Error when a required one-line field is empty or too long."""
    if not value:
        return f"Enter {label}."
    if len(value) > max_length:
        return f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer."
    return None


def check_optional(value: str, label: str, max_length: int) -> str | None:
    """Error when an optional field is too long."""
    if len(value) > max_length:
        return f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer."
    return None


def check_direction(value: str, label: str) -> str | None:
    """Error when a title or name holds a bidirectional override, embedding or isolate (U+202A–U+202E,
    U+2066–U+2069): it would print in another order than the one typed."""
    match = BIDI_CONTROLS.search(value)
    if match is None:
        return None
    return (f"{label[0].upper()}{label[1:]} contains an invisible direction control (U+{ord(match.group(0)):04X}) "
            "that would make it print in another order than typed. Remove it and type the text again.")


def check_email(value: str) -> str | None:
    """Error for a missing or malformed e-mail address."""
    if not value:
        return "Enter an e-mail address."
    if len(value) > 254 or not EMAIL_RE.match(value):
        return "Enter an e-mail address in the right format, like name@example.org."
    return None


def normalise_email(value: object) -> str:
    """Trim and lower-case an e-mail address."""
    return clean_line(value).lower()


def check_country(value: str, required: bool = True) -> str | None:
    """Error for an unknown ISO 3166-1 alpha-2 code."""
    if not value:
        return "Choose a country." if required else None
    if value.upper() not in COUNTRIES:
        return "Choose a country from the list (an ISO 3166 two-letter code such as US, JP or KR)."
    return None


def check_time_zone(value: str) -> str | None:
    """Error for a time zone not in the IANA database."""
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    if value not in _TIMEZONES:
        return "Choose a time zone from the list, such as Asia/Tokyo."
    return None


def all_time_zones() -> list[str]:
    """Every IANA time zone, sorted."""
    check_time_zone("UTC")
    return sorted(_TIMEZONES or ())


def check_role(value: str) -> str | None:
    """Error for a role wg does not know."""
    if value not in {r.value for r in Role}:
        return "Choose a role: organizer, co-chair, member, adviser or observer."
    return None


def check_sector(value: str) -> str | None:
    """Error for a sector outside the list."""
    if value and value not in SECTORS:
        return "Choose a sector from the list."
    return None


def check_slug(value: str) -> str | None:
    """Error for a group address that is not lower-case letters, digits and hyphens."""
    if not value:
        return "Enter a short address for the group."
    if not SLUG_RE.match(value):
        return "Use 1–60 lower-case letters, digits and hyphens, not starting or ending with a hyphen."
    return None
