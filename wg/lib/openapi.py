"""The error answers of the JSON API, as the OpenAPI document at /schema describes them.

Every handler under /api/v1 names the errors it can answer with (``responses=api_errors(401, 404)``), so the
document tells clients the truth: 401 when not logged in, 403 for a refusal (or a missing CSRF token on a change),
404 for what does not exist or is hidden from non-members, 409 for a conflict, 422 for a body or query that fails
validation (with the path of each field), 429 when logins are throttled. A body that is not JSON at all is
Litestar's own 400, which it documents by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec


@dataclass
class ErrorOut:
    """An error answer: the status code again and a message for people."""

    status_code: int
    detail: str


@dataclass
class FieldErrorOut:
    """One field that failed validation: its path in the body (or the query parameter's name) and why."""

    field: str
    message: str


@dataclass
class ValidationErrorOut:
    """A body or query that failed validation: nothing was changed; every offending field is listed."""

    status_code: int
    detail: str
    errors: list[FieldErrorOut]


ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "Not logged in",
    403: "Not allowed for this user, or a change sent without a valid CSRF token (x-csrftoken)",
    404: "Not found, or hidden: non-members get 404 for everything inside a group",
    409: "Conflicts with the current state; nothing was changed",
    422: "Validation failed; nothing was changed",
    429: "Too many failed logins; try again later",
}


def api_errors(*codes: int, no_content: int | None = None) -> dict[int, ResponseSpec]:
    """The documented error answers for these status codes (for a handler's ``responses=``).

    ``no_content`` names a success status answered with an empty body (a handler returning a ``Response`` would
    otherwise be documented as answering JSON).
    """
    empty = {no_content: ResponseSpec(data_container=None, description="Done; no content")} if no_content else {}
    return empty | {
        code: ResponseSpec(data_container=ValidationErrorOut if code == 422 else ErrorOut,
                           description=ERROR_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }


READ = api_errors(401, 404)
"""A read inside a group: not logged in, or not a member (or no such thing)."""
WRITE = api_errors(401, 403, 404, 422)
"""A change inside a group: as ``READ``, plus refused by the policy or by the CSRF check."""
