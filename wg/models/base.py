"""Column types and helpers shared by every table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Set only while the demo replays a group's past (``story_time``): what its steps write is dated to their moment.
# The audit log and revisions are append-only, so the time must be right when the row is written.
_STORY_TIME: ContextVar[dt.datetime | None] = ContextVar("wg_story_time", default=None)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC (the step's moment while the demo replays its history)."""
    return _STORY_TIME.get() or dt.datetime.now(dt.UTC)


@contextmanager
def story_time(when: dt.datetime) -> Iterator[None]:
    """Inside the block, ``utcnow()`` is ``when``: the demo loads weeks of work through the members' operations."""
    token = _STORY_TIME.set(when)
    try:
        yield
    finally:
        _STORY_TIME.reset(token)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC and always hands back an aware UTC datetime, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Normalise to UTC before storing (naive values are taken as UTC)."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
