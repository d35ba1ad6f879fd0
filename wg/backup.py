"""``wg backup`` and ``wg restore``: a consistent copy of the whole database, taken while wg keeps running.

A backup file is an uncompressed tar archive with exactly two members, in this order:

- ``manifest.json`` — what the backup is: ``format`` ("wg-backup"), ``format_version``, ``backend`` ("sqlite" or
  "postgresql"), the wg schema revision (Alembic), when it was taken, the row count of every table, the number of
  revisions with a sha256 over their texts, and the size and sha256 of the payload;
- the payload — ``database.sqlite3`` (SQLite's online backup API: a consistent snapshot even while writers commit)
  or ``database.pgdump`` (``pg_dump --format=custom`` from an exported snapshot, so the manifest's counts describe
  exactly the rows in the dump).

``wg restore`` reads the manifest and checks the payload's size and sha256 before it touches the target, refuses a
target that is not empty or is of the other backend, restores in one transaction (SQLite's backup API into the
target; ``pg_restore --single-transaction``), then checks the restored counts and texts against the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # runs pg_dump / pg_restore, never a shell  # nosec B404
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

import wg
from wg.lib.files import create_private_file

FORMAT = "wg-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
PAYLOAD_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MAX_MANIFEST_BYTES = 1024 * 1024
PG_DUMP_TIMEOUT = 6 * 3600
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something about the backup, the file or the database that the operator must fix; one line of text."""


@dataclass(frozen=True)
class Fingerprint:
    """What a database holds, as far as a backup must preserve it."""

    schema_revision: str
    tables: dict[str, int]
    revisions: int
    revisions_sha256: str


@dataclass(frozen=True)
class BackupResult:
    """What ``create_backup`` wrote."""

    path: Path
    backend: str
    fingerprint: Fingerprint
    size: int
    sha256: str
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore_backup`` restored."""

    backend: str
    created_at: str
    fingerprint: Fingerprint
    seconds: float
    sessions_ended: int = 0


# --- what a database holds ---------------------------------------------------------------------------------------

def backend_of(database_url: str) -> str:
    """"sqlite" or "postgresql"."""
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def fingerprint(conn: Connection) -> Fingerprint:
    """Row counts of every table, the schema revision and a digest of every revision's text, in one snapshot."""
    names = sorted(inspect(conn).get_table_names())
    if "alembic_version" not in names:
        raise BackupError("the database has no wg schema (no alembic_version table); run 'wg db upgrade' first")
    quote = conn.dialect.identifier_preparer.quote
    tables = {name: int(conn.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one())  # noqa: S608 - names from the schema, quoted  # nosec B608
              for name in names}
    versions = [str(v) for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()]
    if len(versions) != 1:
        raise BackupError(f"the database's schema revision is unclear (alembic_version holds {versions})")
    digest = hashlib.sha256()
    count = 0
    if "revisions" in names:
        for (body,) in conn.execute(text('SELECT "text" FROM revisions ORDER BY id')):
            digest.update(hashlib.sha256(body.encode("utf-8")).digest())
            count += 1
    return Fingerprint(versions[0], tables, count, digest.hexdigest())


def known_schema_revisions() -> set[str]:
    """Every Alembic revision this wg knows."""
    from alembic.script import ScriptDirectory

    from wg.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


@contextmanager
def _connect(database_url: str) -> Iterator[Connection]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.database or url.database == ":memory:":
        raise BackupError("WG_DATABASE_URL names an in-memory SQLite database; there is nothing to back up or "
                          "restore into")
    return Path(url.database)


# --- PostgreSQL client programs ------------------------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH; install the PostgreSQL client programs (Debian: "
                          f"postgresql-client) in the same major version as the server")
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment that carries the password."""
    url: URL = make_url(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _last_lines(stderr: str, n: int = 3) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " / ".join(lines[-n:]) or "no message"


# --- backup ------------------------------------------------------------------------------------------------------

def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _snapshot_sqlite(database_url: str, out: Path) -> Fingerprint:
    source = _sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(out)) as dst:
            src.execute("PRAGMA busy_timeout=30000")
            # pages=-1: one step under one read transaction, so the copy is one consistent state; in WAL mode
            # writers carry on meanwhile.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # the payload is one self-contained file
            if (check := dst.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
                raise BackupError(f"the copy of the database failed SQLite's check: {check}")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    with _connect(f"sqlite:///{out}") as conn:
        return fingerprint(conn)


def _snapshot_postgresql(database_url: str, out: Path) -> Fingerprint:
    pg_dump = _pg_tool("pg_dump")
    conninfo, env = _libpq(database_url)
    try:
        with _connect(database_url) as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the very snapshot the counts are taken from, so the manifest describes the dump.
                snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
                found = fingerprint(conn)
                result = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed  # nosec B603
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out}", f"--dbname={conninfo}"],
                    env=env, capture_output=True, text=True, timeout=PG_DUMP_TIMEOUT, check=False)
    except BackupError:
        raise
    except subprocess.TimeoutExpired:
        raise BackupError(f"pg_dump did not finish within {PG_DUMP_TIMEOUT // 3600} hours") from None
    except Exception as exc:  # noqa: BLE001 - any database error becomes one line for the operator
        raise BackupError(f"cannot read the PostgreSQL database: {_first_line(exc)}") from None
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_last_lines(result.stderr)}")
    return found


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def create_backup(database_url: str, path: Path) -> BackupResult:
    """Write a backup of the database at ``database_url`` to ``path`` (which must not exist yet)."""
    started = time.monotonic()
    backend = backend_of(database_url)
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new name or remove it first")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist")
    created_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    payload_name = PAYLOAD_NAMES[backend]
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise BackupError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        payload = work / payload_name
        found = (_snapshot_sqlite if backend == "sqlite" else _snapshot_postgresql)(database_url, payload)
        size = payload.stat().st_size
        payload_sha = _sha256_file(payload)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "backend": backend,
            "created_at": created_at,
            "wg_version": wg.__version__,
            "schema_revision": found.schema_revision,
            "tables": found.tables,
            "revisions": {"count": found.revisions, "sha256": found.revisions_sha256},
            "payload": {"name": payload_name, "size": size, "sha256": payload_sha},
        }
        partial = work / "backup.tar"
        raw = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime, info.mode = len(raw), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(raw))
            info = tar.gettarinfo(str(payload), arcname=payload_name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with payload.open("rb") as fh:
                tar.addfile(info, fh)
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(partial, 0o600)
        if path.exists():
            raise BackupError(f"{path} appeared while the backup ran; nothing was written")
        partial.replace(path)
        _fsync_dir(path.parent)
        total = path.stat().st_size
        return BackupResult(path, backend, found, total, _sha256_file(path), time.monotonic() - started)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- reading a backup file ---------------------------------------------------------------------------------------

def _not_a_backup(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a usable wg backup: {why}")


def _check_manifest(path: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _not_a_backup(path, "its manifest does not say format 'wg-backup'")
    if data.get("format_version") != FORMAT_VERSION:
        raise _not_a_backup(path, f"backup format version {data.get('format_version')!r} is not one this wg "
                                  f"reads ({FORMAT_VERSION}); use the wg version that wrote it")
    backend = data.get("backend")
    if backend not in PAYLOAD_NAMES:
        raise _not_a_backup(path, f"unknown backend {backend!r}")
    payload = data.get("payload")
    revisions = data.get("revisions")
    tables = data.get("tables")
    ok = (isinstance(payload, dict) and payload.get("name") == PAYLOAD_NAMES[backend]
          and isinstance(payload.get("size"), int) and isinstance(payload.get("sha256"), str)
          and isinstance(revisions, dict) and isinstance(revisions.get("count"), int)
          and isinstance(revisions.get("sha256"), str) and isinstance(tables, dict)
          and all(isinstance(k, str) and isinstance(v, int) for k, v in tables.items())
          and isinstance(data.get("schema_revision"), str) and isinstance(data.get("created_at"), str))
    if not ok:
        raise _not_a_backup(path, "its manifest is incomplete")
    return data


def _copy_out(member: IO[bytes], out: Path, expected_size: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with out.open("wb") as fh:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > expected_size:
                break
            digest.update(chunk)
            fh.write(chunk)
    return size, digest.hexdigest()


def read_backup(path: Path, work: Path) -> tuple[dict[str, Any], Path]:
    """The manifest of a backup file and its payload, copied into ``work`` and checked against the manifest."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"cannot read {path}: no such file")
    if not path.is_file():
        raise BackupError(f"cannot read {path}: it is not a file")
    try:
        with tarfile.open(path, "r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise _not_a_backup(path, f"it does not start with {MANIFEST_NAME}")
            if first.size > MAX_MANIFEST_BYTES:
                raise _not_a_backup(path, "its manifest is too large")
            fh = tar.extractfile(first)
            raw = fh.read() if fh else b""
            if len(raw) != first.size:
                raise _not_a_backup(path, "the file is truncated")
            try:
                manifest = _check_manifest(path, json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _not_a_backup(path, "its manifest is not valid JSON") from None
            second = tar.next()
            expected = manifest["payload"]
            if second is None or second.name != expected["name"] or not second.isfile():
                raise _not_a_backup(path, f"the file is truncated or lacks {expected['name']}")
            payload = work / expected["name"]
            member = tar.extractfile(second)
            if member is None:
                raise _not_a_backup(path, f"{expected['name']} cannot be read")
            size, sha = _copy_out(member, payload, expected["size"])
            if size < expected["size"]:
                raise _not_a_backup(path, f"the file is truncated ({expected['name']} has {size:,} of "
                                          f"{expected['size']:,} bytes)")
            if size != expected["size"] or second.size != expected["size"]:
                raise _not_a_backup(path, f"{expected['name']} is not the size its manifest gives (the file is "
                                          f"damaged)")
            if sha != expected["sha256"]:
                raise _not_a_backup(path, f"{expected['name']} does not match its sha256 (the file is damaged)")
            if tar.next() is not None:
                raise _not_a_backup(path, "it holds more than a manifest and a database")
    except tarfile.TarError as exc:
        message = str(exc)
        if "unexpected end" in message or "truncated" in message:
            raise _not_a_backup(path, "the file is truncated") from None
        raise _not_a_backup(path, "it is not a tar archive written by 'wg backup'") from None
    except (EOFError, OSError, ValueError) as exc:
        raise _not_a_backup(path, f"reading it failed ({exc})") from None
    return manifest, payload


def _fingerprint_matches(manifest: dict[str, Any], found: Fingerprint) -> str:
    """Empty when ``found`` is what the manifest describes, else what differs."""
    if found.schema_revision != manifest["schema_revision"]:
        return f"schema revision {found.schema_revision} instead of {manifest['schema_revision']}"
    if found.tables != manifest["tables"]:
        diff = sorted(set(found.tables.items()) ^ set(manifest["tables"].items()))
        return f"table row counts differ: {diff[:6]}"
    if (found.revisions, found.revisions_sha256) != (manifest["revisions"]["count"], manifest["revisions"]["sha256"]):
        return "the revisions' texts differ"
    return ""


# --- restore -----------------------------------------------------------------------------------------------------

def _sqlite_tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view', "
                                           "'trigger', 'index') ORDER BY name")]


def _restore_sqlite(database_url: str, payload: Path, manifest: dict[str, Any]) -> None:
    target = _sqlite_path(database_url)
    existed = target.exists()
    if existed:
        if not target.is_file():
            raise BackupError(f"cannot restore into {target}: it is not a file")
        try:
            objects = _sqlite_tables(target)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot restore into {target}: {exc}") from None
        if objects:
            raise BackupError(f"refusing to restore into {target}: the database is not empty (it holds "
                              f"{len(objects)} tables, indexes or triggers); restore into a new, empty database "
                              f"(a file that does not exist yet)")
    elif not target.parent.is_dir():
        raise BackupError(f"cannot restore into {target}: the folder {target.parent} does not exist")
    # Check the copy itself before the target is touched.
    try:
        with closing(sqlite3.connect(payload)) as conn:
            if (check := conn.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
                raise BackupError(f"the database in the backup failed SQLite's check: {check}")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in the backup cannot be read: {exc}") from None
    with _connect(f"sqlite:///{payload}") as conn:
        if differs := _fingerprint_matches(manifest, fingerprint(conn)):
            raise BackupError(f"the database in the backup does not match its manifest: {differs}")
    if not existed:
        create_private_file(target)  # 0600; SQLite gives its -wal and -shm files the database file's mode
    try:
        with closing(sqlite3.connect(payload)) as src, closing(sqlite3.connect(target, timeout=30)) as dst:
            dst.execute("PRAGMA busy_timeout=30000")
            if _sqlite_tables(target):  # someone created tables since the check above
                raise BackupError(f"refusing to restore into {target}: the database is no longer empty")
            # One step, one write transaction on the target: all of it or nothing.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        if not existed:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        raise BackupError(f"cannot restore into {target}: {exc}") from None


PG_USER_OBJECTS = """
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'))
"""


def _restore_postgresql(database_url: str, payload: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    conninfo, env = _libpq(database_url)
    listing = subprocess.run([pg_restore, "--list", str(payload)],  # noqa: S603 - fixed program  # nosec B603
                             env=env, capture_output=True, text=True, timeout=600, check=False)
    if listing.returncode != 0:
        raise BackupError(f"the PostgreSQL dump in the backup cannot be read: {_last_lines(listing.stderr)}")
    name = make_url(database_url).database
    try:
        with _connect(database_url) as conn:
            objects = int(conn.execute(text(PG_USER_OBJECTS)).scalar_one())
    except Exception as exc:  # noqa: BLE001 - any connection error becomes one line for the operator
        message = _first_line(exc)
        if "does not exist" in message:
            raise BackupError(f"the database {name!r} does not exist; create an empty one first "
                              f"(createdb {name})") from None
        raise BackupError(f"cannot connect to the target database: {message}") from None
    if objects:
        raise BackupError(f"refusing to restore into database {name!r}: it is not empty (it holds {objects} "
                          f"tables, sequences or functions); restore into a new, empty database")
    result = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed  # nosec B603
        [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl", f"--dbname={conninfo}",
         str(payload)], env=env, capture_output=True, text=True, timeout=PG_DUMP_TIMEOUT, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed and restored nothing: {_last_lines(result.stderr)}")


def restore_backup(database_url: str, path: Path) -> RestoreResult:
    """Restore the backup at ``path`` into the empty database at ``database_url``; nothing is written on error."""
    started = time.monotonic()
    backend = backend_of(database_url)
    with tempfile.TemporaryDirectory(prefix="wg-restore-") as tmp:
        manifest, payload = read_backup(Path(path), Path(tmp))
        if manifest["backend"] != backend:
            raise BackupError(f"{path} is a {manifest['backend']} backup and WG_DATABASE_URL is a {backend} "
                              f"database; a backup restores only into the backend it came from")
        if manifest["schema_revision"] not in known_schema_revisions():
            raise BackupError(f"{path} has schema revision {manifest['schema_revision']}, which this wg does not "
                              f"know: restore it with the wg version that wrote it ({manifest.get('wg_version')})")
        if backend == "sqlite":
            _restore_sqlite(database_url, payload, manifest)
        else:
            _restore_postgresql(database_url, payload)
    with _connect(database_url) as conn:
        found = fingerprint(conn)
    if differs := _fingerprint_matches(manifest, found):
        raise BackupError(f"the restored database does not match the backup's manifest: {differs}")
    ended = end_web_sessions(database_url)
    return RestoreResult(backend, str(manifest["created_at"]), found, time.monotonic() - started, ended)


def end_web_sessions(database_url: str) -> int:
    """End every web session in the database (members log in again); the number ended.

    A backup holds the sessions that were open when it was taken, including ones that have ended since (a member
    logged out, an organizer removed someone, a session was rotated). Restored as they were, those cookies would
    work again, so a restore ends them all.
    """
    try:
        with _connect(database_url) as conn, conn.begin():
            return int(conn.execute(text("DELETE FROM web_sessions")).rowcount or 0)
    except Exception as exc:  # noqa: BLE001 - any database error becomes one line for the operator
        raise BackupError(f"the backup was restored and checked, but ending its web sessions failed, so cookies "
                          f"from before the restore may still work: {_first_line(exc)}; run wg restore again "
                          f"into a new database") from None
