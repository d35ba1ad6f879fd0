"""``create_app(settings)``: the only place where wg is wired together."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from litestar import Litestar, Request, Response, get
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from wg import __version__
from wg.db import Database
from wg.features.accounts import operations as account_ops
from wg.features.accounts.controllers import AccountPages
from wg.features.accounts.middleware import (
    StaleFormToken,
    add_security_headers,
    answer_head_like_get,
    enforce_csrf,
    refuse_unknown_hosts,
    session_middleware_factory,
)
from wg.features.drafting.api import DraftingApi, RecommendationTargetApi, SectionTargetApi
from wg.features.drafting.controllers import DraftingPages, RecommendationTargetPages, SectionTargetPages
from wg.features.drafting.presence import prune_heartbeats
from wg.features.drafting.rendering import register_filters
from wg.features.groups.api import GroupApi, SessionApi
from wg.features.groups.controllers import AdminPages, GroupPages
from wg.features.report.api import ExportApi
from wg.features.report.controllers import ReportPages
from wg.features.report.exports import ExportWorker
from wg.features.review.api import InboxApi, ReviewApi
from wg.features.review.controllers import InboxPages, ReviewPages, unread_page_context
from wg.features.review.reminders import ReminderSweeper
from wg.lib.deps import provide_db
from wg.lib.errors import (
    ValidationFailed,
    database_error_handler,
    http_exception_handler,
    internal_error_handler,
    retry_reads_after_lost_connection,
    stale_form_handler,
    validation_exception_handler,
)
from wg.lib.ids import refuse_impossible_ids
from wg.lib.jsonbody import WgRequest
from wg.lib.proxies import trusted_proxy_middleware_factory
from wg.lib.submissions import prune_submissions
from wg.lib.web import build_jinja_env
from wg.settings import STATIC_DIR, TEMPLATES_DIR, Settings


@get("/healthz", sync_to_thread=True, include_in_schema=False)
def healthz(request: Request[Any, Any, Any]) -> dict[str, str]:
    """200 once the database answers a query."""
    db: Database = request.app.state.db
    with db.session() as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok"}


def _unauthorized_handler(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    if request.url.path.startswith("/api/"):
        return http_exception_handler(request, exc)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}", status_code=303)


_MISSING_FIELD = re.compile(r"^Object missing required field `([^`]+)`")


def _field_path(item: dict[str, Any]) -> str:
    """The body path of one typed-validation error: a missing field is named by its own path, not its parent's."""
    key = str(item.get("key") or "")
    if key == "data":  # Litestar's name for the whole request body
        key = ""
    if missing := _MISSING_FIELD.match(str(item.get("message") or "")):
        key = f"{key}.{missing.group(1)}" if key else missing.group(1)
    return key or "body"


def _field_message(item: dict[str, Any]) -> str:
    """The message of one typed-validation error; a request without a body needs saying so in words."""
    message = str(item.get("message") or "Invalid value")
    if item.get("key") == "data" and message == "'data'":  # Litestar's KeyError for a missing body
        return "A JSON body is required."
    return message


def _request_validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    if not request.url.path.startswith("/api/"):
        return http_exception_handler(request, exc)
    errors: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors[_field_path(item)] = _field_message(item)
    if not errors:
        errors["body"] = str(exc.detail)
    return validation_exception_handler(request, ValidationFailed(errors))


def create_app(settings: Settings, db: Database | None = None) -> Litestar:
    """Build the web application for these settings (and this database, when the caller already has one)."""
    database = db or Database(settings.database_url, echo=settings.log_sql)

    def prune_login_records(db: Session) -> None:
        account_ops.prune_login_records(db, settings)

    sweeper = ReminderSweeper(database, settings.reminder_interval,
                              chores=[prune_login_records, prune_heartbeats, prune_submissions])
    export_worker = ExportWorker(database, settings.exports_dir, settings.export_lease_seconds)

    def _on_startup() -> None:
        sweeper.start()
        export_worker.start()

    def _on_shutdown() -> None:
        sweeper.stop()
        export_worker.stop()
        if db is None:
            database.dispose()

    app = Litestar(
        route_handlers=[
            healthz,
            AccountPages,
            AdminPages,
            GroupPages,
            DraftingPages,
            SectionTargetPages,
            RecommendationTargetPages,
            ReviewPages,
            InboxPages,
            ReportPages,
            SessionApi,
            GroupApi,
            DraftingApi,
            SectionTargetApi,
            RecommendationTargetApi,
            ReviewApi,
            InboxApi,
            ExportApi,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        dependencies={"db": Provide(provide_db)},
        # The proxy middleware comes first: the session middleware and every handler see the real client.
        middleware=[DefineMiddleware(trusted_proxy_middleware_factory), DefineMiddleware(session_middleware_factory)],
        before_send=[add_security_headers],
        before_request=enforce_csrf,
        guards=[refuse_impossible_ids],
        exception_handlers={
            NotAuthorizedException: _unauthorized_handler,
            ValidationException: _request_validation_handler,
            ValidationFailed: validation_exception_handler,
            StaleFormToken: stale_form_handler,
            HTTPException: http_exception_handler,
            DBAPIError: database_error_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(title="wg API", version=__version__, path="/schema",
                                     render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])]),
        on_startup=[_on_startup],
        on_shutdown=[_on_shutdown],
        request_class=WgRequest,
        debug=False,
    )
    app.state.settings = settings
    if "*" not in settings.allowed_hosts:  # every request, matched or not (Litestar's check skips unmatched paths)
        app.asgi_handler = refuse_unknown_hosts(app.asgi_handler, settings.allowed_hosts)
    app.asgi_handler = answer_head_like_get(retry_reads_after_lost_connection(app.asgi_handler))
    app.state.db = database
    app.state.export_worker = export_worker
    app.state.jinja = build_jinja_env(str(TEMPLATES_DIR))
    register_filters(app.state.jinja)
    app.state.page_hooks = (unread_page_context,)
    return app
