"""Used one-time form tokens and API idempotency keys: what the first submission with the key created."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from wg.models.base import UTCDateTime, utcnow


class FormSubmission(SQLModel, table=True):
    """One create request that carried a submission token (a form's hidden ``_submission`` field, or an API
    client's ``Idempotency-Key`` header), and what it made. A second request with the same key from the same user is
    answered from this row instead of creating a second item. Pruned after a day by the periodic sweep."""

    __tablename__ = "form_submissions"
    # One row per user, key and content: a form sent back with other content is a submission of its own.
    __table_args__ = (UniqueConstraint("user_id", "key", "fingerprint", name="uq_form_submissions_user_key_content"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    key: str = Field(max_length=100)
    route: str = Field(max_length=300)  # "POST /g/demo/sections", where the key was used
    fingerprint: str = Field(max_length=64)  # sha256 of the route and what was sent (token and CSRF token left out)
    target_id: int  # what the first request created (a section's, recommendation's, comment's … id)
    location: str = Field(default="", max_length=500)  # where the first answer sent the browser (forms)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
