"""The ``wg`` command as an operator uses it: real subprocesses, real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from wg.models import Export, User, WorkingGroup


def _wg(args: list[str], settings, extra_env: dict[str, str] | None = None, stdin: str | None = None):
    env = {**os.environ, "WG_ENV": "test", "WG_DATA_DIR": str(settings.data_dir),
           "WG_DATABASE_URL": settings.database_url, "WG_SECRET_KEY": settings.secret_key}
    env.pop("WG_PASSWORD", None)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "wg", *args], env=env, capture_output=True, text=True, timeout=120,
                          input=stdin)


def test_help_lists_every_verb(settings):
    result = _wg(["--help"], settings)
    assert result.returncode == 0
    for verb in ["serve", "db", "demo", "user", "import", "export", "backup", "restore"]:
        assert verb in result.stdout


def test_demo_is_idempotent_and_prints_logins(settings, db):
    result = _wg(["demo"], settings)
    assert result.returncode == 0, result.stderr
    assert "already present" in result.stdout
    assert "organizer@example.org" in result.stdout and "password for all" in result.stdout
    with db.session() as s:
        assert len(s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).all()) == 1


def test_user_create_admin_then_duplicate_is_one_clear_line(settings, db):
    ok = _wg(["user", "create", "--email", "Chief@Example.org", "--name", "Chief Admin", "--admin"], settings,
             {"WG_PASSWORD": "a-long-enough-password"})
    assert ok.returncode == 0, ok.stderr
    with db.session() as s:
        user = s.exec(select(User).where(User.email == "chief@example.org")).one()
        assert user.is_admin and user.password_hash and user.password_hash.startswith("$argon2id$")
    again = _wg(["user", "create", "--email", "chief@example.org", "--name", "Again"], settings,
                {"WG_PASSWORD": "a-long-enough-password"})
    assert again.returncode == 2
    assert again.stderr.strip() == "wg: email: A user with this e-mail address already exists."


@pytest.mark.parametrize("email,name,password,message", [
    ("not-an-email", "X", "a-long-enough-password", "wg: email: Enter an e-mail address in the right format"),
    ("ok@example.org", "", "a-long-enough-password", "wg: display_name: Enter your name."),
    ("ok@example.org", "Ok", "short", "wg: password: Use at least 10 characters."),
])
def test_user_create_bad_input(settings, email, name, password, message):
    result = _wg(["user", "create", "--email", email, "--name", name], settings, {"WG_PASSWORD": password})
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


def test_user_create_without_password_source_is_refused(settings):
    result = _wg(["user", "create", "--email", "x@example.org", "--name", "X"], settings, stdin="")
    assert result.returncode == 2
    assert "WG_PASSWORD" in result.stderr


def test_bad_setting_is_one_line(settings):
    result = _wg(["db", "upgrade"], settings, {"WG_DATABASE_URL": "mysql://nope"})
    assert result.returncode == 2
    assert result.stderr.strip() == "wg: WG_DATABASE_URL must be a sqlite:/// or postgresql:// URL"


def test_db_upgrade_on_new_sqlite_file(tmp_path: Path, settings):
    target = tmp_path / "fresh" / "new.sqlite3"
    result = _wg(["db", "upgrade"], settings, {"WG_DATABASE_URL": f"sqlite:///{target}"})
    assert result.returncode == 0, result.stderr
    assert target.exists()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from wg.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head
    return head


def test_db_upgrade_says_it_created_the_schema_of_a_new_database(settings, database_url):
    """A new, empty database: "Created the database schema"; then "up to date" (on each backend)."""
    if database_url.startswith("sqlite"):
        fresh_url = f"sqlite:///{settings.data_dir / 'empty.sqlite3'}"
        cleanup = None
    else:
        from tests.conftest import _pg_exec, _pg_url_for

        name = f"wgt_empty_{os.getpid()}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_exec(f'CREATE DATABASE "{name}"')
        fresh_url = _pg_url_for(name)
        cleanup = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        head = _head_revision()
        first = _wg(["db", "upgrade"], settings, {"WG_DATABASE_URL": fresh_url})
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == f"Created the database schema (revision {head})."
        again = _wg(["db", "upgrade"], settings, {"WG_DATABASE_URL": fresh_url})
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == f"Database is up to date (revision {head})."
    finally:
        if cleanup:
            from tests.conftest import _pg_exec

            _pg_exec(cleanup)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_export_report_from_the_command_line(settings, db, tmp_path: Path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = _wg(["export", "trilateral", "--format", fmt, "--profile", "internal", "--out", str(out)], settings,
                 {"WG_EXPORTS_DIR": str(tmp_path / "exports")})
    assert result.returncode == 0, result.stderr
    assert "Rendering the" in result.stderr  # progress on the terminal
    assert f"as {fmt.upper()} to {out}" in result.stdout
    data = out.read_bytes()
    assert data.startswith(b"%PDF-" if fmt == "pdf" else b"PK")
    stored = list((tmp_path / "exports" / "trilateral").iterdir())
    assert [p.read_bytes() for p in stored] == [data]
    again = _wg(["export", "trilateral", "--format", fmt, "--profile", "internal"], settings,
                {"WG_EXPORTS_DIR": str(tmp_path / "exports")})
    assert again.returncode == 0 and "using the stored file" in again.stderr
    with db.session() as s:  # the identical re-export answered with the same row
        assert len(s.exec(select(Export).where(Export.format == fmt)).all()) == 1


def test_export_unknown_group_is_one_line(settings):
    result = _wg(["export", "nope", "--format", "pdf"], settings)
    assert result.returncode == 2
    assert result.stderr.strip() == "wg: no group with the address 'nope'"
