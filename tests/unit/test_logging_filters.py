"""Invitation tokens never reach the access log."""

from __future__ import annotations

import logging

from wg.logging_filters import RedactInvitationTokens


def test_access_log_hides_invitation_tokens():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/invite/AbCdEf123_-secret?x=1", "1.1", 200), None)
    assert RedactInvitationTokens().filter(record)
    line = record.getMessage()
    assert "secret" not in line and "AbCdEf" not in line
    assert "/invite/…?x=1" in line


def test_other_paths_are_untouched():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/g/trilateral/r/1",), None)
    RedactInvitationTokens().filter(record)
    assert record.getMessage() == "/g/trilateral/r/1"
