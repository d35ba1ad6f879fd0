"""Page rendering and request helpers shared by every controller."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Redirect

from wg.features.accounts.middleware import auth_state_without_route
from wg.features.accounts.sessions import AuthState, csrf_token
from wg.lib.countries import COUNTRIES, country_name
from wg.lib.submissions import new_submission_token
from wg.models import User
from wg.settings import Settings

AnyRequest: TypeAlias = Request[Any, Any, Any]
"""A request of any user, auth and state type."""

STATUS_TITLES = {
    400: "Bad request",
    403: "You cannot do that",
    404: "Page not found",
    405: "Method not allowed",
    409: "Changed at the same moment",
    422: "Check what you entered",
    429: "Too many requests",
    500: "Something went wrong",
}


def build_jinja_env(templates_dir: str) -> Environment:
    """The one Jinja environment: autoescaping on, filters for dates and countries."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["country_name"] = country_name
    env.filters["localtime"] = localtime
    env.globals["zone_abbreviations"] = zone_abbreviations
    env.globals["COUNTRIES"] = COUNTRIES
    env.globals["submission_token"] = new_submission_token  # a create form's one-time token
    return env


def localtime(value: dt.datetime | None, tz: str | None = "UTC", fmt: str = "%-d %b %Y, %H:%M %Z") -> str:
    """A UTC time shown in the viewer's time zone."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime(fmt)


def zone_abbreviations(tz: str | None) -> dict[str, str]:
    """The names ``localtime`` gives a time zone's offsets this year (``{"60": "CET", "120": "CEST"}``), in minutes
    east of UTC, so that the browser can write a time it only knows itself in the same format."""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    year = dt.datetime.now(dt.UTC).year
    names: dict[str, str] = {}
    for month in (1, 4, 7, 10):
        moment = dt.datetime(year, month, 1, 12, tzinfo=dt.UTC).astimezone(zone)
        offset = moment.utcoffset() or dt.timedelta(0)
        names[str(int(offset.total_seconds() // 60))] = moment.strftime("%Z")
    return names


def auth_state(request: Request[Any, Any, Any]) -> AuthState:
    """The session middleware's findings for this request."""
    state = request.scope.get("state", {}).get("auth")
    return state if isinstance(state, AuthState) else AuthState()


def current_user(request: Request[Any, Any, Any]) -> User | None:
    """The logged-in user, or None."""
    return auth_state(request).user


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def csrf_for(request: Request[Any, Any, Any]) -> str:
    """The CSRF token for forms on this page."""
    state = auth_state(request)
    return csrf_token(settings_of(request).secret_key, state.csrf_seed, state.session_id)


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer, or the address trusted proxies name (``WG_TRUSTED_PROXIES``, see
    :mod:`wg.lib.proxies`, which rewrites the request's client before any handler runs)."""
    client = request.client
    return client.host if client else ""


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for requests made by htmx."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render a template with the user, the CSRF token and the request in its context."""
    env: Environment = request.app.state.jinja
    user = current_user(request)
    ctx: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": csrf_for(request),
        "tz": user.time_zone if user else "UTC",
        "path": request.url.path,
    }
    if user is not None:
        # Features add what every page shows for a logged-in user (e.g. the unread count), wired in create_app.
        for hook in getattr(request.app.state, "page_hooks", ()):
            ctx.update(hook(request, user))
    ctx.update(context or {})
    html = env.get_template(template).render(ctx)
    return Response(html, status_code=status_code, media_type=MediaType.HTML, headers=headers)


def render_error_page(
    request: Request[Any, Any, Any], status_code: int, detail: str | None, headers: dict[str, str] | None = None
) -> Response[str]:
    """An HTML error page that keeps the site's navigation (also when no route matched and no middleware ran)."""
    auth_state_without_route(request.scope)
    title = STATUS_TITLES.get(status_code, "Error")
    message = detail if status_code not in {404, 500} else None
    return render(request, "errors/error.html", {"status": status_code, "title": title, "message": message},
                  status_code=status_code, headers=headers)


def resend_fields(fields: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Form fields to show again for sending once more: typed text as text boxes, short values as hidden fields,
    passwords never (the password box comes back empty)."""
    shown = []
    for name, value in fields:
        if "password" in name.lower():
            kind = "password"
        elif "\n" in value or len(value) > 60:
            kind = "textarea"
        elif " " in value.strip() or name in {"title", "display_name", "name", "body", "text", "email"}:
            kind = "text"
        else:
            kind = "hidden"
        label = name.replace("_", " ").strip().capitalize() or "Value"
        shown.append({"name": name, "value": "" if kind == "password" else value, "kind": kind, "label": label})
    return shown


def safe_next(target: str | None, default: str = "/") -> str:
    """A post-login destination on this site only (no scheme, no host, no protocol-relative URL)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def see_other(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """Redirect after a POST; htmx gets HX-Redirect so the whole page changes."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)
