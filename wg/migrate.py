"""Run Alembic migrations from code (``wg db upgrade`` and ``wg serve`` call this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at wg's migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database up to ``revision`` (the newest by default); return its revision before and after.

    ``None`` before means the database had no schema: the upgrade created it.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        before = _current(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return before, _current(conn)


def upgrade_message(before: str | None, after: str | None) -> str:
    """What ``wg db upgrade`` says: it created the schema, upgraded it, or found it up to date."""
    if before is None:
        return f"Created the database schema (revision {after})."
    if before != after:
        return f"Upgraded the database schema from revision {before} to {after}."
    return f"Database is up to date (revision {after})."
