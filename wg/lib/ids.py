"""Whole numbers as the database stores them (ids, recommendation numbers, revision and paragraph numbers).

Their columns are 32-bit integers on PostgreSQL. A larger number names nothing, and SQLite cannot even compare one
(``OverflowError``), so such numbers are refused before they reach a query: in a URL path they answer 404 like any
other id that does not exist; in an API body they fail validation (422), and the schema says the range.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import KwargDefinition

from wg.lib.errors import not_found

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

DbInt = Annotated[int, msgspec.Meta(ge=INT32_MIN, le=INT32_MAX), KwargDefinition(ge=INT32_MIN, le=INT32_MAX)]
"""An int field of an API body: validated, and documented with its range."""


def fits_db_int(value: int) -> bool:
    """Whether a whole number fits the database's integer columns."""
    return INT32_MIN <= value <= INT32_MAX


def refuse_impossible_ids(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for every route: a whole number in the path that no column can hold names nothing (404)."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and not fits_db_int(value):
            raise not_found()
