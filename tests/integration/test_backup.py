"""``wg backup`` and ``wg restore`` on SQLite and PostgreSQL.

The backup is taken by the real command while a real ``wg serve`` keeps committing saves; it is restored into a new,
empty database, which must hold every revision committed before the backup started (same ids, same text sha256),
only revisions that really were committed, with no gap in any history (one consistent snapshot) — and the app must
run on it. Bad input (a non-empty target, a garbage, truncated or damaged file, the other backend, no pg_dump) is
one clear line on stderr, exit status 2, and nothing written.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from tests.conftest import _pg_exec, _pg_url_for, login, post_form
from tests.live_server import running_server
from wg.app import create_app
from wg.backup import fingerprint
from wg.cli import run
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG
from wg.features.accounts.sessions import SESSION_COOKIE
from wg.settings import Settings, load_settings

API = f"/api/v1/groups/{DEMO_SLUG}/recommendations/1"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


# --- helpers ------------------------------------------------------------------------------------------------------

def _env(settings: Settings, database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "WG_ENV": "test", "WG_DATA_DIR": str(settings.data_dir), "WG_DATABASE_URL": database_url,
            "WG_SECRET_KEY": settings.secret_key, **extra}


def _wg(settings: Settings, database_url: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """The real ``wg`` command, in its own process."""
    return subprocess.run([sys.executable, "-m", "wg", *args], env=_env(settings, database_url, **extra),  # noqa: S603
                          capture_output=True, text=True, timeout=300, check=False)


def _wg_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings,
             database_url: str, *args: str) -> tuple[int, str, str]:
    """The ``wg`` command in this process (quicker, for the many refusals): exit status, stdout, stderr."""
    for key, value in _env(settings, database_url).items():
        if key.startswith("WG_"):
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    status = run(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _revisions(database_url: str) -> dict[int, tuple[str, int, int, str]]:
    """Every revision: id -> (target type, target id, rev_no, sha256 of the text)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text('SELECT id, target_type, target_id, rev_no, "text" FROM revisions')).all()
    finally:
        engine.dispose()
    return {r[0]: (r[1], r[2], r[3], hashlib.sha256(r[4].encode("utf-8")).hexdigest()) for r in rows}


def _objects(database_url: str) -> list[str]:
    """The tables in a database (none in an empty one); a SQLite file that does not exist has none."""
    if database_url.startswith("sqlite") and not Path(database_url.split("///", 1)[1]).exists():
        return []
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same backend as ``database_url`` (on SQLite: a file not yet created)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"wgt_restore_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield _pg_url_for(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backup_file(settings: Settings, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> Path:
    """A good backup of the demo database."""
    path = tmp_path / "demo.wgbackup"
    status, out, err = _wg_here(monkeypatch, capsys, settings, database_url, "backup", str(path))
    assert status == 0, err
    assert out.startswith("Backed up the ")
    return path


# --- a backup while saves go on, restored and used ----------------------------------------------------------------

class Writer(threading.Thread):
    """Saves new revisions of R-1 through a real server's API, one after another, until told to stop."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True, name="writer")
        self.base = base
        self.stop = threading.Event()
        self.acknowledged = 0
        self.errors: list[str] = []

    def run(self) -> None:
        """Log in, then save until stopped."""
        try:
            with httpx.Client(base_url=self.base, timeout=30.0) as client:
                first = client.get("/api/v1/session")
                login_ = client.post("/api/v1/session", headers={"x-csrftoken": first.json()["csrf_token"]},
                                     json={"email": "maya.chen@example.org", "password": DEMO_PASSWORD})
                assert login_.status_code == 200, login_.text
                token = login_.json()["csrf_token"]
                while not self.stop.is_set():
                    current = client.get(API).json()["current"]
                    saved = client.post(f"{API}/revisions", headers={"x-csrftoken": token}, json={
                        "base_rev_no": current["rev_no"], "title": current["title"], "rationale": current["rationale"],
                        "text": f"Save {self.acknowledged + 1}: {uuid.uuid4().hex} — 保存 저장.",
                        "target": current["target"], "note": "written during a backup"})
                    assert saved.status_code == 201, f"{saved.status_code} {saved.text[:300]}"
                    self.acknowledged += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(f"{type(exc).__name__}: {exc}")


def test_backup_while_saving_restores_every_committed_revision_and_the_app_runs_on_it(
        settings: Settings, database_url: str, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    path = tmp_path / "during-saves.wgbackup"
    with running_server(settings, tmp_path) as server:
        writer = Writer(server.url)
        writer.start()
        try:
            deadline = time.monotonic() + 60
            while writer.acknowledged < 5 and not writer.errors and time.monotonic() < deadline:
                time.sleep(0.05)
            assert writer.acknowledged >= 5, writer.errors
            before = _revisions(database_url)
            started = time.monotonic()
            result = _wg(settings, database_url, "backup", str(path))
            seconds = time.monotonic() - started
            after = _revisions(database_url)
            saved_after_backup = writer.acknowledged
            # keep writing a moment longer, so the backup cannot have been taken in a lull at its very end
            while writer.acknowledged < saved_after_backup + 2 and not writer.errors:
                time.sleep(0.05)
        finally:
            writer.stop.set()
            writer.join(timeout=30)
    assert writer.errors == []
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Backed up the {'sqlite' if backend == 'sqlite' else 'postgresql'} database")
    assert len(after) > len(before), "no save landed while the backup ran; the test proved nothing"

    # The file says what it is.
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["manifest.json", "database.sqlite3" if backend == "sqlite" else "database.pgdump"]
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["format"] == "wg-backup" and manifest["backend"] == ("sqlite" if backend == "sqlite"
                                                                         else "postgresql")
    assert len(before) <= manifest["revisions"]["count"] <= len(after)

    status, out, err = _wg_here(monkeypatch, capsys, settings, empty_url, "restore", str(path))
    assert status == 0, err
    assert out.startswith(f"Restored the {manifest['backend']} backup taken {manifest['created_at']}")
    assert f"{manifest['revisions']['count']:,} revisions" in out
    restored = _revisions(empty_url)

    # Every revision committed before the backup started is there with the same text; everything there was
    # really committed; and no history has a gap (one snapshot, not a smear of several moments).
    missing = sorted(set(before) - set(restored))
    assert missing == [], f"{len(missing)} revisions committed before the backup are missing"
    assert {i: restored[i] for i in before} == before
    assert all(after.get(i) == row for i, row in restored.items()), "the restore holds a revision never committed"
    assert len(restored) == manifest["revisions"]["count"]
    histories: dict[tuple[str, int], list[int]] = {}
    for target_type, target_id, rev_no, _ in restored.values():
        histories.setdefault((target_type, target_id), []).append(rev_no)
    assert all(sorted(nos) == list(range(1, len(nos) + 1)) for nos in histories.values())
    db = Database(empty_url)
    try:
        with db.engine.connect() as conn:
            # Every table as the backup says, except the web sessions: a restore ends them all (members log in again).
            assert manifest["tables"]["web_sessions"] >= 1
            assert fingerprint(conn).tables == {**manifest["tables"], "web_sessions": 0}
        # The app runs on the restored database: log in, open the group and the recommendation being saved.
        restored_settings = load_settings({**_env(settings, empty_url), "WG_EXPORTS_DIR": str(tmp_path / "exp")})
        with db.engine.connect() as conn:
            r1 = conn.execute(text("SELECT id FROM recommendations WHERE number = 1")).scalar_one()
        newest = max((r for r in restored.values() if r[:2] == ("recommendation", r1)), key=lambda r: r[2])
        with TestClient(app=create_app(restored_settings, db=db), base_url="http://testserver.local") as client:
            login(client, "maya.chen@example.org")
            group = client.get(f"/g/{DEMO_SLUG}")
            assert group.status_code == 200
            assert "U.S.–Japan–ROK Trilateral Working Group" in group.text
            current = client.get(API).json()["current"]
            assert current["rev_no"] == newest[2]
            assert hashlib.sha256(current["text"].encode("utf-8")).hexdigest() == newest[3]
    finally:
        db.dispose()
    summary = (f"backup while writing [{backend}]: revisions at start={len(before)} in backup="
               f"{manifest['revisions']['count']} at end={len(after)} backup took {seconds:.1f}s "
               f"(command, incl. start-up), file {path.stat().st_size:,} bytes")
    print("\n" + summary)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"backup_{backend}.txt").write_text(summary + "\n")


# --- refusals ----------------------------------------------------------------------------------------------------

def test_restore_refuses_a_database_that_is_not_empty(settings: Settings, database_url: str, backup_file: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    revisions = _revisions(database_url)
    status, out, err = _wg_here(monkeypatch, capsys, settings, database_url, "restore", str(backup_file))
    assert status == 2
    assert err.startswith("wg: refusing to restore into ") and "is not empty" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _revisions(database_url) == revisions


def _truncated(path: Path, out: Path) -> Path:
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def _damaged(path: Path, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    with tarfile.open(path) as tar:
        payload = tar.getmembers()[1]
    data[payload.offset_data + payload.size // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def _garbage(_path: Path, out: Path) -> Path:
    out.write_bytes(os.urandom(50_000))
    return out


def _not_a_manifest(_path: Path, out: Path) -> Path:
    with tarfile.open(out, "w") as tar:
        source = out.with_suffix(".txt")
        source.write_text('{"format": "something else"}')
        tar.add(source, arcname="manifest.json")
    return out


@pytest.mark.parametrize(("make", "message"), [
    (_garbage, "it is not a tar archive written by 'wg backup'"),
    (_truncated, "the file is truncated"),
    (_damaged, "does not match its sha256 (the file is damaged)"),
    (_not_a_manifest, "its manifest does not say format 'wg-backup'"),
], ids=["garbage", "truncated", "damaged", "foreign-tar"])
def test_restore_refuses_a_bad_file_and_writes_nothing(settings: Settings, backup_file: Path, empty_url: str,
                                                       tmp_path: Path, make: object, message: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = make(backup_file, tmp_path / "bad.wgbackup")  # type: ignore[operator]
    status, out, err = _wg_here(monkeypatch, capsys, settings, empty_url, "restore", str(bad))
    assert status == 2
    assert err.startswith(f"wg: {bad} is not a usable wg backup: ") and err.endswith(f"{message}\n"), err
    assert err.count("\n") == 1
    assert out == ""
    assert _objects(empty_url) == []


def test_restore_refuses_the_other_backend_and_a_missing_file(settings: Settings, database_url: str,
                                                              backup_file: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    if database_url.startswith("sqlite"):
        other = os.environ.get("WG_TEST_POSTGRES_URL", "")
        if not other:
            pytest.skip("needs WG_TEST_POSTGRES_URL for a database of the other backend")
        name = f"wgt_restore_{uuid.uuid4().hex[:12]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE template0')
        target, mine, theirs = _pg_url_for(name), "sqlite", "postgresql"
    else:
        name = ""
        target, mine, theirs = f"sqlite:///{tmp_path / 'other.sqlite3'}", "postgresql", "sqlite"
    try:
        status, _, err = _wg_here(monkeypatch, capsys, settings, target, "restore", str(backup_file))
        assert status == 2
        assert err == (f"wg: {backup_file} is a {mine} backup and WG_DATABASE_URL is a {theirs} database; a backup "
                       f"restores only into the backend it came from\n")
        assert _objects(target) == []
        status, _, err = _wg_here(monkeypatch, capsys, settings, target, "restore", str(tmp_path / "nothing"))
        assert (status, err) == (2, f"wg: cannot read {tmp_path / 'nothing'}: no such file\n")
    finally:
        if name:
            _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_refuses_an_existing_file_and_reports_a_missing_pg_dump(
        settings: Settings, database_url: str, backup_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = backup_file.read_bytes()
    status, _, err = _wg_here(monkeypatch, capsys, settings, database_url, "backup", str(backup_file))
    assert (status, err) == (2, f"wg: {backup_file} already exists; choose a new name or remove it first\n")
    assert backup_file.read_bytes() == before
    if database_url.startswith("sqlite"):
        return
    empty_path = tmp_path / "no-tools"
    empty_path.mkdir()
    monkeypatch.setenv("PATH", str(empty_path))
    target = tmp_path / "never.wgbackup"
    status, _, err = _wg_here(monkeypatch, capsys, settings, database_url, "backup", str(target))
    assert status == 2
    assert err.startswith("wg: pg_dump was not found on PATH; install the PostgreSQL client programs")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".never")) == []


# --- sessions do not come back -----------------------------------------------------------------------------------

def test_a_restore_ends_every_web_session(settings: Settings, database_url: str, empty_url: str, make_client: Any,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    stays = login(make_client(), "haruka.sato@example.org")
    leaves = login(make_client(), "kim.minjun@example.org")
    for browser in (stays, leaves):
        assert browser.get(f"/g/{DEMO_SLUG}", follow_redirects=False).status_code == 200
    cookies = {"stays": stays.cookies.get(SESSION_COOKIE), "leaves": leaves.cookies.get(SESSION_COOKIE)}
    assert all(cookies.values())
    path = tmp_path / "with-sessions.wgbackup"
    status, _, err = _wg_here(monkeypatch, capsys, settings, database_url, "backup", str(path))
    assert status == 0, err
    # After the backup, one member logs out: that cookie is dead on this server.
    assert post_form(leaves, "/", "/logout", {}).status_code == 303  # type: ignore[attr-defined]
    assert leaves.get(f"/g/{DEMO_SLUG}", follow_redirects=False).status_code == 303
    status, out, err = _wg_here(monkeypatch, capsys, settings, empty_url, "restore", str(path))
    assert status == 0, err
    assert "web sessions the backup held: everyone logs in again." in out
    restored = Database(empty_url)
    try:
        app = create_app(settings, db=restored)
        for who, cookie in cookies.items():
            with TestClient(app=app, base_url="http://testserver.local") as browser:
                browser.cookies.set(SESSION_COOKIE, cookie or "")
                page = browser.get(f"/g/{DEMO_SLUG}", follow_redirects=False)
                assert page.status_code == 303 and page.headers["location"].startswith("/login"), who
                assert browser.get("/api/v1/session").json()["authenticated"] is False, who
        with TestClient(app=app, base_url="http://testserver.local") as browser:  # logging in again works
            assert login(browser, "haruka.sato@example.org").get(f"/g/{DEMO_SLUG}").status_code == 200
        with restored.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 1
    finally:
        restored.dispose()
