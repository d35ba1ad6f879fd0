"""Benchmark databases: the demo group with a 50-recommendation section, and the same plus 1,000 generated groups.

Rows are written with bulk core INSERTs (executemany; SQLAlchemy batches them into multi-row VALUES on PostgreSQL),
never through the HTTP API, so 100,000 recommendations take seconds. The SQLite files are cached under the temp
folder keyed by the schema's Alembic head and ``DATA_VERSION``, and copied for each run (a run writes sessions and
exports into its copy). Bump ``DATA_VERSION`` whenever the generated rows change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from wg.db import Database
from wg.demo import DEMO_SLUG, load_demo
from wg.migrate import alembic_config, upgrade
from wg.models import (
    Comment,
    Membership,
    Position,
    Recommendation,
    ReviewEvent,
    Revision,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)

DATA_VERSION = 1
BENCH_SECTION_TITLE = "Benchmark: fifty recommendations"
SECTION_RECS = 50
BIG_GROUPS = 1000
RECS_PER_GROUP = 100
_SECTIONS_PER_GROUP = 4
_MEMBERS_PER_GROUP = 10
_COUNTRIES = ("US", "JP", "KR")
_STANCES = ("support", "support", "reservation", "abstain")
_PARAGRAPH = ("The three governments should institutionalise a standing trilateral coordination mechanism at the "
              "vice-ministerial level, meeting every quarter, with a secretariat that **tracks commitments** and "
              "reports to the three legislatures once a year.")
_RATIONALE = ("Coordination has depended on personalities. A standing body survives changes of government and "
              "gives officials a routine channel before a crisis, not only during one.")


@dataclass(frozen=True)
class BenchDatabase:
    """A database ready to serve: its URL, the section page of 50 recommendations, and its build time."""

    url: str
    section_path: str
    dashboard_path: str
    build_seconds: float
    cached: bool


def schema_key() -> str:
    """The cache key: the schema's Alembic head and the generator's version."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or "none"
    return f"{head}-v{DATA_VERSION}"


def cache_dir() -> Path:
    """Where built databases are kept between runs; databases built for another schema are removed."""
    root = Path(os.environ.get("WG_BENCH_CACHE", Path(tempfile.gettempdir()) / "wg-bench-cache"))
    folder = root / schema_key()
    if not folder.exists() and root.exists():
        for old in root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _next_ids(conn: Connection, tables: list[Any]) -> dict[str, int]:
    return {t.__tablename__: int(conn.execute(select(func.coalesce(func.max(t.id), 0))).scalar_one()) + 1
            for t in tables}


class _Ids:
    """Hands out explicit primary keys per table, so rows can point at each other before they are inserted."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _insert(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def _fill_groups(conn: Connection, count: int, recs_per_group: int, now: dt.datetime) -> None:
    """Add ``count`` generated groups: members, subgroups, sections, recommendations with two revisions each,
    three positions and a submission per recommendation, and a comment per section."""
    ids = _Ids(_next_ids(conn, [User, Membership, Subgroup, Section, Recommendation, Revision, Position, ReviewEvent,
                                 Comment]))
    per_section = recs_per_group // _SECTIONS_PER_GROUP
    first_group = int(conn.execute(select(func.coalesce(func.max(WorkingGroup.id), 0))).scalar_one()) + 1  # type: ignore[arg-type]
    batch = 50
    for start in range(0, count, batch):
        rows: dict[type[SQLModel], list[dict[str, Any]]] = {m: [] for m in (
            WorkingGroup, User, Membership, Subgroup, SubgroupMember, Section, Recommendation, Revision, Position,
            ReviewEvent, Comment)}
        for g in range(start, min(count, start + batch)):
            gid = first_group + g
            rows[WorkingGroup].append({"id": gid, "slug": f"bench-{g:04d}", "name": f"Benchmark group {g}",
                                       "host_organisation": "Benchmark Forum", "countries": list(_COUNTRIES),
                                       "attribution_mode": "none", "consensus_rule": "each-country",
                                       "state": "active", "created_at": now})
            users = []
            for m in range(_MEMBERS_PER_GROUP):
                uid = ids.take("users")
                users.append(uid)
                rows[User].append({"id": uid, "email": f"m{m}.g{g}@bench.example.org",
                                   "display_name": f"Member {m} of {g}", "native_name": "", "affiliation": "Bench",
                                   "country": _COUNTRIES[m % 3], "sector": "academia", "time_zone": "UTC",
                                   "password_hash": None, "is_admin": False, "is_active": True,
                                   "consents_to_attribution": False, "auth_version": 1, "created_at": now})
                rows[Membership].append({"id": ids.take("memberships"), "group_id": gid, "user_id": uid,
                                         "role": "organizer" if m == 0 else "co-chair" if m == 1 else "member",
                                         "listed_in_report": True, "created_at": now})
            subgroups = []
            for s in range(3):
                sid = ids.take("subgroups")
                subgroups.append(sid)
                rows[Subgroup].append({"id": sid, "group_id": gid, "name": f"Subgroup {s}", "mandate": "Bench.",
                                       "position": s, "created_at": now})
                for m in range(2 + s * 2, 5 + s * 2):
                    rows[SubgroupMember].append({"subgroup_id": sid, "user_id": users[m], "is_chair": m == 2 + s * 2})
            number = 0
            for s in range(_SECTIONS_PER_GROUP):
                section_id = ids.take("sections")
                rows[Section].append({"id": section_id, "group_id": gid, "subgroup_id": subgroups[s % 3],
                                      "position": s, "created_at": now})
                rows[Revision].append(_revision(ids, gid, "section", section_id, 1, users[1], now,
                                                f"Section {s}", _PARAGRAPH, ""))
                rows[Comment].append({"id": ids.take("comments"), "group_id": gid, "target_type": "section",
                                      "target_id": section_id, "parent_id": None, "paragraph": 1, "rev_no": 1,
                                      "author_id": users[3], "body": "Could we be more specific?",
                                      "created_at": now, "resolved_at": None, "resolved_by": None})
                for r in range(per_section):
                    number += 1
                    rid = ids.take("recommendations")
                    rows[Recommendation].append({"id": rid, "group_id": gid, "section_id": section_id,
                                                 "number": number, "position": r, "withdrawn_at": None,
                                                 "withdrawn_by": None, "created_at": now})
                    for rev_no in (1, 2):
                        rows[Revision].append(_revision(ids, gid, "recommendation", rid, rev_no,
                                                        users[2 + (r + rev_no) % 8], now,
                                                        f"Recommendation {number}", _PARAGRAPH, _RATIONALE))
                    for k in range(3):
                        rows[Position].append({"id": ids.take("positions"), "group_id": gid,
                                               "recommendation_id": rid, "user_id": users[2 + (r + k) % 8],
                                               "stance": _STANCES[(r + k) % 4], "text": "", "updated_at": now})
                    rows[ReviewEvent].append({"id": ids.take("review_events"), "group_id": gid,
                                              "target_type": "recommendation", "target_id": rid, "rev_no": 2,
                                              "kind": "submit", "actor_id": users[2], "note": "", "deadline": None,
                                              "fingerprint": "", "created_at": now})
        for model, model_rows in rows.items():
            _insert(conn, model, model_rows)


def _revision(ids: _Ids, gid: int, kind: str, target_id: int, rev_no: int, author: int, now: dt.datetime,
              title: str, body: str, rationale: str) -> dict[str, Any]:
    return {"id": ids.take("revisions"), "group_id": gid, "target_type": kind, "target_id": target_id,
            "rev_no": rev_no, "parent_rev_no": rev_no - 1 or None, "merged_rev_no": None, "restored_from": None,
            "author_id": author, "created_at": now, "title": title, "text": body, "rationale": rationale,
            "target": "", "note": ""}


def _add_fifty_section(conn: Connection, now: dt.datetime) -> int:
    """A section of the demo group with 50 recommendations (two revisions, three positions each); its id."""
    gid = conn.execute(select(WorkingGroup.id).where(WorkingGroup.slug == DEMO_SLUG)).scalar_one()  # type: ignore[call-overload]
    subgroup = conn.execute(select(Subgroup.id).where(Subgroup.group_id == gid).order_by(Subgroup.position)  # type: ignore[call-overload]
                            ).scalars().first()
    members = conn.execute(select(Membership.user_id).where(Membership.group_id == gid,  # type: ignore[call-overload]
                                                            Membership.role.in_(["member", "co-chair"]))  # type: ignore[attr-defined]
                           ).scalars().all()
    ids = _Ids(_next_ids(conn, [Section, Recommendation, Revision, Position, ReviewEvent]))
    top_number = int(conn.execute(select(func.max(Recommendation.number)).where(Recommendation.group_id == gid)
                                  ).scalar_one() or 0)
    top_position = int(conn.execute(select(func.max(Section.position)).where(Section.group_id == gid)
                                    ).scalar_one() or 0)
    section_id = ids.take("sections")
    _insert(conn, Section, [{"id": section_id, "group_id": gid, "subgroup_id": subgroup,
                             "position": top_position + 1, "created_at": now}])
    recs, revisions, positions, events = [], [], [], []
    revisions.append(_revision(ids, gid, "section", section_id, 1, members[0], now, BENCH_SECTION_TITLE,
                               _PARAGRAPH + "\n\n" + _RATIONALE, ""))
    for r in range(SECTION_RECS):
        rid = ids.take("recommendations")
        recs.append({"id": rid, "group_id": gid, "section_id": section_id, "number": top_number + r + 1,
                     "position": r, "withdrawn_at": None, "withdrawn_by": None, "created_at": now})
        for rev_no in (1, 2):
            revisions.append(_revision(ids, gid, "recommendation", rid, rev_no, members[(r + rev_no) % len(members)],
                                       now, f"Strengthen coordination, item {r + 1}", _PARAGRAPH, _RATIONALE))
        for k in range(3):
            positions.append({"id": ids.take("positions"), "group_id": gid, "recommendation_id": rid,
                              "user_id": members[(r + k) % len(members)], "stance": _STANCES[(r + k) % 4],
                              "text": "The timeline should be realistic." if _STANCES[(r + k) % 4] == "reservation"
                              else "", "updated_at": now})
        if r % 2 == 0:
            events.append({"id": ids.take("review_events"), "group_id": gid, "target_type": "recommendation",
                           "target_id": rid, "rev_no": 2, "kind": "submit", "actor_id": members[0], "note": "",
                           "deadline": None, "fingerprint": "", "created_at": now})
    _insert(conn, Recommendation, recs)
    _insert(conn, Revision, revisions)
    _insert(conn, Position, positions)
    _insert(conn, ReviewEvent, events)
    return section_id


def _reset_pg_sequences(conn: Connection) -> None:
    for model in (User, Membership, Subgroup, Section, Recommendation, Revision, Position, ReviewEvent, Comment,
                  WorkingGroup):
        table = model.__tablename__
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our own names
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def build(url: str, groups: int) -> int:
    """Migrate ``url``, load the demo, add the 50-recommendation section and ``groups`` generated groups.

    Returns the benchmark section's id.
    """
    db = Database(url)
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            load_demo(session)
        now = dt.datetime.now(dt.UTC)
        with db.engine.begin() as conn:
            section_id = _add_fifty_section(conn, now)
            if groups:
                _fill_groups(conn, groups, RECS_PER_GROUP, now)
            if conn.dialect.name == "postgresql":
                _reset_pg_sequences(conn)
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    finally:
        db.dispose()
    return section_id


def _paths(section_id: int) -> tuple[str, str]:
    return f"/g/{DEMO_SLUG}/sections/{section_id}", f"/g/{DEMO_SLUG}"


@contextmanager
def sqlite_database(groups: int, workdir: Path) -> Iterator[BenchDatabase]:
    """A fresh copy of the cached SQLite benchmark database with ``groups`` generated groups (built if missing)."""
    cached = cache_dir() / f"groups-{groups}.sqlite3"
    meta = cached.with_suffix(".meta")
    started = time.monotonic()
    was_cached = cached.exists() and meta.exists()
    if not was_cached:
        building = cached.with_name(f"{cached.name}.{uuid.uuid4().hex[:8]}.tmp")
        section_id = build(f"sqlite:///{building}", groups)
        meta.write_text(f"{section_id} {time.monotonic() - started:.2f}")
        os.replace(building, cached)
    section_id_text, build_text = meta.read_text().split()
    target = workdir / f"groups-{groups}.sqlite3"
    shutil.copyfile(cached, target)
    section, dashboard = _paths(int(section_id_text))
    yield BenchDatabase(f"sqlite:///{target}", section, dashboard, float(build_text), was_cached)


def _pg_admin(url: str) -> str:
    return make_url(url.replace("postgresql+psycopg://", "postgresql://")).render_as_string(hide_password=False)


@contextmanager
def postgres_database(admin_url: str, groups: int) -> Iterator[BenchDatabase]:
    """A fresh PostgreSQL database built from a cached template (``wgbench_<key>_<groups>``), dropped afterwards."""
    key = hashlib.sha256(schema_key().encode()).hexdigest()[:10]
    template = f"wgbench_{key}_{groups}"
    admin = _pg_admin(admin_url)
    base = make_url(admin_url if "+psycopg" in admin_url else admin_url.replace("postgresql://",
                                                                                 "postgresql+psycopg://", 1))
    started = time.monotonic()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone() is not None
        meta = conn.execute("SELECT description FROM pg_shdescription d JOIN pg_database b ON b.oid = d.objoid "
                            "WHERE b.datname = %s", (template,)).fetchone() if exists else None
    if not exists or meta is None:
        with psycopg.connect(admin, autocommit=True) as conn:
            stale = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                                 (f"wgbench\\_%\\_{groups}", template)).fetchall()
            for (old,) in stale:  # templates built for an older schema
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}"')
        section_id = build(base.set(database=template).render_as_string(hide_password=False), groups)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{section_id} {time.monotonic() - started:.2f}'")
            meta = (f"{section_id} {time.monotonic() - started:.2f}",)
    section_id_text, build_text = str(meta[0]).split()
    name = f"wgbench_run_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        section, dashboard = _paths(int(section_id_text))
        yield BenchDatabase(base.set(database=name).render_as_string(hide_password=False), section, dashboard,
                            float(build_text), exists)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
