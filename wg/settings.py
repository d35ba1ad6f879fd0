"""Settings: the only module that reads the environment (every variable is prefixed ``WG_``)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from wg.lib.files import make_private_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


class SettingsError(ValueError):
    """A ``WG_*`` variable has a value wg cannot use."""


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def _seconds(name: str, value: str) -> int:
    try:
        seconds = int(value.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of seconds, not {value!r}") from None
    if seconds < 0:
        raise SettingsError(f"{name} must be 0 (off) or a positive number of seconds, not {value!r}")
    return seconds


def _positive_seconds(name: str, value: str) -> int:
    seconds = _seconds(name, value)
    if seconds < 1:
        raise SettingsError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds
def _presence_interval(value: str) -> int:
    seconds = _positive_seconds("WG_PRESENCE_INTERVAL", value)
    if seconds > 15:  # others must learn within 15 seconds that someone opened the editor
        raise SettingsError(f"WG_PRESENCE_INTERVAL must be at most 15 seconds, not {value!r}")
    return seconds


def _whole(name: str, value: str, unit: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of {unit}, not {value!r}") from None
    if number < 0:
        raise SettingsError(f"{name} must be 0 or a positive number of {unit}, not {value!r}")
    return number


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(name: str, value: str) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"{name}: {item!r} is not an IP address or network (such as 10.0.0.2 or "
                                f"10.0.0.0/8)") from None
    return tuple(networks)


@dataclass(frozen=True)
class Settings:
    """Everything wg can be told from outside; build one with :func:`load_settings`."""

    data_dir: Path
    database_url: str
    secret_key: str
    exports_dir: Path
    allowed_hosts: tuple[str, ...] = ("*",)
    env: str = "development"
    base_url: str = "http://127.0.0.1:8000"
    session_max_age: int = 14 * 24 * 3600
    invite_max_age: int = 7 * 24 * 3600
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    log_sql: bool = False
    reminder_interval: int = 300  # seconds between deadline-reminder sweeps; 0: no sweeps (the default in tests)
    export_lease_seconds: int = 60  # an export job's lease; a job whose process stopped renewing it is retried
    trusted_proxies: tuple[IPNetwork, ...] = ()  # peers whose X-Forwarded-For names the client
    failed_login_retention_days: int = 90  # refused-login tallies older than this are pruned; 0: kept for ever
    presence_interval: int = 10  # seconds between an open editor's heartbeats ("… is editing this")

    @property
    def is_production(self) -> bool:
        """True outside development and test: cookies are Secure and the Host header is checked."""
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")


def _secret_key(data_dir: Path, env: str, given: str | None) -> str:
    if given:
        if len(given) < 32:
            raise SettingsError("WG_SECRET_KEY must be at least 32 characters")
        return given
    if env == "production":
        raise SettingsError("WG_SECRET_KEY must be set in production")
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    make_private_dir(data_dir)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``WG_*`` variables (``environ`` defaults to the process environment)."""
    env_vars = dict(os.environ if environ is None else environ)
    env = env_vars.get("WG_ENV", "development").strip().lower()
    if env not in {"development", "production", "test"}:
        raise SettingsError(f"WG_ENV must be development, production or test, not {env!r}")
    data_dir = Path(env_vars.get("WG_DATA_DIR", str(PROJECT_ROOT / "data"))).resolve()
    database_url = env_vars.get("WG_DATABASE_URL") or f"sqlite:///{data_dir / 'wg.sqlite3'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if not (database_url.startswith("sqlite") or database_url.startswith("postgresql+psycopg")):
        raise SettingsError("WG_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    hosts = tuple(h.strip() for h in env_vars.get("WG_ALLOWED_HOSTS", "").split(",") if h.strip())
    if not hosts:
        hosts = ("*",) if env != "production" else ("localhost", "127.0.0.1")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=_secret_key(data_dir, env, env_vars.get("WG_SECRET_KEY")),
        exports_dir=Path(env_vars.get("WG_EXPORTS_DIR", str(PROJECT_ROOT / "exports"))).resolve(),
        allowed_hosts=hosts,
        env=env,
        base_url=env_vars.get("WG_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        log_sql=_bool("WG_LOG_SQL", env_vars.get("WG_LOG_SQL", "false")),
        reminder_interval=_seconds("WG_REMINDER_INTERVAL",
                                   env_vars.get("WG_REMINDER_INTERVAL", "0" if env == "test" else "300")),
        export_lease_seconds=_positive_seconds("WG_EXPORT_LEASE_SECONDS",
                                               env_vars.get("WG_EXPORT_LEASE_SECONDS", "60")),
        trusted_proxies=_networks("WG_TRUSTED_PROXIES", env_vars.get("WG_TRUSTED_PROXIES", "")),
        failed_login_retention_days=_whole("WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS",
                                           env_vars.get("WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS", "90"), "days"),
        presence_interval=_presence_interval(env_vars.get("WG_PRESENCE_INTERVAL", "10")),
    )
