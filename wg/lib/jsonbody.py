"""Request bodies: JSON nested too deeply is refused with 400 before the decoder recurses into it."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

MAX_JSON_DEPTH = 64
"""No body wg accepts nests deeper than a few levels; 64 leaves room and stays far below the decoder's limit."""

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects in a JSON text nest deeper than ``limit`` (brackets inside strings ignored).

    Cheap: a body with fewer opening brackets than the limit cannot nest deeper and is not scanned at all.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


class WgRequest(Request[Any, Any, Any]):
    """Litestar's request, with JSON bodies checked for nesting depth before they are decoded."""

    async def json(self) -> Any:
        """The decoded JSON body; 400 when it nests deeper than :data:`MAX_JSON_DEPTH`."""
        if json_depth_exceeds(await self.body()):
            raise ClientException(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        return await super().json()
