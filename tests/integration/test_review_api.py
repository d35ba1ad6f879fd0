"""Review through the JSON API: the same workflow and rules as the pages (submissions, decisions on a revision,
positions, section approval, the queue, the audit log and the inbox), with 422 and the path of each field for bad
bodies, 403 for refusals and 404 for non-members. Rows are counted around every refused request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import create_user
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.review.reminders import sweep
from wg.models import AuditEvent, Notification, Position, ReviewEvent, Revision, Section, User, WorkingGroup

API = "/api/v1/groups/trilateral"


def email(key: str) -> str:
    """The demo login of a person."""
    return f"{key}@example.org"


class Api:
    """A script talking to the API: JSON in and out, the CSRF token on every change."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else API + path

    def get(self, path: str, **params: Any) -> Any:
        """GET a path below the group (or an absolute /api path)."""
        return self.client.get(self._url(path), params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        """POST JSON."""
        return self.client.post(self._url(path), json=body if body is not None else {},
                                headers={"x-csrftoken": self.token})

    def put(self, path: str, body: Any = None) -> Any:
        """PUT JSON."""
        return self.client.put(self._url(path), json=body if body is not None else {},
                               headers={"x-csrftoken": self.token})


@pytest.fixture
def api(app: Any, db: Any, settings: Any) -> Iterator[Any]:
    """Open an API client logged in as a demo person (by key) or any e-mail address."""
    with ExitStack() as stack:

        def _open(who: str) -> Api:
            client = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            with db.transaction() as s:
                user = s.exec(select(User).where(User.email == (who if "@" in who else email(who)))).one()
                token = issue_session(s, user, settings.session_max_age)
            client.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")
            return Api(client, client.get("/api/v1/session").json()["csrf_token"])

        yield _open


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of a successful answer."""
    assert response.status_code == status, (response.status_code, response.text[:1000])
    return response.json()


def error_fields(response: Any) -> list[str]:
    """The field paths of a 422 answer."""
    assert response.status_code == 422, (response.status_code, response.text)
    body = response.json()
    assert body["status_code"] == 422 and body["errors"], body
    return [e["field"] for e in body["errors"]]


def error_message(response: Any, field: str) -> str:
    """The message of one field of a 422 answer."""
    assert response.status_code == 422, (response.status_code, response.text)
    return next(e["message"] for e in response.json()["errors"] if e["field"] == field)


COUNTED = (ReviewEvent, Position, AuditEvent, Notification, Revision)


def counts(db: Any) -> dict[str, int]:
    """Rows in the review tables, revisions and the audit log."""
    with db.session() as s:
        return {m.__tablename__: s.exec(select(func.count()).select_from(m)).one() for m in COUNTED}  # type: ignore


def section_ids(db: Any) -> list[int]:
    """The demo sections' ids in report order."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        return [x.id or 0 for x in s.exec(select(Section).where(Section.group_id == group.id)
                                           .order_by(col(Section.position)))]


def kinds_for(db: Any, key: str) -> list[str]:
    """The kinds of a person's notifications, oldest first."""
    with db.session() as s:
        uid = s.exec(select(User.id).where(User.email == email(key))).one()
        # Only those made during the test: the demo's own are its history, sent hours to weeks ago.
        since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
        return list(s.exec(select(Notification.kind).where(Notification.user_id == uid,
                                                           col(Notification.created_at) > since)
                           .order_by(col(Notification.id))))


def test_the_review_workflow_through_json(api, db):
    nts = section_ids(db)[2]
    priya, ren, aoi, lee, kenji = api("priya.raman"), api("ren.nakamura"), api("aoi.kobayashi"), \
        api("lee.seoyeon"), api("kenji.morimoto")
    created = ok(priya.post(f"/sections/{nts}/recommendations",
                            {"title": "Pool genomic surveillance data", "text": "Share sequencing data weekly."}), 201)
    number = created["number"]
    rec = f"/recommendations/{number}"
    review = ok(priya.get(f"{rec}/review"))
    assert (review["state"], review["rev_no"], review["deadline"], review["positions"]) == ("draft", 1, None, [])

    # Submit: a past date is refused; a date is the end of that day in the submitter's time zone (New York).
    before = counts(db)
    yesterday = (dt.datetime.now(ZoneInfo("America/New_York")).date() - dt.timedelta(days=1)).isoformat()
    assert error_message(priya.post(f"{rec}/submit", {"deadline": yesterday}), "deadline") == \
        "The deadline must be in the future."
    assert error_fields(priya.post(f"{rec}/submit", {"deadline": "soon"})) == ["deadline"]
    assert error_fields(priya.post(f"{rec}/submit", {"deadline": 20261231})) == ["deadline"]
    assert counts(db) == before
    day = dt.datetime.now(ZoneInfo("America/New_York")).date() + dt.timedelta(days=5)
    review = ok(priya.post(f"{rec}/submit", {"deadline": day.isoformat(), "note": "Ready."}))
    assert review["state"] == "submitted"
    expected = dt.datetime.combine(day, dt.time(23, 59), ZoneInfo("America/New_York")).astimezone(dt.UTC)
    assert dt.datetime.fromisoformat(review["deadline"]) == expected
    assert kinds_for(db, "ren.nakamura").count("submitted") == 1
    # Submitting twice is refused: it is already in front of the chair.
    assert priya.post(f"{rec}/submit", {}).status_code == 403

    # Bad decision bodies: 422 naming each field; nothing written.
    before = counts(db)
    assert error_fields(ren.post(f"{rec}/decisions", {"decision": "approve"})) == ["rev_no"]
    assert error_fields(ren.post(f"{rec}/decisions", {"decision": "approve", "rev_no": "one"})) == ["rev_no"]
    assert error_fields(ren.post(f"{rec}/decisions", {"rev_no": 1})) == ["decision"]
    assert error_fields(ren.post(f"{rec}/decisions", {"decision": "maybe", "rev_no": 1})) == ["decision"]
    assert error_fields(ren.post(f"{rec}/decisions", {"decision": "request-changes", "rev_no": 1})) == ["note"]
    assert error_fields(ren.post(f"{rec}/decisions", {"decision": "request-changes", "rev_no": 1,
                                                      "note": "n" * 5001})) == ["note"]
    assert counts(db) == before
    review = ok(ren.post(f"{rec}/decisions", {"decision": "request-changes", "rev_no": 1,
                                              "note": "Say who stores the data."}))
    assert (review["state"], review["last_note"]) == ("changes requested", "Say who stores the data.")
    assert "changes-requested" in kinds_for(db, "priya.raman")

    # The member revises and resubmits (no date: seven days).
    ok(priya.post(f"{rec}/revisions", {"base_rev_no": 1, "title": "Pool genomic surveillance data",
                                       "text": "Share sequencing data weekly through a jointly run archive."}), 201)
    review = ok(priya.post(f"{rec}/submit", {}))
    assert (review["state"], review["rev_no"]) == ("submitted", 2)

    # Positions: bad bodies, then one supporter each from the United States and Korea.
    before = counts(db)
    assert error_fields(priya.put(f"{rec}/positions/me", {})) == ["stance"]
    assert error_fields(priya.put(f"{rec}/positions/me", {"stance": "maybe"})) == ["stance"]
    assert error_fields(priya.put(f"{rec}/positions/me", {"stance": "support", "text": 5})) == ["text"]
    assert error_fields(aoi.put(f"{rec}/positions/me", {"stance": "reservation"})) == ["text"]
    assert error_fields(aoi.put(f"{rec}/positions/me", {"stance": "object", "text": "  "})) == ["text"]
    assert counts(db) == before
    ok(priya.put(f"{rec}/positions/me", {"stance": "support"}))
    review = ok(lee.put(f"{rec}/positions/me", {"stance": "support", "text": "ignored for support"}))
    assert [(p["country"], p["stance"], p["text"]) for p in review["positions"]] == [
        ("US", "support", ""), ("KR", "support", "")]
    assert (review["rule_met"], review["reasons"]) == (False, ["No member from Japan supports it yet."])

    # Approval is refused with the exact reason while Japan has no supporter.
    before = counts(db)
    response = ren.post(f"{rec}/decisions", {"decision": "approve", "rev_no": 2})
    assert error_message(response, "consensus") == "The group's rule is not met: No member from Japan supports it yet."
    assert counts(db) == before
    # Japan objects, then supports.
    review = ok(aoi.put(f"{rec}/positions/me", {"stance": "object", "text": "Privacy rules differ too much."}))
    assert review["reasons"] == ["No member from Japan supports it yet.", "1 member objects."]
    assert [v["attribution"] for v in review["additional_views"]] == ["One member dissents:"]
    review = ok(aoi.put(f"{rec}/positions/me", {"stance": "support"}))
    assert (review["rule_met"], review["outcome"], review["additional_views"]) == (True, "Consensus", [])
    review = ok(ren.post(f"{rec}/decisions", {"decision": "approve", "rev_no": 2, "note": "Good."}))
    assert (review["state"], review["outcome"]) == ("approved", "Consensus")
    assert kinds_for(db, "priya.raman").count("approved") == 1

    # Approval locks the positions: a change is refused with 409 and the reason, and nothing is written.
    before = counts(db)
    response = lee.put(f"{rec}/positions/me", {"stance": "reservation", "text": "Only with data-protection rules."})
    assert response.status_code == 409
    assert response.json()["detail"] == (f"R-{number} is approved (Consensus): positions are locked so the recorded "
                                         "outcome cannot change silently. To change yours, ask the chair to reopen it.")
    assert counts(db) == before
    # She asks the chair to reopen it (a reason is required); the chair is told, the item does not move.
    assert error_fields(lee.post(f"{rec}/reopen-requests", {"reason": " "})) == ["reason"]
    assert ok(lee.post(f"{rec}/reopen-requests", {"reason": "I need a data-protection reservation."}),
              202)["state"] == "approved"
    assert kinds_for(db, "ren.nakamura").count("reopen-requested") == 1
    # Only the chair (or a co-chair) reopens; it goes back to review and the positions unlock.
    assert priya.post(f"{rec}/reopen", {"reason": "Lee asked."}).status_code == 403
    review = ok(ren.post(f"{rec}/reopen", {"reason": "Lee needs to record a reservation."}))
    assert (review["state"], review["rule_met"]) == ("submitted", True)
    assert ren.post(f"{rec}/reopen", {"reason": "Again."}).status_code == 409
    assert "reopened" in kinds_for(db, "lee.seoyeon")
    review = ok(lee.put(f"{rec}/positions/me", {"stance": "reservation", "text": "Only with data-protection rules."}))
    assert review["outcome"] == "Consensus with reservations"
    review = ok(ren.post(f"{rec}/decisions", {"decision": "approve", "rev_no": 2}))
    assert (review["state"], review["outcome"]) == ("approved", "Consensus with reservations")
    # An edit needs a new approval.
    ok(priya.post(f"{rec}/revisions", {"base_rev_no": 2, "title": "Pool genomic surveillance data",
                                       "text": "Share sequencing data weekly through a joint archive."}), 201)
    assert ok(priya.get(f"{rec}/review"))["state"] == "approved text changed"
    # A decision on a revision that is no longer current names the current one.
    before = counts(db)
    response = ren.post(f"{rec}/decisions", {"decision": "approve", "rev_no": 2})
    assert "revision 3 is now current" in error_message(response, "rev_no")
    assert counts(db) == before
    queue = ok(ren.get("/queue"))
    assert [(r["key"], r["state"]) for r in queue] == [("R-4", "submitted"), (f"R-{number}", "approved text changed")]
    review = ok(kenji.post(f"{rec}/decisions", {"decision": "approve", "rev_no": 3}))  # a co-chair decides too
    assert (review["state"], review["outcome"]) == ("approved", "Consensus with reservations")

    # The section: refused (with the open keys) until every item is approved or withdrawn.
    board = {s["id"]: s for s in ok(ren.get("/review"))}
    section = board[nts]
    assert section["state"] == "in progress"
    assert [(r["key"], r["state"]) for r in section["recommendations"]] == [
        ("R-4", "submitted"), ("R-5", "changes requested"), ("R-6", "draft"), (f"R-{number}", "approved")]
    before = counts(db)
    assert error_fields(ren.post(f"/sections/{nts}/approve", {})) == ["rev_no"]
    response = ren.post(f"/sections/{nts}/approve", {"rev_no": section["rev_no"]})
    assert error_message(response, "section") == ("Every recommendation must be approved or withdrawn first; "
                                                  "still open: R-4, R-5, R-6.")
    assert counts(db) == before
    ok(ren.post("/recommendations/4/decisions", {"decision": "approve", "rev_no": board[nts]["recommendations"][0]
                                                 ["rev_no"]}))
    for n in (5, 6):
        ok(priya.post(f"/recommendations/{n}/withdraw", {"withdrawn": True}))
    response = ren.post(f"/sections/{nts}/approve", {"rev_no": section["rev_no"] + 1})
    assert "revision 2 is now current" in error_message(response, "rev_no")
    approved = ok(ren.post(f"/sections/{nts}/approve", {"rev_no": section["rev_no"]}))
    assert approved["state"] == "approved"
    assert [r["state"] for r in approved["recommendations"]] == ["approved", "withdrawn", "withdrawn", "approved"]
    assert ren.post(f"/sections/{nts}/approve", {"rev_no": section["rev_no"]}).status_code == 403

    # Positions are final now.
    before = counts(db)
    assert aoi.put(f"{rec}/positions/me", {"stance": "abstain"}).status_code == 409
    assert counts(db) == before
    # An edit re-opens the section.
    ok(priya.post(f"{rec}/revisions", {"base_rev_no": 3, "title": "Pool genomic surveillance data",
                                       "text": "Share sequencing data every week through a joint archive."}), 201)
    board = {s["id"]: s for s in ok(ren.get("/review"))}
    assert board[nts]["state"] == "needs re-approval"

    # The organizer's audit log has one row per change, newest first.
    audit = ok(api("organizer").get("/audit", action="section"))
    assert [a["action"] for a in audit][:1] == ["section.approved"]
    assert audit[0]["object_id"] == str(nts) and audit[0]["ip"] and audit[0]["actor_id"]
    positions = ok(api("organizer").get("/audit", action="position.recorded"))
    assert [(a["detail"]["key"], a["detail"]["old"], a["detail"]["new"]) for a in reversed(positions)
            if a["detail"]["key"] == f"R-{number}"] == [
        (f"R-{number}", None, "support"), (f"R-{number}", None, "support"), (f"R-{number}", None, "object"),
        (f"R-{number}", "object", "support"), (f"R-{number}", "support", "reservation")]


def test_refusals_are_403_and_non_members_get_404_everywhere(api, db):
    nts = section_ids(db)[2]
    before = counts(db)
    for key in ("maya.chen", "james.holloway", "robert.lindqvist", "park.sungho", "takeshi.ono", "organizer"):
        client = api(key)
        for decision in ("approve", "request-changes"):
            assert client.post("/recommendations/4/decisions", {"decision": decision, "rev_no": 3, "note": "x"}
                               ).status_code == 403, key
        assert client.post(f"/sections/{nts}/approve", {"rev_no": 2}).status_code == 403, key
        position = client.put("/recommendations/4/positions/me", {"stance": "support"})
        assert position.status_code == (403 if key in ("robert.lindqvist", "park.sungho", "takeshi.ono",
                                                       "organizer") else 200), key
        # Everyone in the group reads the review board.
        assert ok(client.get("/recommendations/4/review"))["key"] == "R-4"
    assert counts(db)["review_events"] == before["review_events"]
    for key, queue, audit in (("ren.nakamura", 200, 403), ("eleanor.hayes", 200, 403), ("haruka.sato", 403, 403),
                              ("robert.lindqvist", 403, 403), ("takeshi.ono", 403, 403), ("organizer", 403, 200)):
        client = api(key)
        assert client.get("/queue").status_code == queue, key
        assert client.get("/audit").status_code == audit, key

    with db.transaction() as s:
        create_user(s, email="outsider@example.org", display_name="Out Sider", password=DEMO_PASSWORD, country="US")
    outsider = api("outsider@example.org")
    before = counts(db)
    for path in ("/review", "/recommendations/4/review", "/queue", "/audit"):
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"status_code": 404, "detail": "Not found"}
    assert outsider.post("/recommendations/6/submit", {}).status_code == 404
    assert outsider.post("/recommendations/4/decisions", {"decision": "approve", "rev_no": 3}).status_code == 404
    assert outsider.put("/recommendations/4/positions/me", {"stance": "support"}).status_code == 404
    assert outsider.post(f"/sections/{nts}/approve", {"rev_no": 2}).status_code == 404
    assert counts(db) == before
    assert ok(outsider.get("/api/v1/inbox/")) == []
    # Inside the group, things that do not exist are 404.
    member = api("priya.raman")
    assert member.get("/recommendations/99/review").status_code == 404
    assert member.post("/recommendations/99/submit", {}).status_code == 404
    assert member.post("/sections/99999/approve", {"rev_no": 1}).status_code == 404


def test_the_inbox_api_lists_reminders_once_and_marks_everything_read(api, db):
    lee = api("lee.seoyeon")  # Non-traditional security member: R-4's deadline (36 h) concerns her
    assert [n for n in ok(lee.get("/api/v1/inbox/")) if n["kind"] == "deadline"] == []  # reading sends nothing
    sweep(db)
    first = ok(lee.get("/api/v1/inbox/"))
    second = ok(lee.get("/api/v1/inbox/"))
    reminders = [n for n in second if n["kind"] == "deadline"]
    assert len(reminders) == 1 and "R-4" in reminders[0]["message"] and reminders[0]["group"] == "trilateral"
    assert first == second
    assert all(not n["read"] for n in reminders)  # reading the inbox marks nothing read
    # A submission in her own subgroup (she chairs "New areas of cooperation") reaches her.
    ok(api("james.holloway").post("/recommendations/9/submit", {"deadline": ""}))
    messages = [n["message"] for n in ok(lee.get("/api/v1/inbox/"))]
    assert any(m.startswith("R-9 “") for m in messages)
    assert lee.post("/api/v1/inbox/read").status_code == 204
    assert all(n["read"] for n in ok(lee.get("/api/v1/inbox/")))
    # Reminders are not created again once read.
    sweep(db)
    assert len([n for n in ok(lee.get("/api/v1/inbox/")) if n["kind"] == "deadline"]) == 1
    # The deadline of that submission (7 days from now) is given in UTC.
    deadline = dt.datetime.fromisoformat(ok(lee.get("/recommendations/9/review"))["deadline"])
    assert deadline.utcoffset() == dt.timedelta(0)
    assert dt.timedelta(days=6, hours=23) < deadline - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
