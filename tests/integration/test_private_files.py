"""What wg writes to disk is its owner's only (folders 0700, files 0600), and ``wg … | head`` stops quietly.

Real ``wg`` processes started with the usual umask (022), on SQLite and PostgreSQL (issue 12, item 10).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wg.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "WG_ENV": "test", "WG_DATA_DIR": str(settings.data_dir),
           "WG_DATABASE_URL": settings.database_url, "WG_SECRET_KEY": settings.secret_key}
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


def _wg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wg", *args], env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=300, check=False, preexec_fn=lambda: os.umask(0o022))  # noqa: PLW1509


@pytest.fixture
def demo_on_sqlite(_templates: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment of a ``wg`` command on a copy of the demo database (for what does not depend on the backend)."""
    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(_templates["sqlite"], target)
    return {**os.environ, "WG_ENV": "test", "WG_DATA_DIR": str(tmp_path / "data"),
            "WG_DATABASE_URL": f"sqlite:///{target}", "WG_SECRET_KEY": "test-secret-key-" + "x" * 32}


def test_a_new_sqlite_database_its_folder_and_the_secret_key_are_private(tmp_path: Path):
    data = tmp_path / "fresh" / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    env.update(WG_ENV="development", WG_DATA_DIR=str(data))
    result = _wg(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in data.iterdir())
    assert "wg.sqlite3" in files and "secret_key" in files, files
    assert _mode(data) == 0o700
    assert _mode(tmp_path / "fresh") == 0o700  # a parent wg had to create too
    for name in files:  # the database, its -wal and -shm files, the generated secret key
        assert _mode(data / name) == 0o600, (name, oct(_mode(data / name)))


def test_exports_backups_and_restores_are_private(tmp_path: Path, settings: Settings, database_url: str):
    exports = tmp_path / "new-exports"
    env = _env(settings, WG_EXPORTS_DIR=str(exports))
    out = tmp_path / "copy.docx"
    result = _wg(env, "export", "trilateral", "--format", "docx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    stored = list((exports / "trilateral").iterdir())
    assert [p.suffix for p in stored] == [".docx"]
    assert (_mode(exports), _mode(exports / "trilateral"), _mode(stored[0]), _mode(out)) == (0o700, 0o700,
                                                                                           0o600, 0o600)
    archive = tmp_path / "group.json"
    assert _wg(env, "export", "trilateral", "--format", "json", "--out", str(archive)).returncode == 0
    assert _mode(archive) == 0o600
    backup = tmp_path / "b.wgbackup"
    assert _wg(env, "backup", str(backup)).returncode == 0
    assert _mode(backup) == 0o600
    if database_url.startswith("sqlite"):
        target = tmp_path / "restored.sqlite3"
        result = _wg({**env, "WG_DATABASE_URL": f"sqlite:///{target}"}, "restore", str(backup))
        assert result.returncode == 0, result.stderr
        assert _mode(target) == 0o600


@pytest.mark.parametrize("args", [["export", "trilateral", "--format", "json"], ["import", "ARCHIVE", "--slug",
                                                                                   "copy-of-trilateral"]],
                         ids=["export", "import"])
def test_a_reader_that_goes_away_early_stops_wg_quietly(tmp_path: Path, demo_on_sqlite: dict[str, str],
                                                        args: list[str]):
    env = demo_on_sqlite
    if "ARCHIVE" in args:
        archive = tmp_path / "group.json"
        assert _wg(env, "export", "trilateral", "--format", "json", "--out", str(archive)).returncode == 0
        args = [str(archive) if a == "ARCHIVE" else a for a in args]
    # Like `wg … | head -0`: the reading end of the pipe is closed before wg writes a byte.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "wg", *args], env=env, stdout=write_end,  # noqa: S603
                                stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141  # as a command stopped by SIGPIPE
