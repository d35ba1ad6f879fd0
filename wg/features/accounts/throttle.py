"""Throttling password guesses without locking the owner out, counted in the database so every app process agrees.

Every failed password check (a login, or the current password when changing it) is one row naming the account tried
and the client's address. Before a password is checked, three counts decide how long the client must wait first:

* **this account from this address** (over the last 24 hours): ``WG_LOGIN_MAX_FAILURES`` (5) free failures, then a
  wait after each further one that doubles from 15 seconds up to the throttling window (15 minutes). A guesser at
  one address is slowed to a few guesses an hour; the owner who mistyped five times waits 15 seconds, and a
  success from an address wipes that address's failures for the account.
* **this account from anywhere** (within the window): past 4 × 5 failures the account is under attack, and an
  address that has failed against it gets one guess per window. An address that has not failed is still checked,
  so the owner logging in from their own address is admitted at once with the right password, whatever is being
  tried against the account elsewhere.
* **this address at any account** (within the window): past 4 × 5 failures the address is paced, a wait doubling
  every 4 failures up to one minute, for every account — it slows one client spraying many accounts, and cannot
  lock anyone out for longer than that minute once the spraying stops.

Refused attempts (too early) are not checked and not counted. The trade-off is in docs/decisions.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, delete, select

from wg.db import lock_key
from wg.models import LoginFailure, utcnow

ACCOUNT_CAP_FACTOR = 4  # an account is under attack past this many times the free failures, from all addresses
PER_ADDRESS_FACTOR = 4  # an address is paced past this many times the free failures, at all accounts
FIRST_DELAY_SECONDS = 15  # the wait after the last free failure of an account at an address; it doubles each time
ADDRESS_DELAY_STEP = 4  # the address's wait doubles every this many failures …
ADDRESS_MAX_DELAY_SECONDS = 60  # … up to this
PAIR_MEMORY = dt.timedelta(hours=24)  # how long an address's failures at an account count
MAX_KEY_PART = 254  # the longest e-mail address; the account column holds 300 characters
MAX_ADDRESS = 64


def _bounded(value: str, limit: int) -> str:
    # Anyone can type a 10,000-character "e-mail address" into the login form; it must still fit the column.
    return value if len(value) <= limit else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def account_key(email: str) -> str:
    """How an account is named in the failure rows: its normalised e-mail address (hashed when absurdly long)."""
    return _bounded(email.strip().lower(), MAX_KEY_PART)


def address_key(ip: str) -> str:
    """How an address is named in the failure rows."""
    return _bounded(ip, MAX_ADDRESS)


def _failures(db: Session, since: dt.datetime, *conditions: ColumnElement[bool]) -> tuple[int, dt.datetime | None]:
    query = select(func.count(), func.max(LoginFailure.at)).where(col(LoginFailure.at) >= since, *conditions)
    count, last = db.exec(query).one()
    return int(count or 0), last


def wait_seconds(db: Session, email: str, ip: str, max_failures: int, window_seconds: int) -> int:
    """How many seconds this address must wait before a password for this account is checked (0: check it now)."""
    now = utcnow()
    window = dt.timedelta(seconds=window_seconds)
    acct, addr = account_key(email), address_key(ip)
    pair_n, pair_last = _failures(db, now - PAIR_MEMORY,
                                  col(LoginFailure.account) == acct, col(LoginFailure.address) == addr)
    acct_n, _ = _failures(db, now - window, col(LoginFailure.account) == acct)
    addr_n, addr_last = _failures(db, now - window, col(LoginFailure.address) == addr)
    until = now
    if pair_last is not None and pair_n >= max_failures:
        delay = FIRST_DELAY_SECONDS * 2 ** min(pair_n - max_failures, 20)
        until = max(until, pair_last + min(dt.timedelta(seconds=delay), window))
    if pair_last is not None and acct_n >= max_failures * ACCOUNT_CAP_FACTOR:
        until = max(until, pair_last + window)
    address_free = max_failures * PER_ADDRESS_FACTOR
    if addr_last is not None and addr_n >= address_free:
        delay = min(2 ** min((addr_n - address_free) / ADDRESS_DELAY_STEP, 20), ADDRESS_MAX_DELAY_SECONDS)
        until = max(until, addr_last + dt.timedelta(seconds=delay))
    return math.ceil((until - now).total_seconds())


def hold(db: Session, email: str, ip: str) -> None:
    """Take this account's and this address's turn until the transaction ends, so that simultaneous attempts are
    counted one after another: each then sees the failures of those before it (a burst of guesses gets no more
    checks than guesses made one by one).

    PostgreSQL: transaction-scoped advisory locks, taken in a fixed order. SQLite: nothing to do — wg's write
    transactions start with ``BEGIN IMMEDIATE`` and so already run one at a time.
    """
    for key in sorted({"login-account:" + account_key(email), "login-address:" + address_key(ip)}):
        lock_key(db, key)


def record_failure(db: Session, email: str, ip: str) -> None:
    """Count an attempt as a failure before its password is checked (:func:`forget_address` takes it back).

    The caller commits at once and checks the password outside the transaction: the slow Argon2 check does not
    hold SQLite's write lock (saves would queue behind every login), yet parallel guesses still each count.
    """
    db.add(LoginFailure(account=account_key(email), address=address_key(ip)))
    db.flush()


def forget_address(db: Session, email: str, ip: str) -> None:
    """After the right password: forget this address's failures at this account (the owner's own typing).

    Failures from other addresses stay: the owner logging in does not give a guesser elsewhere a fresh start.
    """
    db.exec(delete(LoginFailure).where(col(LoginFailure.account) == account_key(email),
                                       col(LoginFailure.address) == address_key(ip)))


def prune(db: Session, window_seconds: int, now: dt.datetime | None = None) -> int:
    """Delete failures too old to count for anything; returns how many (the caller commits)."""
    cutoff = (now or utcnow()) - max(PAIR_MEMORY, dt.timedelta(seconds=window_seconds))
    result = db.exec(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
    return int(result.rowcount or 0)


def describe_wait(seconds: int) -> str:
    """A wait as people say it: "15 seconds", "4 minutes"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
