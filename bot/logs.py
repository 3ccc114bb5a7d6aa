"""Logging setup that never lets a secret (bot token, webhook secret) reach a log line."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from urllib.parse import quote


class RedactSecrets(logging.Filter):
    """Replaces every secret (and its URL-quoted form) in a record's message with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        self._forms = sorted(forms, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if not self._forms:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = message
        for form in self._forms:
            redacted = redacted.replace(form, "***")
        if record.exc_text:
            for form in self._forms:
                record.exc_text = record.exc_text.replace(form, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def utc_formatter() -> logging.Formatter:
    """Log lines stamped in UTC, and saying so: ``2026-12-06T04:55:01.123Z INFO …``
    (groups live in their own time zones; the log is read against one clock)."""
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    return formatter


def setup_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Log to stderr, with secrets redacted from every handler's output."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(utc_formatter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
