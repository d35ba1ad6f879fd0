"""ASGI middleware: resolve the session cookie and set rotated cookies; security headers on every response; CSRF
before handlers."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from wg.db import Database
from wg.features.accounts.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AuthState,
    csrf_token_valid,
    new_csrf_seed,
    peek_session,
    resolve_session,
)
from wg.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SKIP_PREFIXES = ("/static/", "/healthz", "/favicon.ico")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001,S112 - a malformed cookie header is treated as no cookie  # nosec B112
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def cookie_header(name: str, value: str, settings: Settings, max_age: int | None) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Secure outside development."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if settings.is_production:
        parts.append("Secure")
    return "; ".join(parts)


def session_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Litestar middleware factory: finds the user behind the session cookie before the handler runs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SKIP_PREFIXES):
            await app(scope, receive, send)
            return
        litestar_app = scope["litestar_app"]
        settings: Settings = litestar_app.state.settings
        db: Database = litestar_app.state.db
        cookies = _cookies(scope)
        token = cookies.get(SESSION_COOKIE)

        state = (await anyio.to_thread.run_sync(resolve_session, db, token, settings.session_max_age)
                 if token else AuthState())
        seed = cookies.get(CSRF_COOKIE, "")
        if not seed or len(seed) > 64:
            seed = new_csrf_seed()
            state.new_csrf_seed = True
        state.csrf_seed = seed
        scope.setdefault("state", {})["auth"] = state

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if state.new_csrf_seed:
                    headers.add("set-cookie", cookie_header(CSRF_COOKIE, state.csrf_seed, settings, None))
                already = any(v.startswith(f"{SESSION_COOKIE}=") for v in headers.getall("set-cookie", []))
                if not already:
                    if state.new_session_token:
                        headers.add("set-cookie", cookie_header(SESSION_COOKIE, state.new_session_token, settings,
                                                                settings.session_max_age))
                    elif state.clear_session:
                        headers.add("set-cookie", cookie_header(SESSION_COOKIE, "", settings, 0))
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every response gets CSP, framing, sniffing and referrer headers, and nothing shown to a
    logged-in user is stored by a cache.

    A hook rather than a middleware because Litestar runs middleware only for requests that matched a route: a 404 or
    405 answered by the router itself must carry the same headers.
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["content-security-policy"] = CSP
    headers["x-content-type-options"] = "nosniff"
    headers["referrer-policy"] = "same-origin"
    headers["x-frame-options"] = "DENY"
    state = scope.get("state", {}).get("auth")
    if isinstance(state, AuthState) and state.user is not None:
        headers["cache-control"] = "no-store"


def auth_state_without_route(scope: Scope) -> AuthState:
    """Who is logged in, for a response the router made itself (no route matched, so no session middleware ran).

    Read-only: a session that would need rotating or has expired shows as anonymous here, and no cookie changes.
    """
    state = scope.get("state", {}).get("auth")
    if isinstance(state, AuthState):
        return state
    cookies = _cookies(scope)
    state = AuthState(csrf_seed=cookies.get(CSRF_COOKIE, "")[:64])
    token = cookies.get(SESSION_COOKIE)
    litestar_app = scope.get("litestar_app")
    if token and litestar_app is not None:
        db: Database = litestar_app.state.db
        with db.session() as session:
            state.user, state.session_id = peek_session(session, token)
    scope.setdefault("state", {})["auth"] = state
    return state


async def enforce_csrf(request: Request[Any, Any, Any]) -> None:
    """Refuse a state-changing request without this session's CSRF token or from another site (403)."""
    if request.method in SAFE_METHODS or request.route_handler.opt.get("csrf_exempt"):
        return
    settings: Settings = request.app.state.settings
    origin = request.headers.get("origin")
    if origin is not None and not origin_is_this_site(origin, request.headers.get("host", ""), request.url.scheme,
                                                      settings.base_url):
        raise PermissionDeniedException("Cross-site request refused.")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDeniedException("Cross-site request refused.")
    state = request.scope.get("state", {}).get("auth")
    if not isinstance(state, AuthState):
        raise PermissionDeniedException("Missing session state.")
    if request.route_handler.opt.get("ends_session") and state.session_id is None:
        # Logging out with no session left (a second click on "Log out", a tab left open): there is nothing a forged
        # request could end, so the handler just clears the cookie and goes to the login page instead of a 403.
        return
    given = request.headers.get("x-csrftoken")
    fields: list[tuple[str, str]] | None = None
    content_type = request.headers.get("content-type", "")
    if not given and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("_csrf_token")
        given = value if isinstance(value, str) else None
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k != "_csrf_token"]
    if state.new_csrf_seed or not csrf_token_valid(settings.secret_key, state.csrf_seed, state.session_id, given):
        same_site = origin is not None or request.headers.get("sec-fetch-site") == "same-origin"
        if fields is not None and same_site and request.headers.get("hx-request") != "true" \
                and not request.url.path.startswith("/api/"):
            raise StaleFormToken(fields)
        raise PermissionDeniedException("This form has expired or did not come from wg. Reload the page and try again.")


def origin_is_this_site(origin: str, host: str, scheme: str, base_url: str) -> bool:
    """Whether an ``Origin`` header names this site: the same host and port, and the scheme the request came in by.

    Behind a TLS-terminating proxy the app sees plain http while browsers send ``https://`` origins: the scheme of
    ``WG_BASE_URL`` is accepted too when it names the same host, since that is the address members use.
    """
    if origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.netloc != host or not host:
        return False
    schemes = {scheme}
    base = urlsplit(base_url)
    if base.netloc == host and base.scheme in {"http", "https"}:
        schemes.add(base.scheme)
    return parts.scheme in schemes


def answer_head_like_get(app: ASGIApp) -> ASGIApp:
    """Wrap the whole ASGI handler: HEAD is answered as GET would be, with the same headers and no body.

    Litestar routes HEAD only to handlers declared for it, so every page answered 405; the static files router
    answers HEAD itself and is left alone.
    """

    async def head_as_get(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        as_get = cast("Scope", {**scope, "method": "GET"})  # a copy: the server still knows it answers a HEAD
        await app(as_get, receive, send_without_body)

    return head_as_get


class StaleFormToken(PermissionDeniedException):
    """A form from this site whose CSRF token no longer fits the session (it rotated at a login, a logout or a role
    change while the form was open): refused, but what was typed is shown again to be sent once more."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        super().__init__("Your session changed while this form was open, so nothing was saved. "
                         "Check what you typed and send it again.")
        self.fields = fields


def set_session_cookie(response: Response[Any], settings: Settings, token: str | None) -> None:
    """Put a new session cookie on a response, or expire it when ``token`` is None."""
    response.set_cookie(
        SESSION_COOKIE,
        token or "",
        max_age=settings.session_max_age if token else 0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )


def _host_and_port(value: str) -> tuple[str, str | None]:
    """A Host header (or an allowed-host entry) as (lower-case name, port or None); IPv6 literals keep brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else None
    name, sep, port = value.rpartition(":")
    if sep and port.isdigit():
        return name.rstrip("."), port
    return value.rstrip("."), None


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a Host header names one of ``allowed`` (``*.example.org`` matches subdomains; an entry without a
    port matches any port)."""
    name, port = _host_and_port(host)
    if not name or any(ch in name for ch in "/@\\ "):
        return False
    for entry in allowed:
        want, want_port = _host_and_port(entry)
        if want_port is not None and want_port != port:
            continue
        if want.startswith("*.") and name.endswith(want[1:]) or name == want:
            return True
    return False


def refuse_unknown_hosts(app: ASGIApp, allowed: tuple[str, ...]) -> ASGIApp:
    """Wrap the whole ASGI handler: a request whose Host header names no allowed host gets 400.

    Not Litestar's ``allowed_hosts``: that runs only for requests that matched a route (an unknown path from an
    unknown host got a 404 page) and compares the port too (``localhost:8000`` was refused for ``localhost``, so the
    compose deployment and the container's health check got 400).
    """

    async def check(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            if not host_allowed(host, allowed):
                response = ASGIResponse(body=b"Invalid host header\n", status_code=400, media_type="text/plain")
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return check
