"""The report number beside the R-key wherever the app names an item (issue 11, item 3): the inbox (stored texts,
numbered when shown), the audit log viewer and the JSON API. SQLite and, with WG_TEST_POSTGRES_URL, PostgreSQL."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlmodel import select

from tests.conftest import login
from tests.integration.test_query_counts import counting
from wg.demo import DEMO_SLUG
from wg.features.audit.log import record
from wg.features.report.loader import ReportNumbers, report_numbers
from wg.models import Notification, Recommendation, User, WorkingGroup

MEMBER = "haruka.sato@example.org"


def _numbers(db) -> tuple[WorkingGroup, ReportNumbers, int, str, int]:  # type: ignore[no-untyped-def]
    """The demo group, its numbers, one numbered R-number with its number, and one R-number without a number."""
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        numbers = report_numbers(s, group)
        every = s.exec(select(Recommendation.number).where(Recommendation.group_id == group.id)).all()
    numbered, shown = sorted(numbers.recs.items())[-1]
    unnumbered = next(n for n in sorted(every) if n not in numbers.recs)
    assert shown != f"{numbered}"  # the report number is not the R-number (else the test could not tell them apart)
    return group, numbers, numbered, shown, unnumbered


def _notify(db, group: WorkingGroup, email: str, messages: list[str]) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        for message in messages:
            s.add(Notification(user_id=user.id or 0, group_id=group.id or 0, kind="decision", message=message,
                               link=f"/g/{DEMO_SLUG}"))


def test_inbox_shows_the_report_number_beside_each_key_without_a_query_per_row(client, db) -> None:  # type: ignore[no-untyped-def]
    group, _, numbered, shown, unnumbered = _numbers(db)
    _notify(db, group, MEMBER, [f"R-{numbered} “Harbour security” was approved (consensus).",
                                f"R-{unnumbered} was sent back for revision; see R-{numbered}."])
    login(client, MEMBER)
    page = BeautifulSoup(client.get("/inbox").text, "html.parser")
    texts = [a.get_text() for a in page.select("ul.inbox li p a")]
    assert f"R-{unnumbered} was sent back for revision; see {shown} (R-{numbered})." in texts
    assert f"{shown} (R-{numbered}) “Harbour security” was approved (consensus)." in texts
    # The stored text is unchanged: the number is today's, added when shown.
    with db.session() as s:
        stored = s.exec(select(Notification.message).where(Notification.group_id == group.id)).all()
    assert f"R-{unnumbered} was sent back for revision; see R-{numbered}." in stored

    with counting(db) as before:
        assert client.get("/inbox").status_code == 200
    _notify(db, group, MEMBER, [f"R-{numbered} reminder {i}" for i in range(25)])
    with counting(db) as after:
        page = BeautifulSoup(client.get("/inbox").text, "html.parser")
    assert len(after) == len(before)
    assert sum(a.get_text().startswith(f"{shown} (R-{numbered}) reminder") for a in page.select("ul.inbox li p a")) \
        == 25


def test_audit_log_viewer_names_items_with_their_report_number(client, db) -> None:  # type: ignore[no-untyped-def]
    group, _, numbered, shown, unnumbered = _numbers(db)
    with db.transaction() as s:
        for number in (numbered, unnumbered):
            rec = s.exec(select(Recommendation).where(Recommendation.group_id == group.id,
                                                      Recommendation.number == number)).one()
            record(s, "recommendation.withdrawn", actor_id=None, group_id=group.id, object_type="recommendation",
                   object_id=rec.id, key=f"R-{number}")
    login(client, "organizer@example.org")
    page = BeautifulSoup(client.get(f"/g/{DEMO_SLUG}/audit?action=recommendation.withdrawn").text, "html.parser")
    what = [" ".join(row.select_one("td.audit-what").get_text(" ", strip=True).split())
            for row in page.select("table.audit tbody tr")]
    # The numbered item is named by its R-key with its report number beside it; the other by its R-key alone.
    assert len(what) == 2
    assert any(f"R-{numbered}" in w and shown in w for w in what), what
    assert any(f"R-{unnumbered}" in w for w in what), what


def test_api_gives_the_report_number_of_each_recommendation(client, db) -> None:  # type: ignore[no-untyped-def]
    _, numbers, numbered, shown, unnumbered = _numbers(db)
    login(client, MEMBER)
    api = f"/api/v1/groups/{DEMO_SLUG}"
    listed = {r["number"]: r["report_number"] for s in client.get(f"{api}/sections").json()
              for r in s["recommendations"]}
    assert listed == {n: numbers.recs.get(n) for n in listed}
    assert listed[numbered] == shown and listed[unnumbered] is None
    assert client.get(f"{api}/recommendations/{numbered}").json()["report_number"] == shown
    assert client.get(f"{api}/recommendations/{unnumbered}").json()["report_number"] is None
    board = {r["number"]: r["report_number"] for s in client.get(f"{api}/review").json()
             for r in s["recommendations"]}
    assert board == listed
    assert client.get(f"{api}/recommendations/{numbered}/review").json()["report_number"] == shown
    # The OpenAPI document types the field: a string or null, on every recommendation resource.
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    typed = {name: schema["properties"]["report_number"] for name, schema in schemas.items()
             if "report_number" in schema.get("properties", {})}
    assert {"RecommendationOut", "RecommendationSummary", "RecReviewOut"} <= {n.split("_")[-1] for n in typed}, typed
    for prop in typed.values():
        kinds = {v.get("type") for v in prop.get("oneOf", prop.get("anyOf", [prop]))}
        assert kinds == {"string", "null"}, prop
