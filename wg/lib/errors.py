"""Errors that carry what the user needs to see, and the handlers that answer pages with pages, /api with JSON."""

from __future__ import annotations

import logging
from typing import Any, cast

from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, NotFoundException, PermissionDeniedException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("wg")

RETRYABLE_METHODS = frozenset({"GET", "HEAD"})
LOST_CONNECTION_KEY = "wg.lost_db_connection"
RETRIED_KEY = "wg.retried"


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


def stale_form_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """A form whose CSRF token went stale comes back (403) with what was typed and a fresh token, to send again."""
    from wg.features.accounts.middleware import StaleFormToken
    from wg.lib.web import render, resend_fields

    if not isinstance(exc, StaleFormToken):
        return http_exception_handler(request, exc)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "errors/resend.html", {"title": "Send this form again", "message": exc.detail,
                                                  "action": target, "fields": resend_fields(exc.fields)},
                  status_code=403)


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
    """Log the error; show the user a calm 500 without internals (a read whose database connection dropped is marked
    for one retry, see :func:`retry_reads_after_lost_connection`)."""
    scope = cast("dict[str, Any]", request.scope)
    if (isinstance(exc, DBAPIError) and exc.connection_invalidated and request.method in RETRYABLE_METHODS
            and not scope.get(RETRIED_KEY)):
        scope[LOST_CONNECTION_KEY] = True
        log.warning("Database connection lost during %s %s; trying once more", request.method, request.url.path)
    else:
        log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return Response({"status_code": 500, "detail": "Internal server error"}, status_code=500)
    from wg.lib.web import render_error_page

    return render_error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")


def retry_reads_after_lost_connection(app: ASGIApp) -> ASGIApp:
    """Wrap the whole ASGI handler: a GET whose database connection dropped mid-request is run once more.

    The pool pings a connection before lending it, which covers a server restarted between requests; a connection
    cut while a request holds it (a PostgreSQL restart or failover, ``pg_terminate_backend``, a proxy's idle
    timeout) fails that request's next query. A read changes nothing, so it is safe to repeat on a fresh connection
    before anything was sent. Writes are never repeated: whether the first attempt committed is not known.
    """

    async def retrying(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in RETRYABLE_METHODS:
            await app(scope, receive, send)
            return
        # The scope is changed in place (Litestar's before-send hooks hold this very dict): keep what it was.
        mutable = cast("dict[str, Any]", scope)
        pristine = dict(mutable)
        state = mutable.setdefault("state", {})
        pristine_state = dict(state)
        swallowed = False

        async def send_unless_lost(message: Message) -> None:
            nonlocal swallowed
            if message["type"] == "http.response.start" and mutable.get(LOST_CONNECTION_KEY):
                swallowed = True
            if not swallowed:
                await send(message)

        await app(scope, receive, send_unless_lost)
        if not swallowed:
            return
        mutable.clear()
        mutable.update(pristine)
        state.clear()
        state.update(pristine_state)
        mutable[RETRIED_KEY] = True
        await app(scope, _empty_body_then(receive), send)

    return retrying


def _empty_body_then(receive: Receive) -> Receive:
    """The body of a read (empty) once more, then the server's own messages (a disconnect)."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return replay
