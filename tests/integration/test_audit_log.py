"""The audit log as an organizer reads it, on both databases: each event a sentence in words with R-keys, report
numbers, titles and names (never a database id, never ``None`` or ``key=value``), details as phrases, times and
the date filter in the viewer's own time zone; the CSV keeps the ids."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from bs4 import BeautifulSoup
from sqlmodel import select

from tests.integration.test_review_pages import (  # noqa: F401 - browse is a fixture
    G,
    browse,
    email,
    follow,
    get_page,
    rec_id,
    submit,
    text_of,
    user_ids,
)
from wg.models import AuditEvent, Recommendation, User, WorkingGroup

APPROVED_AT = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 1 December, 08:30 in Tokyo


def rows_of(page: BeautifulSoup) -> list[dict[str, str]]:
    """The audit table's rows: time (as shown and its datetime), sentence, details, address."""
    rows = []
    for tr in page.select("table.audit tbody tr"):
        cells = tr.find_all("td")
        if len(cells) < 4:
            rows.append({"what": text_of(tr)})
            continue
        time = cells[0].find("time")
        rows.append({"time": text_of(cells[0]), "datetime": str(time["datetime"]) if time else "",
                     "what": re.sub(r" ([,.:])", r"\1", text_of(cells[1])), "details": text_of(cells[2]),
                     "ip": text_of(cells[3])})
    return rows


def _set_time_zone(db: Any, key: str, zone: str) -> None:
    with db.transaction() as s:
        user = s.exec(select(User).where(User.email == email(key))).one()
        user.time_zone = zone
        s.add(user)


def _report_number(client: Any, number: int) -> str:
    """The report number the recommendation's own page shows beside its key."""
    shown = get_page(client, f"{G}/r/{number}").select_one("h1 .report-number")
    return text_of(shown)


def test_the_audit_log_reads_as_sentences_in_the_viewers_time_zone(browse, db):  # noqa: F811
    users = user_ids(db)
    _set_time_zone(db, "organizer", "Asia/Tokyo")
    priya, ren, lee = browse(email("priya.raman")), browse(email("ren.nakamura")), browse(email("lee.seoyeon"))
    follow(priya, submit(priya, f"{G}/r/6", f"{G}/r/6/submit"))
    follow(ren, submit(ren, f"{G}/r/6", f"{G}/r/6/decision", {"note": "More detail."},
                       button=("decision", "request-changes")))
    follow(lee, submit(lee, f"{G}/r/4", f"{G}/r/4/position", {"stance": "abstain"}))
    haruka = browse(email("haruka.sato"))
    edit = get_page(haruka, f"{G}/r/1/edit")
    text = edit.select_one("textarea[name=text]").get_text() + "\n\nOne more paragraph."  # type: ignore[union-attr]
    follow(haruka, submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": text}))
    with db.transaction() as s:  # an approval at a known moment, to read its time back in Tokyo
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        r3 = s.exec(select(Recommendation).where(Recommendation.number == 3)).one()
        s.add(AuditEvent(at=APPROVED_AT, action="recommendation.approved", actor_id=users["maya.chen"],
                         group_id=group.id, object_type="recommendation", object_id=str(r3.id), ip="203.0.113.9",
                         detail={"key": "R-3", "rev_no": 4, "outcome": "Consensus"}))
    organizer = browse(email("organizer"))
    page = get_page(organizer, f"{G}/audit")
    rows = rows_of(page)
    whats = [r["what"] for r in rows]
    r1_number, r3_number = _report_number(organizer, 1), _report_number(organizer, 3)
    assert r1_number and r3_number  # both are in the report, so the log shows their numbers

    # Newest first (the approval was written last), each a sentence with names, keys and numbers.
    approved = rows.pop(0)
    whats.pop(0)
    assert whats[:4] == [
        f"Haruka Sato saved revision {int(edit.select_one('input[name=base_rev_no]')['value']) + 1} "  # type: ignore[index]
        f"of R-1 {r1_number}",
        "Lee Seo-yeon recorded a position on R-4: abstain",
        "Ren Nakamura asked for changes to R-6, revision " + whats[2].rsplit(" ", 1)[-1],
        "Priya Raman submitted R-6, revision " + whats[3].rsplit(" ", 1)[-1],
    ]
    assert rows[1]["details"] == "before: support"
    assert rows[0]["details"] == ""  # merged_with=None says nothing, so nothing is shown
    assert rows[3]["details"].startswith("review deadline ") and rows[3]["details"].endswith("JST")
    assert approved["what"] == f"Maya Chen approved R-3 {r3_number}, revision 4"
    assert approved["details"] == "outcome: Consensus"
    assert approved["time"] == "1 Dec 2026, 08:30 JST"
    assert approved["datetime"] == APPROVED_AT.isoformat()
    link = page.select("table.audit .audit-what a.key")[1]  # the newest is the approval of R-3
    assert link["href"] == f"{G}/r/1"
    # No database ids, no None, no key=value anywhere in the table.
    table = text_of(page.select_one("table.audit"))
    assert "None" not in table and "=" not in table and "_" not in table
    for number in (1, 3, 4, 6):
        assert not re.search(rf"\brecommendation {rec_id(db, number)}\b", table)
    assert "merged" not in table and "fingerprint" not in table
    # The filter lists actions in words; times say the zone.
    labels = [text_of(o) for o in page.select("#field-action option")]
    assert "Recommendation approved" in labels and "recommendation.approved" not in labels
    assert "Asia/Tokyo" in text_of(page.select_one("main .hint"))

    # The date filter takes days in the viewer's zone: 30 November 23:30 UTC is 1 December in Tokyo.
    on_first = [r["what"] for r in rows_of(get_page(organizer, f"{G}/audit?since=2026-12-01&until=2026-12-01"))]
    assert on_first == [approved["what"]]
    assert rows_of(get_page(organizer, f"{G}/audit?since=2026-11-30&until=2026-11-30")) == [
        {"what": "No events match."}]
    # The same moment for a viewer in New York is on 30 November, at 18:30.
    _set_time_zone(db, "organizer", "America/New_York")
    ny = rows_of(get_page(organizer, f"{G}/audit?since=2026-11-30&until=2026-11-30"))
    assert [(r["what"], r["time"]) for r in ny] == [(approved["what"], "30 Nov 2026, 18:30 EST")]

    # The CSV keeps the ids and UTC times, in the same columns as before.
    table_csv = list(csv.reader(io.StringIO(organizer.get(f"{G}/audit?format=csv&action=recommendation.approved")
                                            .text)))
    assert table_csv[0] == ["time_utc", "actor", "action", "object_type", "object_id", "ip", "detail"]
    with db.session() as s:
        r3_id = s.exec(select(Recommendation.id).where(Recommendation.number == 3)).one()
    assert [APPROVED_AT.isoformat(), "Maya Chen", "recommendation.approved", "recommendation", str(r3_id),
            "203.0.113.9", "key=R-3;outcome=Consensus;rev_no=4"] in table_csv


def test_unknown_actions_and_missing_objects_still_read_as_words(browse, db):  # noqa: F811
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        s.add(AuditEvent(action="suggestion.accepted_in_part", actor_id=None, group_id=group.id,
                         object_type="recommendation", object_id="999999", detail={"hunks": 2, "note": None}))
    page = get_page(browse(email("organizer")), f"{G}/audit")
    first = rows_of(page)[0]
    assert first["what"] == "wg: suggestion accepted in part — a deleted item"
    assert first["details"] == "hunks: 2"
