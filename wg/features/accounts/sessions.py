"""Server-side sessions and CSRF tokens.

The cookie carries a random token; the table keeps only its sha256, so a database leak yields no usable cookie.
A token the server never issued is never adopted: it simply finds no row. Login always issues a fresh token, and
a session issued before the user's last role or membership change is rotated on its next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, delete

from wg.db import Database
from wg.models import User, WebSession, utcnow

SESSION_COOKIE = "wg_session"
CSRF_COOKIE = "wg_csrf"
# Refresh last_seen_at (one write) at most this often per session.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class AuthState:
    """What the session middleware learned about a request, and the cookies it must set on the way out."""

    user: User | None = None
    session_id: str | None = None
    csrf_seed: str = ""
    new_session_token: str | None = None
    clear_session: bool = False
    new_csrf_seed: bool = False


def issue_session(db: Session, user: User, max_age: int) -> str:
    """Create a session for ``user`` and return the cookie token (the caller commits)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(WebSession(id=_digest(token), user_id=user.id or 0, auth_version=user.auth_version,
                      created_at=now, last_seen_at=now, expires_at=now + dt.timedelta(seconds=max_age)))
    return token


def end_session(db: Session, session_id: str | None) -> None:
    """Delete a session so its cookie is dead everywhere (the caller commits)."""
    if session_id:
        db.exec(delete(WebSession).where(col(WebSession.id) == session_id))


def end_all_sessions(db: Session, user_id: int) -> None:
    """Delete every session of a user (after a password change)."""
    db.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))


def resolve_session(database: Database, token: str | None, max_age: int) -> AuthState:
    """Find the user behind a cookie token, rotating stale sessions; commits its own small writes.

    Most requests only read. The few that must write (an expired or stale session, the periodic last-seen touch) do
    the lookup again in a write transaction: on SQLite a read transaction that turns into a write fails at once with
    "database is locked" when another writer committed in between, whatever the busy timeout.
    """
    if not token:
        return AuthState()
    with database.session() as db:
        state = _resolve(db, token, max_age, may_write=False)
    if state is None:
        with database.session(write=True) as db:
            state = _resolve(db, token, max_age, may_write=True)
    assert state is not None
    return state


def _resolve(db: Session, token: str, max_age: int, may_write: bool) -> AuthState | None:
    """The lookup behind :func:`resolve_session`; None when it must write and ``may_write`` is False."""
    state = AuthState()
    row = db.get(WebSession, _digest(token))
    now = utcnow()
    if row is None:
        state.clear_session = True
        return state
    user = db.get(User, row.user_id)
    usable = _usable(row, user, now)
    stale = user is not None and row.auth_version != user.auth_version
    touch = now - row.last_seen_at > TOUCH_INTERVAL
    if not may_write and (not usable or stale or touch):
        return None
    if user is None or not usable:
        db.delete(row)
        db.commit()
        state.clear_session = True
        return state
    if stale:
        # The user's roles changed since this session was issued: give it a new id.
        db.delete(row)
        state.new_session_token = issue_session(db, user, max_age)
        db.commit()
        state.session_id = _digest(state.new_session_token)
    else:
        state.session_id = row.id
        if touch:
            row.last_seen_at = now
            db.add(row)
            db.commit()
    state.user = user
    return state


def peek_session(db: Session, token: str) -> tuple[User | None, str | None]:
    """The user and session id behind a cookie token without writing anything; (None, None) unless the session is
    current (known, unexpired, issued after the user's last role change, for an active user)."""
    row = db.get(WebSession, _digest(token))
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not _usable(row, user, utcnow()) or row.auth_version != user.auth_version:
        return None, None
    return user, row.id


def _usable(row: WebSession, user: User | None, now: dt.datetime) -> bool:
    """A session of an active user that has not expired."""
    return user is not None and user.is_active and row.expires_at > now


def session_id_for(token: str) -> str:
    """The stored id of a cookie token."""
    return _digest(token)


def new_csrf_seed() -> str:
    """A random value for the CSRF cookie."""
    return secrets.token_urlsafe(24)


def csrf_token(secret_key: str, csrf_seed: str, session_id: str | None) -> str:
    """The CSRF token for this browser and session: another session's token never matches."""
    message = f"{csrf_seed}|{session_id or ''}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_token_valid(secret_key: str, csrf_seed: str, session_id: str | None, given: str | None) -> bool:
    """Constant-time check of a submitted CSRF token."""
    if not given or not csrf_seed:
        return False
    return hmac.compare_digest(csrf_token(secret_key, csrf_seed, session_id), given)
