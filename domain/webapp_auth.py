"""Telegram Mini App ``initData``, checked as Telegram documents it ("Validating data
received via the Mini App"): the fields but ``hash``, sorted by name as ``key=value``
lines, signed with HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token); the
``auth_date`` no older than a day on the caller's clock.

Written here rather than taken from a library: telegram-webapp-auth 3.2 (the maintained
one) refuses a ``user`` with any field it does not know (a field Telegram adds would lock
everyone out) and reads the real clock for the age; the check itself is these few lines.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(days=1)
SKEW = timedelta(minutes=5)  # an auth_date this far ahead of our clock still counts
MAX_LENGTH = 4096
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class WebAppPerson:
    """Who opened the Mini App, as Telegram vouches."""

    user_id: int
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    """The key initData is signed with, derived from the bot's token."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _fields(init_data: str) -> dict[str, str] | None:
    if not init_data or len(init_data) > MAX_LENGTH:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if not key or key in fields:
            return None  # a field twice could mean two things
        fields[key] = value
    return fields


def check_init_data(init_data: str, bot_token: str, now: datetime) -> WebAppPerson | None:
    """The person behind ``init_data`` when Telegram signed it for this bot less than a
    day ago; None for anything else (forged, altered, stale, malformed)."""
    fields = _fields(init_data)
    if fields is None:
        return None
    given = fields.pop("hash", "")
    if not _HASH.fullmatch(given):
        return None
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    expected = hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return None
    stamp = fields.get("auth_date", "")
    if not stamp.isdigit() or len(stamp) > 12:
        return None
    auth_date = datetime.fromtimestamp(int(stamp), UTC)
    if not now - MAX_AGE <= auth_date <= now + SKEW:
        return None
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        return None
    if not isinstance(user, dict) or type(user.get("id")) is not int:
        return None
    language = user.get("language_code")
    return WebAppPerson(user["id"], language if isinstance(language, str) else None, auth_date)
