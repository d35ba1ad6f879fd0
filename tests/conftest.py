"""Shared fixtures: every database test runs on SQLite and, when WG_TEST_POSTGRES_URL is set, on PostgreSQL.

Each backend gets a template database (migrated, demo loaded) once per test process; every test then gets its own
copy (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from wg.app import create_app
from wg.db import Database
from wg.demo import DEMO_PASSWORD, load_demo
from wg.migrate import upgrade
from wg.settings import Settings, load_settings

PG_URL = os.environ.get("WG_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if PG_URL else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which databases the run covers, so the log shows it."""
    return [f"wg database backends: {', '.join(_backends())}" + ("" if PG_URL else " (WG_TEST_POSTGRES_URL unset)")]


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI a missing PostgreSQL is a failure, never a silent skip."""
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but WG_TEST_POSTGRES_URL is not set: PostgreSQL tests would not run")


def _pg_admin_dsn() -> str:
    url = make_url(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
    return url.render_as_string(hide_password=False)


def _pg_url_for(dbname: str) -> str:
    url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                   if PG_URL.startswith("postgresql://") else PG_URL)
    return url.set(database=dbname).render_as_string(hide_password=False)


def _pg_exec(sql: str) -> None:
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _prepare(db: Database) -> None:
    upgrade(db.engine)
    with db.transaction() as session:
        load_demo(session)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database with the demo group per backend, to copy for each test."""
    templates: dict[str, str] = {}
    folder = tmp_path_factory.mktemp("template")
    sqlite_path = folder / "template.sqlite3"
    db = Database(f"sqlite:///{sqlite_path}")
    _prepare(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    templates["sqlite"] = str(sqlite_path)
    pg_template = ""
    if PG_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        pg_template = f"wgt_template_{worker}_{uuid.uuid4().hex[:8]}"
        _pg_exec(f'CREATE DATABASE "{pg_template}"')
        db = Database(_pg_url_for(pg_template))
        _prepare(db)
        db.dispose()
        templates["postgres"] = pg_template
    yield templates
    if pg_template:
        _pg_exec(f'DROP DATABASE IF EXISTS "{pg_template}" WITH (FORCE)')


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, _templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh database with the demo group, on each backend in turn."""
    if request.param == "sqlite":
        target = tmp_path / "wg.sqlite3"
        shutil.copyfile(_templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    name = f"wgt_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{_templates["postgres"]}"')
    try:
        yield _pg_url_for(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings pointing at this test's database."""
    return load_settings({
        "WG_ENV": "test",
        "WG_DATA_DIR": str(tmp_path / "data"),
        "WG_DATABASE_URL": database_url,
        "WG_EXPORTS_DIR": str(tmp_path / "exports"),
        "WG_SECRET_KEY": "test-secret-key-" + "x" * 32,
    })


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The test database, for arranging and checking rows directly."""
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Litestar:
    """The app under test."""
    return create_app(settings, db=db)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """An anonymous browser."""
    with TestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def make_client(app: Litestar) -> Iterator[object]:
    """Open more browsers (each with its own cookies)."""
    clients: list[TestClient[Litestar]] = []

    def _make() -> TestClient[Litestar]:
        c = TestClient(app=app, base_url="http://testserver.local")
        c.__enter__()
        clients.append(c)
        return c

    yield _make
    for c in reversed(clients):  # Litestar test clients sharing one app must close newest first
        c.__exit__(None, None, None)


def csrf_from(html: str) -> str:
    """The CSRF token in a page's forms."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient[Litestar], email: str, password: str = DEMO_PASSWORD) -> TestClient[Litestar]:
    """Log a test browser in through the login form."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password, "_csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def post_form(client: TestClient[Litestar], page_url: str, action: str, data: dict[str, object]) -> object:
    """Open a page, then submit a form to ``action`` with that page's CSRF token (as a browser would)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={**data, "_csrf_token": csrf_from(page.text)}, follow_redirects=False)


def api_token(client: TestClient[Litestar]) -> str:
    """The CSRF token for API calls of this client's session."""
    token: str = client.get("/api/v1/session").json()["csrf_token"]
    return token
