"""Account operations: create users, log in, accept invitations, edit profiles. Callers commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from wg.features.accounts import throttle
from wg.features.accounts.passwords import hash_password, password_problem, verify_password
from wg.features.accounts.sessions import end_all_sessions, issue_session
from wg.features.audit.failed_logins import prune_failed_logins, tally_refused_login
from wg.features.audit.log import record
from wg.lib.errors import ValidationFailed
from wg.lib.fields import (
    check_country,
    check_direction,
    check_email,
    check_optional,
    check_required,
    check_sector,
    check_time_zone,
    clean_line,
    normalise_email,
)
from wg.models import Invitation, Membership, User, WorkingGroup, utcnow
from wg.settings import Settings

LOGIN_FAILED = "The e-mail address or password is not right."
CURRENT_PASSWORD_WRONG = "Your current password is not right."  # noqa: S105 - a message  # nosec B105


def throttled_message(wait_seconds: int) -> str:
    """What a client refused as too early is told (the same for a login and a change of password)."""
    return f"Too many failed attempts. Try again in {throttle.describe_wait(wait_seconds)}."


class LoginRefused(Exception):
    """Login failed; the message is the same whether the account exists or not."""


class LoginThrottled(LoginRefused):
    """Login refused unchecked: too many failures; ``retry_after`` seconds until the password is checked again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(throttled_message(retry_after))
        self.retry_after = retry_after


class PasswordCheckThrottled(ValidationFailed):
    """The current password was not checked: too many failures; ``retry_after`` seconds until it is again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__({"current_password": throttled_message(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class ProfileInput:
    """Validated profile fields."""

    display_name: str
    native_name: str
    country: str
    affiliation: str
    sector: str
    time_zone: str
    consents_to_attribution: bool


def find_user_by_email(db: Session, email: str) -> User | None:
    """The user with this e-mail address (case-insensitive), or None."""
    return db.exec(select(User).where(func.lower(User.email) == normalise_email(email))).first()


def validate_profile(data: dict[str, Any], prefix: str = "", country_required: bool = True) -> ProfileInput:
    """Check profile fields; raise ValidationFailed with every problem at once."""
    values = {
        "display_name": clean_line(data.get("display_name")),
        "native_name": clean_line(data.get("native_name")),
        "country": clean_line(data.get("country")).upper(),
        "affiliation": clean_line(data.get("affiliation")),
        "sector": clean_line(data.get("sector")).lower(),
        "time_zone": clean_line(data.get("time_zone")) or "UTC",
    }
    checks = {
        "display_name": check_required(values["display_name"], "your name", 120)
        or check_direction(values["display_name"], "your name"),
        "native_name": check_optional(values["native_name"], "the native-script name", 120)
        or check_direction(values["native_name"], "the native-script name"),
        "country": check_country(values["country"], required=country_required),
        "affiliation": check_optional(values["affiliation"], "the affiliation", 200),
        "sector": check_sector(values["sector"]),
        "time_zone": check_time_zone(values["time_zone"]),
    }
    errors = {prefix + k: v for k, v in checks.items() if v}
    if errors:
        raise ValidationFailed(errors)
    consent = str(data.get("consents_to_attribution", "")).lower() in {"on", "true", "1", "yes"}
    return ProfileInput(consents_to_attribution=consent, **values)


def create_user(
    db: Session,
    *,
    email: str,
    display_name: str,
    password: str | None,
    country: str = "",
    native_name: str = "",
    affiliation: str = "",
    sector: str = "",
    time_zone: str = "UTC",
    is_admin: bool = False,
) -> User:
    """Create a user after checking every field (used by the CLI, the demo and invitations)."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if problem := check_email(email):
        errors["email"] = problem
    elif find_user_by_email(db, email) is not None:
        errors["email"] = "A user with this e-mail address already exists."
    try:
        profile = validate_profile({"display_name": display_name, "native_name": native_name, "country": country,
                                    "affiliation": affiliation, "sector": sector, "time_zone": time_zone},
                                   country_required=False)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, display_name=profile.display_name, native_name=profile.native_name,
                country=profile.country, affiliation=profile.affiliation, sector=profile.sector,
                time_zone=profile.time_zone, password_hash=hash_password(password) if password else None,
                is_admin=is_admin)
    db.add(user)
    db.flush()
    return user


def log_in(db: Session, settings: Settings, email: str, password: str, ip: str) -> tuple[User, str]:
    """Check credentials with throttling; return the user and a fresh session token (the caller commits).

    Raises :class:`LoginThrottled` (429) when this address must wait before this account's password is checked, and
    :class:`LoginRefused` for a wrong e-mail address or password.
    """
    email = normalise_email(email)
    user = find_user_by_email(db, email) if email else None
    # A deactivated account is checked against the dummy hash: its right password is refused like a wrong one.
    active = user if user is not None and user.is_active else None
    if not check_password_throttled(db, settings, email, ip, active, password) or active is None:
        raise LoginRefused(LOGIN_FAILED)
    user = active
    token = issue_session(db, user, settings.session_max_age)
    record(db, "login.succeeded", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)
    return user, token


def check_password_throttled(db: Session, settings: Settings, email: str, ip: str, user: User | None,
                             password: str) -> bool:
    """Check ``password`` against ``user`` (or a dummy, for an unknown ``email``) unless this address must wait.

    The attempt counts as a failure before the check and is committed at once, so the slow Argon2 check holds no
    lock and simultaneous guesses each count; simultaneous attempts at one account or from one address take turns
    for the count (:func:`throttle.hold`). The right password forgets this address's failures at the account. A
    refusal is tallied for the audit and committed. Raises :class:`LoginThrottled` when the address must wait.
    """
    throttle.hold(db, email, ip)
    wait = throttle.wait_seconds(db, email, ip, settings.login_max_failures, settings.login_window_seconds)
    if wait > 0:
        _count_refusal(db, settings, email, ip, user, throttled=True)
        db.commit()
        raise LoginThrottled(wait)
    throttle.record_failure(db, email, ip)
    db.commit()
    if verify_password(user.password_hash if user else None, password) and user is not None:
        throttle.forget_address(db, email, ip)
        db.commit()  # forgotten even if what the caller does next is refused (a new password too short, say)
        return True
    _count_refusal(db, settings, email, ip, user, throttled=False)
    db.commit()
    return False


def _count_refusal(db: Session, settings: Settings, email: str, ip: str, user: User | None, throttled: bool) -> None:
    tally_refused_login(db, ip=ip, email_hash=_hash_email(email, settings.secret_key),
                        user_id=user.id if user else None, throttled=throttled)


def prune_login_records(db: Session, settings: Settings) -> tuple[int, int]:
    """The periodic sweep's housekeeping: delete throttle failures too old to count and refused-login tallies past
    ``WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS``; returns how many of each (the caller commits)."""
    return (throttle.prune(db, settings.login_window_seconds),
            prune_failed_logins(db, settings.failed_login_retention_days))


def _hash_email(email: str, secret_key: str) -> str:
    # The audit log notes which address was tried without storing the address itself. Keyed with the server's
    # secret, so a leaked audit log cannot be checked against a list of known addresses.
    return hmac.new(secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()[:16]


def update_profile(db: Session, user: User, data: dict[str, Any], ip: str) -> User:
    """Change the user's own profile."""
    profile = validate_profile(data)
    for key, value in profile.__dict__.items():
        setattr(user, key, value)
    db.add(user)
    record(db, "profile.updated", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)
    return user


def change_password(db: Session, settings: Settings, user: User, current: str, new: str, ip: str) -> None:
    """Change the user's password and end every other session.

    The current password is checked like a login's, throttled by the same counts: a stolen session cannot be used
    to guess the password faster than the login form allows. Raises :class:`PasswordCheckThrottled` (429) or
    :class:`ValidationFailed` (422); a wrong current password is committed as a failure before either is raised.
    """
    try:
        right = check_password_throttled(db, settings, user.email, ip, user, current)
    except LoginThrottled as throttled:
        raise PasswordCheckThrottled(throttled.retry_after) from None
    if not right:
        raise ValidationFailed({"current_password": CURRENT_PASSWORD_WRONG})
    if problem := password_problem(new):
        raise ValidationFailed({"new_password": problem})
    user.password_hash = hash_password(new)
    db.add(user)
    end_all_sessions(db, user.id or 0)
    record(db, "password.changed", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)


def invitation_token_hash(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_invitation_token() -> str:
    """A random, unguessable invitation token."""
    return secrets.token_urlsafe(32)


def find_open_invitation(db: Session, token: str, for_update: bool = False) -> Invitation | None:
    """The unused, unexpired invitation for a token, or None.

    ``for_update`` locks the row until the transaction ends (PostgreSQL; SQLite's write transactions are serial
    anyway), so two browsers accepting the same link at once cannot both use it: the second then finds it used.
    """
    if not token or len(token) > 100:
        return None
    query = select(Invitation).where(Invitation.token_hash == invitation_token_hash(token))
    invitation = db.exec(query.with_for_update() if for_update else query).first()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation


def accept_invitation(
    db: Session, invitation: Invitation, data: dict[str, Any], current: User | None, ip: str
) -> User:
    """Join the group: a new user sets name and password; an existing, logged-in user just joins."""
    existing = find_user_by_email(db, invitation.email)
    if existing is not None and existing.password_hash:
        if current is None or current.id != existing.id:
            raise ValidationFailed({"email": "Log in as the invited account to accept this invitation."})
        user = existing
    else:
        errors: dict[str, str] = {}
        try:
            profile = validate_profile(data)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        password = str(data.get("password") or "")
        if problem := password_problem(password):
            errors["password"] = problem
        elif password != str(data.get("password_confirm") or ""):
            errors["password_confirm"] = "The two passwords do not match."  # noqa: S105 - a message  # nosec B105
        if errors:
            raise ValidationFailed(errors)
        user = User(email=invitation.email, display_name=profile.display_name) if existing is None else existing
        for key, value in profile.__dict__.items():
            setattr(user, key, value)
        user.password_hash = hash_password(password)
        db.add(user)
        db.flush()
    already = db.exec(
        select(Membership).where(Membership.group_id == invitation.group_id, Membership.user_id == user.id)
    ).first()
    if already is None:
        db.add(Membership(group_id=invitation.group_id, user_id=user.id or 0, role=invitation.role,
                          listed_in_report=invitation.role != "observer"))
        user.auth_version += 1
        db.add(user)
    invitation.used_at = utcnow()
    db.add(invitation)
    record(db, "invitation.accepted", actor_id=user.id, group_id=invitation.group_id, object_type="invitation",
           object_id=invitation.id, ip=ip, role=invitation.role)
    return user


def invitation_expiry(settings: Settings) -> dt.datetime:
    """When an invitation made now stops working."""
    return utcnow() + dt.timedelta(seconds=settings.invite_max_age)


def group_of(db: Session, invitation: Invitation) -> WorkingGroup | None:
    """The group an invitation is for."""
    return db.get(WorkingGroup, invitation.group_id)
