"""Errors that carry what the user needs to see, and the handlers that answer pages with pages, /api with JSON."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, NotFoundException, PermissionDeniedException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("wg")


class ValidationFailed(Exception):
    """Input was refused; ``errors`` maps each field path to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotAllowed(PermissionDeniedException):
    """The user may see this but not do that (403)."""


class Conflict(ClientException):
    """The request conflicts with the current state of what it names (409); nothing was changed."""

    status_code = 409


def not_found() -> NotFoundException:
    """The one 404 every hidden thing answers with."""
    return NotFoundException("Not found")


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """JSON under /api, an HTML page elsewhere."""
    from wg.lib.web import render_error_page

    status = exc.status_code
    if _is_api(request):
        body: dict[str, Any] = {"status_code": status, "detail": exc.detail}
        if status == 400 and exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=status, headers=exc.headers)
    return render_error_page(request, status, exc.detail, headers=exc.headers)


def validation_exception_handler(request: Request[Any, Any, Any], exc: ValidationFailed) -> Response[Any]:
    """API bodies that fail validation answer 422 with the path of each offending field."""
    if _is_api(request):
        errors = [{"field": path, "message": message} for path, message in exc.errors.items()]
        return Response({"status_code": 422, "detail": "Validation failed", "errors": errors}, status_code=422)
    from wg.lib.web import render_error_page

    return render_error_page(request, 422, str(exc))


CONCURRENT_CHANGE = ("Someone else changed this at the same moment, so your request was not applied. "
                     "Reload the page and try again.")
# PostgreSQL's codes for a write that lost to another transaction: a unique key taken meanwhile, a referenced row
# deleted meanwhile, a deadlock, a serialization failure. Other integrity errors (NOT NULL, CHECK) are bugs: 500.
_CONCURRENT_SQLSTATES = {"23505", "23503", "40P01", "40001"}


def is_concurrent_change(exc: BaseException) -> bool:
    """True for a database refusal caused by another request at the same moment (the request may be sent again),
    not by a bug in it."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _CONCURRENT_SQLSTATES:
        return True
    # SQLite's writers take turns: a key refused there means an insert without its check first; still not a 500.
    return isinstance(exc, IntegrityError) and str(exc.orig).startswith("UNIQUE constraint failed")


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """The one place a write that lost a race to another request becomes an answer: 409, never a 500.

    The operations take their locks (``wg.db.lock_row``), so a double click or two members at once normally get
    the answers two requests one after the other would; this catches what a lock does not cover (a unique key that
    no parent row guards) and says "try again" rather than "something went wrong". Other database errors remain 500s.
    """
    if not is_concurrent_change(exc):
        return internal_error_handler(request, exc)
    log.warning("Concurrent change refused on %s %s: %s", request.method, request.url.path,
                str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
    if _is_api(request):
        return Response({"status_code": HTTP_409_CONFLICT, "detail": CONCURRENT_CHANGE}, status_code=HTTP_409_CONFLICT)
    from wg.lib.web import render_error_page

    return render_error_page(request, HTTP_409_CONFLICT, CONCURRENT_CHANGE)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the error; show the user a calm 500 without internals."""
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return Response({"status_code": 500, "detail": "Internal server error"}, status_code=500)
    from wg.lib.web import render_error_page

    return render_error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")
