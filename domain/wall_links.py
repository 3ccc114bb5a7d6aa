"""Signed links to a group's results-wall page: ``<group>.<expires>.<signature>``.

The signature is an HMAC-SHA256 over the group and the expiry with the group's own
secret (kept in the database, never shown), so a link cannot be guessed from a group's
number, stops working on its expiry day, and every link of a group stops working at
once when an admin makes a new secret (``/wall link reset``). Pure: the caller gives
the secret and the moment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

LINK_DAYS = 30  # a link given today works this long
_TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([1-9][0-9]{9,10})\.([A-Za-z0-9_-]{32})")


class Verdict(StrEnum):
    """What a link is worth."""

    VALID = "valid"
    FORGED = "forged"  # not signed with the group's current secret (or revoked)
    EXPIRED = "expired"


@dataclass(frozen=True)
class Link:
    """A link's parts, as read from its token (not yet checked)."""

    group_id: int
    expires: int  # Unix seconds
    signature: str

    @property
    def token(self) -> str:
        """The link's path segment."""
        return f"{self.group_id}.{self.expires}.{self.signature}"


def new_secret() -> str:
    """A fresh random secret for a group's links."""
    return secrets.token_urlsafe(32)


def expiry(now: datetime, days: int = LINK_DAYS) -> int:
    """When a link made now stops working: ``days`` on, at the end of that UTC day (so
    every link made on one day is the same link)."""
    day = (now.astimezone(UTC) + timedelta(days=days)).date()
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return int(end.timestamp())


def _signature(secret: str, group_id: int, expires: int) -> str:
    digest = hmac.new(
        secret.encode(), f"wall:{group_id}:{expires}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def sign(secret: str, group_id: int, expires: int) -> Link:
    """The link to group ``group_id``'s wall, valid until ``expires``."""
    return Link(group_id, expires, _signature(secret, group_id, expires))


def parse(token: str) -> Link | None:
    """A token's parts, or None when it is not shaped like one (any length, any bytes)."""
    found = _TOKEN.fullmatch(token) if len(token) <= 64 else None
    if found is None:
        return None
    return Link(int(found[1]), int(found[2]), found[3])


def check(link: Link, secret: str | None, now: datetime) -> Verdict:
    """Whether ``link`` opens its group's wall at ``now`` (``secret``: the group's, None
    when the group has none or is gone)."""
    if secret is None:
        return Verdict.FORGED
    wanted = _signature(secret, link.group_id, link.expires)
    if not hmac.compare_digest(wanted, link.signature):
        return Verdict.FORGED
    if now.timestamp() >= link.expires:
        return Verdict.EXPIRED
    return Verdict.VALID
