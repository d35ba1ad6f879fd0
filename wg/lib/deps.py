"""Dependency providers shared by controllers: the request's database session, the user, the group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from sqlmodel import Session

from wg.db import Database
from wg.features.groups.context import GroupContext, load_group_context
from wg.lib.web import current_user
from wg.models import User

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

DbSession = NamedDependency[Session]
"""The request's database session (handler parameter ``db``)."""
CurrentUser = NamedDependency[User]
"""The logged-in user (handler parameter ``user``)."""
Group = NamedDependency[GroupContext]
"""The group in the URL with the user's rights in it (handler parameter ``ctx``)."""


async def provide_db(request: Request[Any, Any, Any]) -> AsyncIterator[Session]:
    """One session per request; state-changing methods take SQLite's write lock at BEGIN.

    An async generator on purpose: Litestar runs a sync generator's cleanup in its worker threads, so a request whose
    handler had finished kept its pooled connection until a thread was free to close it. Under load every thread was
    waiting for a connection and every connection for a thread: the server stood still until the pool timed out (500s).
    Closing here, on the event loop, returns the connection at once (a rollback of a finished read at most).
    """
    db: Database = request.app.state.db
    session = db.session(write=request.method in WRITE_METHODS)
    try:
        yield session
    finally:
        session.close()


def provide_user(request: Request[Any, Any, Any]) -> User:
    """The logged-in user; anonymous visitors are sent to the login page (401 under /api)."""
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException("Log in to continue.")
    return user


def provide_group(slug: FromPath[str], user: CurrentUser, db: DbSession) -> GroupContext:
    """The group in the URL as the current user sees it; 404 for non-members."""
    ctx = load_group_context(db, user, slug)
    # End this read here: the handler runs in another worker thread, and on SQLite a write session holds the
    # database's write lock from its first statement. Held across that hop, requests waiting for the lock fill
    # the thread pool and the holder never gets a thread to finish in (a deadlock until busy_timeout).
    db.commit()
    return ctx


def form_list(data: dict[str, Any], key: str) -> list[str]:
    """A form field that may repeat (checkboxes), as a list of strings."""
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def form_ints(data: dict[str, Any], key: str) -> list[int]:
    """A repeated form field of ids; anything that is not a whole number is ignored."""
    return [int(v) for v in form_list(data, key) if v.strip().isdigit()]
