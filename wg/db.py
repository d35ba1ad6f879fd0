"""Engine and session configuration; SQLite pragmas and ``BEGIN IMMEDIATE`` for write transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from wg.lib.files import create_private_file, make_private_dir

WRITE_OPTION = "wg_write"


def make_engine(database_url: str, echo: bool = False) -> Engine:
    """Create the engine; on SQLite turn on WAL, foreign keys and a busy timeout, and own the BEGIN."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1] if "///" in database_url else ""
        if path and path != ":memory:":
            # Owner-only from the start: SQLite gives its -wal and -shm files the database file's mode.
            make_private_dir(Path(path).parent)
            create_private_file(Path(path))
        engine = create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(database_url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own BEGIN is deferred and implicit).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # An answered save must survive a power cut.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A transaction that reads then writes must hold the write lock from the start, or SQLite answers
        # "database is locked" at once when another writer committed in between.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """Holds the engine and hands out sessions: read sessions, and write sessions that lock early on SQLite."""

    def __init__(self, database_url: str, echo: bool = False) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, echo=echo)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.engine.dialect.name == "sqlite"

    def session(self, write: bool = False) -> Session:
        """A new session; ``write=True`` takes SQLite's write lock at BEGIN."""
        return Session(self._write_engine if write else self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends without an exception and rolls back otherwise."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def append_only_ddl(dialect: str, table: str) -> list[str]:
    """DDL that makes the database itself refuse UPDATE and DELETE on ``table`` (used by migrations)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ]
    return [
        "CREATE OR REPLACE FUNCTION wg_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION wg_refuse_change()",
    ]
