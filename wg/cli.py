"""The ``wg`` command (also ``python -m wg``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from wg.db import Database
from wg.lib.errors import ValidationFailed
from wg.settings import Settings, SettingsError, load_settings

LATER = {
    "import": "importing a group from JSON arrives with the report archive",
    "export": "exporting the report arrives with the report feature",
    "backup": "backups arrive with the hardening work",
    "restore": "restoring backups arrives with the hardening work",
}


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
    imp = sub.add_parser("import", help="import a group from a JSON archive (not yet available)")
    imp.add_argument("file", metavar="FILE.json")
    exp = sub.add_parser("export", help="export a group's report (not yet available)")
    exp.add_argument("group")
    exp.add_argument("--format", choices=["pdf", "docx", "json"], default="pdf")
    exp.add_argument("--profile", choices=["public", "internal"], default="public")
    exp.add_argument("--out")
    backup = sub.add_parser("backup", help="back up the database (not yet available)")
    backup.add_argument("path", metavar="PATH")
    restore = sub.add_parser("restore", help="restore a backup into an empty database (not yet available)")
    restore.add_argument("path", metavar="PATH")
    return parser


def _database(settings: Settings) -> Database:
    return Database(settings.database_url, echo=settings.log_sql)


def cmd_db_upgrade(settings: Settings) -> None:
    """Apply migrations."""
    from wg.migrate import upgrade

    db = _database(settings)
    try:
        upgrade(db.engine)
    finally:
        db.dispose()
    print("Database is up to date.")


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
        if args.command in LATER:
            raise UserError(f"'wg {args.command}' is not yet available: {LATER[args.command]}")
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
    except (UserError, SettingsError) as exc:
        print(f"wg: {exc}", file=sys.stderr)
        return 2
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            print(f"wg: {field}: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    """Entry point of the ``wg`` script."""
    sys.exit(run())
