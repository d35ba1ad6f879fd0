"""The record of refused logins: counted per hour, address and account, and pruned after a retention period.

One audit event per refused login let any anonymous client grow the database without limit (500 rows in 1.6 s).
Now a refused login adds one to a counter in the row for its hour, address and account (the keyed hash of the
e-mail address tried, never the address itself); past :data:`MAX_ACCOUNTS_PER_ADDRESS` accounts in one hour an
address's further attempts share one row (``email_hash`` ``"*"``). So one client adds at most 21 rows an hour
whatever it types, and the periodic sweep deletes rows older than ``WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS``.
Successful logins stay in the append-only audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from wg.models import FailedLoginTally, utcnow

MAX_ACCOUNTS_PER_ADDRESS = 20  # rows of one address in one hour that name an account; the rest share one row
OTHER_ACCOUNTS = "*"


def hour_of(moment: dt.datetime) -> dt.datetime:
    """The start of the hour a moment falls in (the tallies' window)."""
    return moment.replace(minute=0, second=0, microsecond=0)


def tally_refused_login(db: Session, *, ip: str, email_hash: str, user_id: int | None, throttled: bool,
                        now: dt.datetime | None = None) -> None:
    """Count one refused login (``throttled``: refused unchecked, as too early; else a wrong password).

    An upsert, so simultaneous refusals from one client never collide on either database. The caller commits.
    """
    now = now or utcnow()
    window = hour_of(now)
    address = ip[:64]
    known = db.exec(select(FailedLoginTally.email_hash).where(
        FailedLoginTally.window_start == window, FailedLoginTally.address == address,
        FailedLoginTally.email_hash == email_hash)).first()
    if known is None:
        accounts = db.exec(select(func.count()).select_from(FailedLoginTally).where(
            FailedLoginTally.window_start == window, FailedLoginTally.address == address,
            col(FailedLoginTally.email_hash) != OTHER_ACCOUNTS)).one()
        if accounts >= MAX_ACCOUNTS_PER_ADDRESS:
            email_hash, user_id = OTHER_ACCOUNTS, None
    values = {"window_start": window, "address": address, "email_hash": email_hash, "user_id": user_id,
              "failed": 0 if throttled else 1, "throttled": 1 if throttled else 0, "first_at": now, "last_at": now}
    table = FailedLoginTally.__table__  # type: ignore[attr-defined]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(**values)
    db.execute(insert.on_conflict_do_update(
        index_elements=["window_start", "address", "email_hash"],
        set_={"failed": table.c.failed + insert.excluded.failed,
              "throttled": table.c.throttled + insert.excluded.throttled,
              "last_at": insert.excluded.last_at}))


def prune_failed_logins(db: Session, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete tallies whose hour ended more than ``retention_days`` ago (0 keeps them for ever); returns how many.

    The caller commits.
    """
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    result = db.exec(delete(FailedLoginTally).where(col(FailedLoginTally.window_start) < hour_of(cutoff)))
    return int(result.rowcount or 0)
