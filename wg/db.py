"""Engine and session configuration; SQLite pragmas and ``BEGIN IMMEDIATE`` for write transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

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


def lock_row(db: Session, model: Any, row_id: int) -> None:
    """Make writers that allocate or check something under this row take turns until the transaction ends.

    Every "read, then write what the read allowed" under a parent row goes through here: section and
    recommendation positions and R-numbers (the group row), subgroup names, memberships and the report's front matter
    (the group row), a subgroup's members (the subgroup row), revision numbers, review events and positions (the
    section's or recommendation's row). Without it two requests at the same moment read the same state on
    PostgreSQL and both write: a unique key twice (a 500), two sections at one position, two decisions on one
    submission.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE``. Rows that only reference the locked row (a new revision of the group)
    can still be inserted meanwhile — their foreign-key checks take KEY SHARE, which that lock allows — so saves in
    other sections never wait for it. Under READ COMMITTED each later statement sees what the previous holder
    committed; objects this session loaded before the lock are expired so that they are read again too.
    SQLite: nothing to do — write sessions begin with ``BEGIN IMMEDIATE``, so writers already take turns.
    """
    if db.get_bind().dialect.name == "sqlite":
        return
    db.exec(select(model.id).where(model.id == row_id).with_for_update(key_share=True)).first()
    db.expire_all()


def lock_key(db: Session, key: str) -> None:
    """Like :func:`lock_row` for a value no row owns yet (a new group's address): writers of the same key take turns.

    PostgreSQL: a transaction-scoped advisory lock on the key's hash (a collision only makes two unrelated writers
    wait for each other). SQLite: nothing to do, as for :func:`lock_row`.
    """
    if db.get_bind().dialect.name == "sqlite":
        return
    db.exec(select(func.pg_advisory_xact_lock(func.hashtext(key)))).first()
    db.expire_all()


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
