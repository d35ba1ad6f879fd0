"""Errors that carry what the user needs to see, and the handlers that answer pages with pages, /api with JSON."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, NotFoundException, PermissionDeniedException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

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


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the error; show the user a calm 500 without internals."""
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return Response({"status_code": 500, "detail": "Internal server error"}, status_code=500)
    from wg.lib.web import render_error_page

    return render_error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")
