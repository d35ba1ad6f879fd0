"""Login throttling per account and per address, counted in the database so every app process agrees."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from wg.models import LoginFailure, utcnow

PER_ADDRESS_FACTOR = 4  # an address may fail this many times more often than one account
MAX_KEY_PART = 254  # the longest e-mail address; the key column holds 300 characters


def _bounded(value: str) -> str:
    # Anyone can type a 10,000-character "e-mail address" into the login form; it must still fit the key column.
    return value if len(value) <= MAX_KEY_PART else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _keys(email: str, ip: str) -> tuple[str, str]:
    return f"acct:{_bounded(email.strip().lower())}", f"ip:{_bounded(ip)}"


def is_throttled(db: Session, email: str, ip: str, max_failures: int, window_seconds: int) -> bool:
    """True when this account or this address failed too often within the window."""
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    acct, addr = _keys(email, ip)
    counts = dict(
        db.exec(
            select(LoginFailure.key, func.count())
            .where(col(LoginFailure.key).in_([acct, addr]), col(LoginFailure.at) >= since)
            .group_by(col(LoginFailure.key))
        ).all()
    )
    return counts.get(acct, 0) >= max_failures or counts.get(addr, 0) >= max_failures * PER_ADDRESS_FACTOR


def record_attempt(db: Session, email: str, ip: str) -> list[int]:
    """Count a login attempt as a failure before its password is checked; returns the rows, for :func:`forget`.

    The caller commits at once and checks the password outside the transaction: the slow Argon2 check no longer
    holds SQLite's write lock (saves used to queue behind every login), yet parallel guesses still each count.
    """
    rows = [LoginFailure(key=key) for key in _keys(email, ip)]
    db.add_all(rows)
    db.flush()
    return [row.id for row in rows if row.id is not None]


def forget(db: Session, ids: list[int]) -> None:
    """Take back the failures :func:`record_attempt` counted, once the password turned out right."""
    if ids:
        db.exec(delete(LoginFailure).where(col(LoginFailure.id).in_(ids)))


def clear_account(db: Session, email: str, window_seconds: int) -> None:
    """Forget an account's failures after a successful login, and prune failures older than the window."""
    acct, _ = _keys(email, "")
    db.exec(delete(LoginFailure).where(col(LoginFailure.key) == acct))
    cutoff = utcnow() - dt.timedelta(seconds=window_seconds)
    db.exec(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
