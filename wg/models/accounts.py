"""Users, their browser sessions, invitations and failed logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class User(SQLModel, table=True):
    """A person: a member of one or more working groups, or a platform admin."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    display_name: str = Field(max_length=120)
    native_name: str = Field(default="", max_length=120)
    country: str = Field(default="", max_length=2)
    affiliation: str = Field(default="", max_length=200)
    sector: str = Field(default="", max_length=40)
    time_zone: str = Field(default="UTC", max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)
    is_admin: bool = Field(default=False)
    is_active: bool = Field(default=True)
    consents_to_attribution: bool = Field(default=False)
    # Bumped on every change of role or group membership; sessions issued before it are rotated.
    auth_version: int = Field(default=1)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A server-side browser session; the cookie carries a random token, the table only its sha256."""

    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    auth_version: int = Field(default=1)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A one-time, expiring link an organizer gives to a new member."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_groups.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=120)
    country: str = Field(default="", max_length=2)
    role: str = Field(max_length=20)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed password check (login or change of password): the throttle counts them per account and address,
    per account and per address within the throttling window; rows older than the window are pruned."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account_at", "account", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=300)  # the normalised e-mail address tried (hashed when absurdly long)
    address: str = Field(max_length=64)  # the client's address
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FailedLoginTally(SQLModel, table=True):
    """Refused logins from one address at one account within one hour, counted in one row (the audit of failed
    logins: one row per attempt let anonymous clients grow the database without limit). Pruned after
    ``WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS``."""

    __tablename__ = "failed_login_tallies"
    __table_args__ = (
        UniqueConstraint("window_start", "address", "email_hash", name="uq_failed_login_tallies_window_address_email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    window_start: dt.datetime = Field(sa_type=UTCDateTime)  # the hour the attempts fell in
    address: str = Field(max_length=64)
    # The keyed hash of the e-mail address tried (never the address itself); "*" gathers an address's attempts at
    # accounts beyond the first few of the hour, so one client adds a bounded number of rows whatever it types.
    email_hash: str = Field(max_length=20)
    user_id: int | None = Field(default=None)  # the account tried, when it exists
    failed: int = 0  # passwords checked and found wrong
    throttled: int = 0  # attempts refused unchecked, as too early
    first_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
