"""Sections, recommendations, their append-only revisions, and comments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class Section(SQLModel, table=True):
    """A section of the report: group-level (no subgroup) or owned by a subgroup. Its text lives in revisions."""

    __tablename__ = "sections"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    subgroup_id: int | None = Field(default=None, foreign_key="subgroups.id", index=True, ondelete="SET NULL")
    position: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Recommendation(SQLModel, table=True):
    """A recommendation in a section; ``number`` gives its stable key R-<number>, unique in the group for ever."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("group_id", "number", name="uq_recommendation_group_number"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    section_id: int = Field(foreign_key="sections.id", index=True, ondelete="CASCADE")
    number: int
    position: int = Field(default=0)
    withdrawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def key(self) -> str:
        """The stable key members cite, such as R-7."""
        return f"R-{self.number}"


class Revision(SQLModel, table=True):
    """One saved version of a section or recommendation; the database refuses UPDATE and DELETE.

    ``target_type`` is "section" or "recommendation". ``parent_rev_no`` is the revision the author started from;
    ``merged_rev_no`` is set when wg merged the save with another that landed meanwhile.
    """

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "rev_no", name="uq_revision_target_rev"),
        # Covers finding each target's newest revision without reading the texts (migration 0005).
        Index("ix_revisions_group_target_rev", "group_id", "target_type", "target_id", "rev_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", ondelete="CASCADE")
    target_type: str = Field(max_length=20)
    target_id: int
    rev_no: int
    parent_rev_no: int | None = Field(default=None)
    merged_rev_no: int | None = Field(default=None)
    restored_from: int | None = Field(default=None)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False))
    target: str = Field(default="", max_length=40)
    note: str = Field(default="", max_length=300)


class Comment(SQLModel, table=True):
    """A comment on a section or recommendation, optionally a reply and optionally about one paragraph."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    target_type: str = Field(max_length=20)
    target_id: int
    parent_id: int | None = Field(default=None, foreign_key="comments.id", ondelete="CASCADE")
    paragraph: int | None = Field(default=None)
    rev_no: int | None = Field(default=None)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class Mention(SQLModel, table=True):
    """A member @-mentioned in a comment (the inbox reads these)."""

    __tablename__ = "mentions"

    comment_id: int = Field(foreign_key="comments.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
