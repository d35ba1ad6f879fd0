"""Keep secrets out of the server's logs: invitation tokens travel in URLs, so access logs hide them."""

from __future__ import annotations

import logging
import re

_INVITE = re.compile(r"(/invite/)[^/?\s]+")


class RedactInvitationTokens(logging.Filter):
    """Replace the token in ``/invite/<token>`` with ``…`` in every log record's message arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact, and always keep the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_INVITE.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _INVITE.sub(r"\1…", record.msg)
        return True


def install() -> None:
    """Attach the filter to uvicorn's access log (idempotent)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactInvitationTokens) for f in logger.filters):
        logger.addFilter(RedactInvitationTokens())
