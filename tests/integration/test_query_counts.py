"""Pages load what they show in a fixed number of queries: adding items never adds queries (no query per row)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from tests.conftest import login
from wg.models import Position, Recommendation, Revision, Section, User, WorkingGroup

PAGES = ["/g/trilateral", "/g/trilateral/report", "/g/trilateral/sections/2", "/g/trilateral/r/1",
         "/g/trilateral/queue", "/g/trilateral/members", "/g/trilateral/exports", "/", "/inbox", "/profile",
         "/g/trilateral/subgroups/1", "/g/trilateral/sections/2/edit", "/g/trilateral/sections/2/history",
         "/g/trilateral/r/1/edit", "/g/trilateral/r/1/history", "/g/trilateral/sections/2/recommendations/new",
         "/g/trilateral/sections/new"]
ORGANIZER_PAGES = ["/g/trilateral", "/g/trilateral/sections/2", "/g/trilateral/exports", "/g/trilateral/audit",
                   "/g/trilateral/report/settings", "/g/trilateral/report"]


@contextmanager
def counting(db) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _queries_per_page(client, db, pages: list[str] = PAGES) -> dict[str, int]:
    counts = {}
    for page in pages:
        client.get(page)  # warm caches (templates, time zones)
        with counting(db) as statements:
            assert client.get(page).status_code == 200
        counts[page] = len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT",
                                                                                      "ROLLBACK", "SAVEPOINT",
                                                                                      "RELEASE"))])
    return counts


def _grow(db, extra: int) -> None:
    """Add ``extra`` recommendations with two revisions and three positions each to section 2."""
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        section = s.exec(select(Section).where(Section.group_id == group.id, Section.position == 1)).one()
        signers = s.exec(select(User).where(User.email.in_([  # type: ignore[attr-defined]
            "maya.chen@example.org", "haruka.sato@example.org", "kim.minjun@example.org"]))).all()
        top = max(s.exec(select(Recommendation.number).where(Recommendation.group_id == group.id)).all())
        for i in range(extra):
            rec = Recommendation(group_id=group.id, section_id=section.id, number=top + i + 1, position=10 + i)
            s.add(rec)
            s.flush()
            for rev_no in (1, 2):
                s.add(Revision(group_id=group.id, target_type="recommendation", target_id=rec.id, rev_no=rev_no,
                               author_id=signers[0].id, title=f"Extra {i}", text=f"Text {rev_no}"))
            for user in signers:
                s.add(Position(group_id=group.id, recommendation_id=rec.id, user_id=user.id, stance="support"))


def test_query_count_does_not_grow_with_the_report(client, db):
    login(client, "maya.chen@example.org")
    before = _queries_per_page(client, db)
    _grow(db, 40)
    after = _queries_per_page(client, db)
    assert after == before, f"pages ran more queries with 40 more recommendations: {before} -> {after}"
    assert max(before.values()) <= 40, before


def test_organizer_pages_query_count_does_not_grow(client, db):
    """The organizer's own pages (audit log, front matter) and the big ones as the organizer sees them."""
    login(client, "organizer@example.org")
    before = _queries_per_page(client, db, ORGANIZER_PAGES)
    _grow(db, 40)
    after = _queries_per_page(client, db, ORGANIZER_PAGES)
    assert after == before, f"pages ran more queries with 40 more recommendations: {before} -> {after}"
    assert max(before.values()) <= 40, before


def test_counting_sees_queries(client, db):
    """The counter itself works: a page that reads the database is seen running queries."""
    login(client, "maya.chen@example.org")
    with counting(db) as statements:
        client.get("/g/trilateral")
    assert len(statements) >= 5
