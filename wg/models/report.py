"""The report's front matter, and every export made of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class ReportSettings(SQLModel, table=True):
    """What the organizer sets for the report's opening pages, and whether the report is final."""

    __tablename__ = "report_settings"
    __table_args__ = (UniqueConstraint("group_id", name="uq_report_settings_group"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", ondelete="CASCADE")
    title: str = Field(default="", max_length=300)
    subtitle: str = Field(default="", max_length=300)
    series_line: str = Field(default="", max_length=300)
    date_line: str = Field(default="", max_length=100)
    acknowledgements: str = Field(default="", sa_column=Column(Text, nullable=False))
    foreword: str = Field(default="", sa_column=Column(Text, nullable=False))
    executive_summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    disclaimer: str = Field(default="", sa_column=Column(Text, nullable=False))
    paper_size: str = Field(default="A4", max_length=10)
    about_host: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    funders: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    advisers_heading: str = Field(default="Advisers", max_length=60, sa_column_kwargs={"server_default": "Advisers"})
    finalised_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalised_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReportLogo(SQLModel, table=True):
    """The host organisation's logo for the report's cover: a re-encoded PNG or a sanitised SVG (wg.lib.images).

    A table of its own so that the front-matter row, read on many pages, never carries the image's bytes.
    """

    __tablename__ = "report_logos"
    __table_args__ = (UniqueConstraint("group_id", name="uq_report_logos_group"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", ondelete="CASCADE")
    media_type: str = Field(max_length=40)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: For an SVG: the same logo drawn as a PNG (wg.lib.svg_raster), which the DOCX shows where SVG is not read.
    #: None for a PNG logo, and for an SVG stored before migration 0009 until the front matter is saved again.
    png_fallback: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    width_px: int = Field(default=0)
    height_px: int = Field(default=0)
    sha256: str = Field(default="", max_length=64)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Export(SQLModel, table=True):
    """One export job and, once done, its file under the exports folder with its sha256.

    A job is ``queued``, then ``running`` under a lease (``lease_owner`` is the app process rendering it and
    renews ``lease_until`` while it works; an expired lease means that process died), then ``done`` or
    ``failed``. A job ``coalesced_into`` another one does not render: it takes the result of that identical job
    (same group, report version, profile and format). ``queue_seconds`` is the wait from the request to the start
    of the render that made its file; ``render_seconds`` that render's own time (0 for a stored file reused).
    """

    __tablename__ = "exports"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    profile: str = Field(max_length=20)
    format: str = Field(max_length=10)
    report_version: str = Field(default="", max_length=40, index=True)
    status: str = Field(default="queued", max_length=20, index=True)
    error: str = Field(default="", max_length=1000)
    path: str = Field(default="", max_length=500)
    sha256: str = Field(default="", max_length=64)
    size: int = Field(default=0)
    pages: int | None = Field(default=None)
    render_seconds: float | None = Field(default=None)
    draft: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    queue_seconds: float | None = Field(default=None)
    attempts: int = Field(default=0)
    lease_owner: str = Field(default="", max_length=100)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    coalesced_into: int | None = Field(default=None, foreign_key="exports.id", index=True, ondelete="SET NULL")
