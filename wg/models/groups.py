"""Working groups, memberships and subgroups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class WorkingGroup(SQLModel, table=True):
    """A track-II working group run by a host organisation."""

    __tablename__ = "working_groups"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(60), unique=True, nullable=False))
    name: str = Field(max_length=200)
    host_organisation: str = Field(default="", max_length=200)
    countries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attribution_mode: str = Field(default="none", max_length=10)
    consensus_rule: str = Field(default="each-country", max_length=20)
    state: str = Field(default="active", max_length=20)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A user's role in a working group."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_membership_group_user"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    listed_in_report: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subgroup(SQLModel, table=True):
    """A subgroup of a working group, with a mandate, chairs and members."""

    __tablename__ = "subgroups"
    __table_args__ = (UniqueConstraint("group_id", "name", name="uq_subgroup_group_name"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    mandate: str = Field(default="", max_length=5000)
    position: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SubgroupMember(SQLModel, table=True):
    """A member of a subgroup; chairs are members with ``is_chair``."""

    __tablename__ = "subgroup_members"

    subgroup_id: int = Field(foreign_key="subgroups.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    is_chair: bool = Field(default=False)
