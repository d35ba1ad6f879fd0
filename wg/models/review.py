"""Review events (submissions and chairs' decisions), members' positions and in-app notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class ReviewEvent(SQLModel, table=True):
    """A submission or a decision on one revision of a section or recommendation; append-only.

    ``kind`` is "submit", "approve" or "request-changes". The state of an item is derived from its newest event
    and its current revision, never stored. A section approval keeps the ``fingerprint`` of what it approved
    (the section's revision and each recommendation's revision), so any later change re-opens it.
    """

    __tablename__ = "review_events"
    __table_args__ = (Index("ix_review_events_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    target_type: str = Field(max_length=20)
    target_id: int
    rev_no: int
    kind: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    deadline: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    fingerprint: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Position(SQLModel, table=True):
    """A member's current position on a recommendation (changes are in the audit log)."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("recommendation_id", "user_id", name="uq_position_rec_user"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    recommendation_id: int = Field(foreign_key="recommendations.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    stance: str = Field(max_length=20)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    """An in-app notification; ``dedupe_key`` keeps reminders from being sent twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),
        UniqueConstraint("dedupe_key", name="uq_notification_dedupe"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=30)
    message: str = Field(max_length=500)
    link: str = Field(default="", max_length=300)
    dedupe_key: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
