"""The ``wg`` command (also ``python -m wg``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from wg.db import Database
from wg.lib.errors import ValidationFailed
from wg.lib.files import copy_private, write_private_bytes
from wg.settings import Settings, SettingsError, load_settings


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wg", description="wg — collaboration for track-II working groups.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="migrate the database and serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every pending migration")
    demo = sub.add_parser("demo", help="load the demo trilateral working group (does nothing if it is there)")
    demo.add_argument("--quiet", action="store_true", help="do not print the demo logins")
    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION")
    create = user_sub.add_parser("create", help="create a user (password from WG_PASSWORD or a prompt)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--country", default="", help="ISO 3166 alpha-2 code")
    create.add_argument("--admin", action="store_true", help="platform administrator (creates groups)")
    imp = sub.add_parser("import", help="import a group from a JSON archive (docs/archive-format.md) as a new group")
    imp.add_argument("file", metavar="FILE.json")
    imp.add_argument("--slug", help="import under this address instead of the archive's")
    exp = sub.add_parser("export", help="export a group: the compiled report (pdf, docx) or the whole-group archive "
                                        "(json)")
    exp.add_argument("group")
    exp.add_argument("--format", choices=["pdf", "docx", "json"], default="pdf")
    exp.add_argument("--profile", choices=["public", "internal"], default="public",
                     help="pdf and docx only: the json archive always holds the whole group")
    exp.add_argument("--out", help="where to write (json: '-' or none prints to stdout; pdf/docx: a copy of the file "
                                   "stored under WG_EXPORTS_DIR)")
    backup = sub.add_parser("backup", help="write a consistent backup of the whole database to a new file PATH "
                                           "(safe while wg runs)")
    backup.add_argument("path", metavar="PATH")
    restore = sub.add_parser("restore", help="restore a backup file into the empty database WG_DATABASE_URL names")
    restore.add_argument("path", metavar="PATH")
    return parser


def _database(settings: Settings) -> Database:
    return Database(settings.database_url, echo=settings.log_sql)


def cmd_db_upgrade(settings: Settings) -> None:
    """Apply migrations."""
    from wg.migrate import upgrade, upgrade_message

    db = _database(settings)
    try:
        before, after = upgrade(db.engine)
    finally:
        db.dispose()
    print(upgrade_message(before, after))


def cmd_demo(settings: Settings, quiet: bool) -> None:
    """Load the demo group and print the logins."""
    from wg.demo import DEMO_PASSWORD, demo_logins, load_demo
    from wg.migrate import upgrade

    db = _database(settings)
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            result = load_demo(session)
    finally:
        db.dispose()
    print("Demo group loaded." if result.created else "Demo group already present; nothing changed.")
    if not quiet:
        print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for what, email in demo_logins():
            print(f"  {email:<32} {what}")


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    """Create a user from the command line."""
    from wg.features.accounts.operations import create_user
    from wg.migrate import upgrade

    password = os.environ.get("WG_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise UserError("set WG_PASSWORD or run in a terminal to type the password")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            raise UserError("the two passwords do not match")
    db = _database(settings)
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            user = create_user(session, email=args.email, display_name=args.name, password=password,
                               country=args.country, is_admin=args.admin)
    finally:
        db.dispose()
    print(f"Created {'admin ' if user.is_admin else ''}user {user.email}.")


MAX_ARCHIVE_BYTES = 512 * 1024 * 1024


def _read_archive_file(name: str) -> object:
    """The parsed JSON of an archive file; any problem reading it is one UserError line."""
    import json
    from pathlib import Path

    path = Path(name)
    try:
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise UserError(f"{name} is larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB; not a wg archive")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"cannot read {name}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"cannot read {name}: it is a folder") from None
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None

    def refuse_constant(value: str) -> object:
        raise ValueError(f"{value} is not allowed in JSON")

    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"the key {key!r} appears twice in one object")
            result[key] = value
        return result

    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=refuse_constant,
                          object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError:
        raise UserError(f"{name} is not valid JSON: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "it is nested too deeply"
        raise UserError(f"{name} is not valid JSON: {reason}") from None


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    """Import a group archive as a new group, in one transaction."""
    from sqlalchemy.exc import IntegrityError

    from wg.features.report.archive import restore_archive, validate_archive
    from wg.migrate import upgrade

    # The whole document is checked before the database is touched; a bad one prints every bad path.
    doc = validate_archive(_read_archive_file(args.file))
    db = _database(settings)
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            result = restore_archive(session, doc, args.slug)
    except IntegrityError:
        raise UserError("the import clashed with a change made at the same time; nothing was imported, "
                        "try again") from None
    finally:
        db.dispose()
    c = result.counts
    parts = [f"{c.get(k, 0)} {k}" for k in ("members", "subgroups", "sections", "recommendations", "revisions",
                                            "positions", "review events", "comments")]
    print(f"Imported group {result.group.slug}: {', '.join(parts)}.")
    if result.new_accounts:
        print(f"New accounts without a password ({len(result.new_accounts)}; the organizer sends each an "
              "invitation from the Members page to set one):")
        for email in result.new_accounts:
            print(f"  {email}")
    if result.reused_accounts:
        print(f"Existing accounts joined the group as they are ({len(result.reused_accounts)}).")


def cmd_export_json(settings: Settings, args: argparse.Namespace) -> None:
    """Write a group's archive to a file or stdout."""
    import json
    from pathlib import Path

    from sqlmodel import select

    from wg.features.report.archive import export_archive
    from wg.models import WorkingGroup

    db = _database(settings)
    try:
        with db.session() as session:
            group = session.exec(select(WorkingGroup).where(WorkingGroup.slug == args.group)).first()
            if group is None:
                raise UserError(f"no group with the address '{args.group}'")
            data = export_archive(session, group)
    finally:
        db.dispose()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.out in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out = Path(args.out)
    if out.is_dir():
        raise UserError(f"cannot write {args.out}: it is a folder")
    partial = out.with_name(f".{out.name}.partial")
    try:
        write_private_bytes(partial, text.encode("utf-8"))
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"Exported group {group.slug} to {args.out}.")


def cmd_export_report(settings: Settings, args: argparse.Namespace) -> None:
    """Compile the report as PDF or DOCX, record the export, and copy it to --out if given."""
    import time
    from pathlib import Path

    from sqlmodel import select

    from wg.features.report.exports import export_now
    from wg.migrate import upgrade
    from wg.models import WorkingGroup

    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    db = _database(settings)
    try:
        upgrade(db.engine)
        with db.session() as session:
            group = session.exec(select(WorkingGroup).where(WorkingGroup.slug == args.group)).first()
            if group is None:
                raise UserError(f"no group with the address '{args.group}'")
            group_id = group.id or 0
        job = export_now(db, group_id, args.profile, args.format, settings.exports_dir, user_id=None,
                         ip="cli", progress=progress, lease_seconds=settings.export_lease_seconds)
    finally:
        db.dispose()
    if job.status != "done":
        raise UserError(f"the export failed: {job.error}")
    target = job.path
    if args.out:
        out = Path(args.out)
        if out.is_dir():
            out = out / Path(job.path).name
        try:
            copy_private(Path(job.path), out)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        target = str(out)
    kind = "draft" if job.draft else "final"
    print(f"Exported {args.group} ({args.profile}, {kind}) as {args.format.upper()} to {target} "
          f"(sha256 {job.sha256}, {job.size:,} bytes).")


def cmd_backup(settings: Settings, path: str) -> None:
    """Write a backup of the database to a new file."""
    from pathlib import Path

    from wg.backup import BackupError, create_backup

    try:
        result = create_backup(settings.database_url, Path(path))
    except BackupError as exc:
        raise UserError(str(exc)) from None
    found = result.fingerprint
    print(f"Backed up the {result.backend} database (schema {found.schema_revision}, {len(found.tables)} tables, "
          f"{sum(found.tables.values()):,} rows, {found.revisions:,} revisions) to {result.path} "
          f"({result.size:,} bytes, sha256 {result.sha256}) in {result.seconds:.1f} s.")


def cmd_restore(settings: Settings, path: str) -> None:
    """Restore a backup into the empty database of WG_DATABASE_URL."""
    from pathlib import Path

    from wg.backup import BackupError, restore_backup

    try:
        result = restore_backup(settings.database_url, Path(path))
    except BackupError as exc:
        raise UserError(str(exc)) from None
    found = result.fingerprint
    print(f"Restored the {result.backend} backup taken {result.created_at}: schema {found.schema_revision}, "
          f"{len(found.tables)} tables, {sum(found.tables.values()):,} rows, {found.revisions:,} revisions "
          f"(counts and revision texts match the backup) in {result.seconds:.1f} s.")
    for name, count in sorted(found.tables.items()):
        print(f"  {name:<24} {count:>10,}")
    print(f"Ended the {result.sessions_ended:,} web sessions the backup held: everyone logs in again.")


def cmd_serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Migrate, then serve with uvicorn."""
    import uvicorn

    cmd_db_upgrade(settings)
    print(f"wg is serving at http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
    uvicorn.run("wg.asgi:app", host=host, port=port, workers=workers, log_level="info", proxy_headers=False)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        if args.command == "serve":
            cmd_serve(settings, args.host, args.port, args.workers)
        elif args.command == "db":
            if args.db_command != "upgrade":
                raise UserError("say 'wg db upgrade'")
            cmd_db_upgrade(settings)
        elif args.command == "demo":
            cmd_demo(settings, args.quiet)
        elif args.command == "user":
            if args.user_command != "create":
                raise UserError("say 'wg user create --email E --name N'")
            cmd_user_create(settings, args)
        elif args.command == "import":
            cmd_import(settings, args)
        elif args.command == "export":
            if args.format == "json":
                cmd_export_json(settings, args)
            else:
                cmd_export_report(settings, args)
        elif args.command == "backup":
            cmd_backup(settings, args.path)
        elif args.command == "restore":
            cmd_restore(settings, args.path)
    except (UserError, SettingsError) as exc:
        print(f"wg: {exc}", file=sys.stderr)
        return 2
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            print(f"wg: {field}: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    return 0


def _reader_went_away() -> int:
    """``wg export … | head`` closed the pipe early: stop quietly, as a command killed by SIGPIPE would (141)."""
    # Python would flush stdout once more on exit and print a BrokenPipeError; point it at /dev/null instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


def main() -> None:
    """Entry point of the ``wg`` script."""
    sys.exit(run())
