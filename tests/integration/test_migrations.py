"""The migrations build exactly the schema the models describe (tables, columns, indexes, constraints)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import wg.models  # noqa: F401 - registers every table on SQLModel.metadata


def test_the_migrated_database_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_newest_revision_of_an_item_is_found_through_an_index(db):
    # Pages group a group's revisions by target to find each newest one; the index covers it (migration 0005).
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT target_id, max(rev_no) FROM revisions "
                "WHERE group_id = 1 AND target_type = 'recommendation' GROUP BY target_id"))
            assert "COVERING INDEX ix_revisions_group_target_rev" in plan, plan
        else:
            names = {row[0] for row in conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'revisions'")}
            assert "ix_revisions_group_target_rev" in names and "ix_revisions_group" not in names
