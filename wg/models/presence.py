"""Who has an editor open: one heartbeat row per person and text, overwritten every poll."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class EditorHeartbeat(SQLModel, table=True):
    """The last time a person's open editor of a section or recommendation said it was still open.

    Kept in the database so that several app processes agree on who is editing; one row per (user, text), upserted
    by every heartbeat; rows older than a few minutes are deleted by the periodic sweep.
    """

    __tablename__ = "editor_heartbeats"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "user_id", name="uq_editor_heartbeats_target_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", ondelete="CASCADE")
    target_type: str = Field(max_length=20)
    target_id: int
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    base_rev_no: int = 0  # the revision the editor started from
    seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
