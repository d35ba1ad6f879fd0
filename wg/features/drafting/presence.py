"""Who else has a text's editor open, and whether a revision was saved since one's own editor opened.

An open editor posts a heartbeat every ``WG_PRESENCE_INTERVAL`` seconds (htmx polling, no websockets); the answer
names the others whose heartbeat is fresher than :func:`expiry` and the head revision. The heartbeats live in the
database (one row per person and text, overwritten), so every app process sees the same people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from wg.features.drafting.targets import Target, head_revision
from wg.models import EditorHeartbeat, User, utcnow

MIN_EXPIRY_SECONDS = 30
PRUNE_AFTER = dt.timedelta(minutes=10)


def expiry(interval: int) -> dt.timedelta:
    """How long a heartbeat counts: three missed polls, and never less than 30 seconds."""
    return dt.timedelta(seconds=max(MIN_EXPIRY_SECONDS, 3 * interval))


@dataclass(frozen=True)
class Presence:
    """What an open editor shows: the others editing the text and the revision saved since it opened, if any."""

    others: tuple[User, ...]
    base_rev_no: int
    head_rev_no: int
    head_author: str = ""  # who saved the newest revision, when it is newer than the editor's

    @property
    def newer_revision(self) -> bool:
        """True when someone saved a revision after this editor opened."""
        return self.head_rev_no > self.base_rev_no > 0


def beat(db: Session, target: Target, user_id: int, base_rev_no: int, now: dt.datetime | None = None) -> None:
    """Record that ``user_id`` has the editor of ``target`` open (an upsert: simultaneous beats never collide on
    either database). The caller commits."""
    values = {"group_id": target.group_id, "target_type": target.kind, "target_id": target.id, "user_id": user_id,
              "base_rev_no": max(base_rev_no, 0), "seen_at": now or utcnow()}
    table = EditorHeartbeat.__table__  # type: ignore[attr-defined]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(**values)
    db.execute(insert.on_conflict_do_update(
        index_elements=["target_type", "target_id", "user_id"],
        set_={"seen_at": insert.excluded.seen_at, "base_rev_no": insert.excluded.base_rev_no}))


def leave(db: Session, target: Target, user_id: int) -> None:
    """Forget ``user_id``'s editor of ``target`` (after a save: the page they see next is not the editor)."""
    db.exec(delete(EditorHeartbeat).where(
        col(EditorHeartbeat.target_type) == target.kind, col(EditorHeartbeat.target_id) == target.id,
        col(EditorHeartbeat.user_id) == user_id))


def presence(db: Session, target: Target, user_id: int, base_rev_no: int, interval: int,
             now: dt.datetime | None = None) -> Presence:
    """The others with the editor of ``target`` open now, and the head revision to compare with ``base_rev_no``."""
    since = (now or utcnow()) - expiry(interval)
    others = db.exec(
        select(User).join(EditorHeartbeat, col(EditorHeartbeat.user_id) == col(User.id))
        .where(EditorHeartbeat.target_type == target.kind, EditorHeartbeat.target_id == target.id,
               col(EditorHeartbeat.user_id) != user_id, col(EditorHeartbeat.seen_at) >= since)
        .order_by(col(User.display_name))).all()
    head = head_revision(db, target)
    head_rev_no = head.rev_no if head else 0
    author = db.get(User, head.author_id) if head and head.author_id and head_rev_no > base_rev_no else None
    return Presence(tuple(others), base_rev_no, head_rev_no, author.display_name if author else "")


def prune_heartbeats(db: Session, now: dt.datetime | None = None) -> int:
    """Delete heartbeats of editors closed long ago (the periodic sweep's chore); returns how many. The caller
    commits."""
    cutoff = (now or utcnow()) - PRUNE_AFTER
    result = db.exec(delete(EditorHeartbeat).where(col(EditorHeartbeat.seen_at) < cutoff))
    return int(result.rowcount or 0)
