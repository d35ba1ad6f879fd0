"""Review-deadline reminders come from a background sweep, once per person concerned, never from a page view."""

from __future__ import annotations

import datetime as dt
import time

from sqlmodel import select

from wg.features.review.reminders import ReminderSweeper, sweep
from wg.models import Notification, User
from wg.models.base import utcnow


def reminders(db) -> list[tuple[str, str]]:
    """(e-mail, message) of every deadline reminder."""
    with db.session() as s:
        rows = s.exec(select(User.email, Notification.message).join(User, User.id == Notification.user_id)
                      .where(Notification.kind == "deadline").order_by(User.email)).all()
    return [(e, m) for e, m in rows]


def test_a_sweep_reminds_the_co_chairs_and_the_subgroup_once(db):
    assert reminders(db) == []
    added = sweep(db)
    sent = reminders(db)
    assert added == len(sent) > 0
    people = {e for e, _ in sent}
    # The demo's R-4 (Non-traditional security, deadline in 36 h): the co-chairs and that subgroup's members.
    assert "eleanor.hayes@example.org" in people  # co-chair
    assert "priya.raman@example.org" in people and "lee.seoyeon@example.org" in people  # the subgroup
    assert "haruka.sato@example.org" not in people  # another subgroup
    assert all("R-4" in m and "within 48 hours" in m for _, m in sent)
    assert sweep(db) == 0 and reminders(db) == sent


def test_nothing_is_sent_outside_the_48_hour_window(db):
    # Three days earlier R-4's deadline (36 h from now) was too far away, and nothing else was due.
    assert sweep(db, now=utcnow() - dt.timedelta(days=3)) == 0
    assert reminders(db) == []
    # Three days later it has passed: no reminder about R-4 (other submissions may have come due by then).
    sweep(db, now=utcnow() + dt.timedelta(days=3))
    assert not [m for _, m in reminders(db) if "R-4 " in m]


def test_the_sweeper_thread_sends_them_and_stops(db):
    sweeper = ReminderSweeper(db, interval=0.2)
    sweeper.start()
    try:
        deadline = time.monotonic() + 20
        while not reminders(db) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sweeper.stop()
    assert reminders(db)
    assert sweeper._thread is not None and not sweeper._thread.is_alive()


def test_the_app_runs_the_sweeper_only_when_asked(settings, db):
    from dataclasses import replace

    from litestar.testing import TestClient

    from wg.app import create_app

    assert settings.reminder_interval == 0  # off in tests
    with TestClient(create_app(settings, db=db)) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(0.5)
    assert reminders(db) == []
    with TestClient(create_app(replace(settings, reminder_interval=1), db=db)) as client:
        deadline = time.monotonic() + 20
        while not reminders(db) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert reminders(db)
