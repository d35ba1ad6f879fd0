"""One-time submission tokens: a create form sent twice (or an API request retried) makes one item.

Every rendered create form carries a fresh random token in the hidden field ``_submission``; an API client may send
the same idea as an ``Idempotency-Key`` header. The first create request with a key records, in the same
transaction as the item, what it made (``FormSubmission``); a later request with the same key from the same user is
answered as the first was — the form is sent to the item the first request made, the API answers with that item —
and nothing new is created. Two requests with one key at the same moment take turns on the key (``lock_key`` on
PostgreSQL, the write lock on SQLite); the unique key (user, key, content) is the last guard. A request without a key is
handled as before. The periodic sweep deletes keys older than :data:`KEEP`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter
from sqlmodel import Session, col, delete, select

from wg.db import lock_key
from wg.lib.errors import ValidationFailed
from wg.models import FormSubmission, utcnow

SUBMISSION_FIELD = "_submission"
IDEMPOTENCY_HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII without spaces, at most 100 characters
_NOT_SENT = {"_csrf_token", SUBMISSION_FIELD}  # fields that differ between two sends of one form

IdempotencyKey = Annotated[str | None, HeaderParameter(
    name=IDEMPOTENCY_HEADER, required=False,
    description="Optional: a key you choose (1-100 printable characters) to make this create safe to retry. A "
                "second request with the same key within 24 hours creates nothing and answers with the item the first "
                "one created; the same key with a different body or route is refused (422).")]
"""A create endpoint's optional ``Idempotency-Key`` header (documented in the OpenAPI schema)."""


def new_submission_token() -> str:
    """A fresh token for one rendered form (the Jinja global ``submission_token``)."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Submission:
    """The key a create request carried, and what the first request with it made (``earlier``), if one did."""

    user_id: int
    key: str
    route: str
    fingerprint: str
    earlier: FormSubmission | None


def _fingerprint(route: str, data: dict[str, Any]) -> str:
    sent = {k: v for k, v in data.items() if k not in _NOT_SENT}
    text = json.dumps([route, sent], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def begin_submission(db: Session, request: Request[Any, Any, Any], user_id: int, data: dict[str, Any],
                     api_key: str | None = None) -> Submission | None:
    """The key of this create request, after waiting for any request with the same key to finish.

    The key is the form's ``_submission`` field, or ``api_key`` (the ``Idempotency-Key`` header) under /api. Call
    it first in the handler's write transaction. ``None``: no key, create as before. Otherwise, when ``earlier`` is
    set the item exists already: answer with it (the form's redirect, the API's item) and create nothing. A form
    sent again with *other* content (the Back button, a change, "send") is a submission of its own and creates its
    item: nothing typed is swallowed. Under /api the same key with another body or route is refused (422).
    """
    api = request.url.path.startswith("/api/")
    raw = api_key if api else data.get(SUBMISSION_FIELD)
    if raw is None or raw == "":
        return None
    field = IDEMPOTENCY_HEADER if api else SUBMISSION_FIELD
    key = str(raw)
    if not _KEY.match(key):
        raise ValidationFailed({field: "The submission key must be 1 to 100 printable characters without spaces."})
    route = f"{request.method} {request.url.path}"[:300]
    fingerprint = _fingerprint(route, data)
    lock_key(db, f"submission:{user_id}:{key}")
    used = db.exec(select(FormSubmission).where(FormSubmission.user_id == user_id, FormSubmission.key == key)).all()
    earlier = next((row for row in used if row.fingerprint == fingerprint), None)
    if api and used and earlier is None:
        raise ValidationFailed({field: "This Idempotency-Key was used for another request; use a new key."})
    return Submission(user_id, key, route, fingerprint, earlier)


def remember_submission(db: Session, submission: Submission | None, target_id: int | None, location: str = ""
                        ) -> None:
    """Record in the create's transaction what the first request with this key made (nothing without a key)."""
    if submission is None or submission.earlier is not None:
        return
    db.add(FormSubmission(user_id=submission.user_id, key=submission.key, route=submission.route,
                          fingerprint=submission.fingerprint, target_id=target_id or 0, location=location[:500]))
    db.flush()


def prune_submissions(db: Session) -> None:
    """Delete keys older than :data:`KEEP` (a chore of the periodic sweep)."""
    db.exec(delete(FormSubmission).where(col(FormSubmission.created_at) < utcnow() - KEEP))
