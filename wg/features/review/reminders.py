"""Review-deadline reminders: once, a notification to everyone concerned when a submitted recommendation's review
deadline is less than 48 hours away.

A sweep creates them, never a page view (no GET writes a row): each app process runs :class:`ReminderSweeper`, a
background thread that sweeps every ``WG_REMINDER_INTERVAL`` seconds (300 by default; 0 turns it off, the default in
tests). The notification's unique ``dedupe_key`` keeps two processes, or two sweeps, from sending one reminder twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from wg.db import Database
from wg.features.review.queries import SUBMISSION_KINDS, review_board
from wg.features.review.state import RecState
from wg.models import Membership, Notification, ReviewEvent, Role, Subgroup, SubgroupMember, WorkingGroup
from wg.models.base import utcnow

WINDOW = dt.timedelta(hours=48)
log = logging.getLogger(__name__)


def create_deadline_reminders(db: Session, now: dt.datetime | None = None) -> int:
    """Add a reminder for each review deadline within 48 hours, for each co-chair of the group and each member of
    the section's subgroup, unless they already have it. Returns how many were added (the caller commits)."""
    now = now or utcnow()
    soon = now + WINDOW
    group_ids = db.exec(select(ReviewEvent.group_id).where(
        col(ReviewEvent.kind).in_(SUBMISSION_KINDS), col(ReviewEvent.deadline) > now,
        col(ReviewEvent.deadline) <= soon,
    ).distinct()).all()
    added = 0
    for group_id in sorted(group_ids):
        group = db.get(WorkingGroup, group_id)
        if group is None:
            continue
        due = [
            (section.view.section.subgroup_id, item)
            for section in review_board(db, group, now=now).sections for item in section.recommendations
            if item.state is RecState.SUBMITTED and item.submitted is not None
            and item.submitted.deadline is not None and now < item.submitted.deadline <= soon
        ]
        if not due:
            continue
        subgroups_of: dict[int, set[int]] = defaultdict(set)
        for user_id, subgroup_id in db.exec(
                select(SubgroupMember.user_id, SubgroupMember.subgroup_id)
                .join(Subgroup, col(Subgroup.id) == col(SubgroupMember.subgroup_id))
                .where(Subgroup.group_id == group_id)).all():
            subgroups_of[user_id].add(subgroup_id)
        sent = set(db.exec(select(Notification.dedupe_key).where(
            Notification.group_id == group_id, Notification.kind == "deadline")).all())
        for membership in db.exec(select(Membership).where(Membership.group_id == group_id)
                                  .order_by(col(Membership.user_id))).all():
            for section_subgroup, item in due:
                concerned = (membership.role == Role.CO_CHAIR.value or (
                    section_subgroup is not None and section_subgroup in subgroups_of[membership.user_id]))
                key = f"deadline:{item.submitted.id if item.submitted else 0}:{membership.user_id}"
                if not concerned or key in sent:
                    continue
                db.add(Notification(
                    user_id=membership.user_id, group_id=group_id, kind="deadline", dedupe_key=key,
                    message=f"The review deadline for {item.view.recommendation.key} "
                            f"“{item.view.head.title[:200]}” is within 48 hours.",
                    link=f"/g/{group.slug}/r/{item.number}"))
                sent.add(key)
                added += 1
    return added


def sweep(database: Database, now: dt.datetime | None = None) -> int:
    """One sweep in its own transaction; another process that sent the same reminder first is not an error."""
    try:
        with database.transaction() as db:
            return create_deadline_reminders(db, now)
    except IntegrityError:
        log.info("deadline reminders: another process sent the same reminders first; the next sweep catches up")
        return 0


def run_chores(database: Database, chores: Sequence[Callable[[Session], object]]) -> None:
    """Run each chore in its own transaction; a failure is logged and the next chore still runs."""
    for chore in chores:
        try:
            with database.transaction() as db:
                chore(db)
        except Exception:  # noqa: BLE001 - housekeeping is tried again at the next interval
            log.exception("periodic sweep: %s failed", getattr(chore, "__name__", chore))


class ReminderSweeper:
    """A daemon thread that sweeps at start and then every ``interval`` seconds until stopped.

    ``chores`` run after each sweep, each in its own transaction (housekeeping such as pruning old rows); one that
    fails is logged and does not stop the others.
    """

    def __init__(self, database: Database, interval: float,
                 chores: Sequence[Callable[[Session], object]] = ()) -> None:
        self.database = database
        self.interval = interval
        self.chores = tuple(chores)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sweeping (does nothing when the interval is 0)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="wg-reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for a sweep in progress to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sweep(self.database)
            except Exception:  # noqa: BLE001 - a failed sweep is logged and tried again at the next interval
                log.exception("deadline reminders: the sweep failed")
            run_chores(self.database, self.chores)
            self._stop.wait(self.interval)
