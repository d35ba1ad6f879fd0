"""Request bodies: JSON nested too deeply is refused with 400 before the decoder recurses into it."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

MAX_JSON_DEPTH = 64
"""No body wg accepts nests deeper than a few levels; 64 leaves room and stays far below the decoder's limit."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects in a JSON text nest deeper than ``limit`` (brackets inside strings ignored), or
    its brackets do not pair up (the decoder would refuse it anyway).

    Linear and in C, never a Python loop per byte: strings are cut out and everything but brackets dropped; then each
    pass removes the innermost pairs, so whatever is left after ``limit`` passes nests deeper (or is unbalanced). A
    body with no more opening brackets than the limit cannot nest deeper and is not scanned at all.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    too_deep = b"[" * (limit + 1)
    for _ in range(limit):
        if not brackets:
            return False
        if too_deep in brackets.translate(_ONE_KIND):  # that many openings in a row: no need to peel further
            return True
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return True  # nothing pairs up any more: unbalanced
        brackets = shorter
    return bool(brackets)


class WgRequest(Request[Any, Any, Any]):
    """Litestar's request, with JSON bodies checked for nesting depth before they are decoded."""

    async def json(self) -> Any:
        """The decoded JSON body; 400 when it nests deeper than :data:`MAX_JSON_DEPTH`."""
        if json_depth_exceeds(await self.body()):
            raise ClientException(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels (or its brackets do not "
                                  f"pair up).")
        return await super().json()
