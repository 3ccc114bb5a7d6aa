"""The values config.toml and the environment may hold, each checked by a converter
that names the key and says what is wrong: strings, secrets, a bot token, URLs, ports,
IP addresses, database URLs, time zones, times, switches, admin lists."""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import ConfigError

LANGUAGES = ("zh", "en")


class Secret:
    """A string that never shows itself in a repr, a str() or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The real value, for the one place that must send it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# --- converters: each takes the raw value (TOML value or env string) and the key name ---

Converter = Callable[[Any, str, bool], Any]


def _str(value: Any, key: str, from_env: bool) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {type(value).__name__}")
    return value


def _int(value: Any, key: str, from_env: bool) -> int:
    if from_env and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"must be an integer, got {value!r}")
    return value


def _port(value: Any, key: str, from_env: bool) -> int:
    port = _int(value, key, from_env)
    if not 1 <= port <= 65535:
        raise ConfigError(key, f"must be a port number 1-65535, got {port}")
    return port


_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{10,}")


def _token(value: Any, key: str, from_env: bool) -> Secret:
    text = _str(value, key, from_env)
    if text and not _TOKEN.fullmatch(text):
        raise ConfigError(
            key,
            "does not look like a bot token from @BotFather: digits, a colon, then at least"
            " 10 letters, digits, _ or -",
        )
    return Secret(text)


def _url(value: Any, key: str, from_env: bool, schemes: tuple[str, ...] = ("http", "https")) -> str:
    text = _str(value, key, from_env)
    parts = urlsplit(text)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(key, f"must be a {'/'.join(schemes)}:// URL, got {text!r}")
    return text


def _https(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    return _url(text, key, from_env, ("https",)) if text else text


def _public_url(value: Any, key: str, from_env: bool) -> str:
    """An http(s) address without a query or fragment, kept without its trailing slash
    (empty: off)."""
    text = _str(value, key, from_env).strip()
    if not text:
        return ""
    _url(text, key, from_env)
    parts = urlsplit(text)
    if parts.query or parts.fragment:
        raise ConfigError(key, f"must be a plain address without ? or #, got {text!r}")
    return text.rstrip("/")


def _any_port(value: Any, key: str, from_env: bool) -> int:
    """A port number, or 0 for any free port (tests)."""
    port = _int(value, key, from_env)
    if not 0 <= port <= 65535:
        raise ConfigError(key, f"must be a port number 0-65535 (0: any free port), got {port}")
    return port


def _ip(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ConfigError(key, f"must be an IP address such as 127.0.0.1, got {text!r}") from None
    return text


DATABASE_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _database(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme == DATABASE_DRIVERS["sqlite"]:
        path = text.split("://", 1)[1].lstrip("/").split("?", 1)[0]
        if not path or path == ":memory:":
            raise ConfigError(key, "names no file: an in-memory database loses everything")
        return text
    if scheme == DATABASE_DRIVERS["postgresql"]:
        parts = urlsplit(text)
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError(key, "needs a host and a database: postgresql+asyncpg://user@host/db")
        return text
    base = scheme.split("+", 1)[0]
    if base in ("postgres", "postgresql", "sqlite"):
        driver = DATABASE_DRIVERS["sqlite" if base == "sqlite" else "postgresql"]
        raise ConfigError(key, f"use the async driver: {driver}://… (got {scheme or text!r})")
    raise ConfigError(
        key, "must be sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db"
    )


def _positive(value: Any, key: str, from_env: bool) -> int:
    number = _int(value, key, from_env)
    if number <= 0:
        raise ConfigError(key, f"must be a positive integer, got {number}")
    return number


def _millis(value: Any, key: str, from_env: bool) -> int:
    """Milliseconds, 0 (off) to a minute."""
    number = _int(value, key, from_env)
    if not 0 <= number <= 60_000:
        raise ConfigError(key, f"must be milliseconds from 0 to 60000, got {number}")
    return number


def _bool(value: Any, key: str, from_env: bool) -> bool:
    if from_env and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false, got {value!r}")
    return value


def _admins(value: Any, key: str, from_env: bool) -> tuple[int, ...]:
    if from_env and isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(key, "must be a list of Telegram user ids") from exc
        else:
            parts = [p for p in re.split(r"[,\s]+", text) if p]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ConfigError(key, f"must be a list of Telegram user ids, got {value!r}")
            value = [int(p) for p in parts]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ConfigError(key, f"must be a list of Telegram user ids, got {value!r}")
    return tuple(value)


def _language(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    if text not in LANGUAGES:
        raise ConfigError(key, f"must be one of {', '.join(LANGUAGES)}, got {text!r}")
    return text


def _timezone(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    if not valid_timezone(text):
        raise ConfigError(key, f"is not a known time zone: {text!r} (e.g. Asia/Shanghai)")
    return text


def _clock_time(value: Any, key: str, from_env: bool) -> time:
    if isinstance(value, time) and not from_env:
        return value
    text = _str(value, key, from_env)
    parsed = parse_hhmm(text)
    if parsed is None:
        raise ConfigError(key, f"must be a time HH:MM, got {text!r}")
    return parsed


def _daily_time(value: Any, key: str, from_env: bool) -> time | None:
    """A time HH:MM, or an empty string for none (the job is off)."""
    if isinstance(value, str) and not value.strip():
        return None
    return _clock_time(value, key, from_env)


def _mode(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    if text not in ("polling", "webhook"):
        raise ConfigError(key, f"must be 'polling' or 'webhook', got {text!r}")
    return text


def _path(value: Any, key: str, from_env: bool) -> Path:
    text = _str(value, key, from_env)
    if not text.strip():
        raise ConfigError(key, "must name a folder (empty means the current one by mistake)")
    return Path(text)


_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret(value: Any, key: str, from_env: bool) -> Secret:
    text = _str(value, key, from_env)
    if text and not _WEBHOOK_SECRET.fullmatch(text):
        allowed = "may hold only letters, digits, _ and - (at most 256), as Telegram requires"
        raise ConfigError(key, allowed)
    return Secret(text)


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone ("Asia/Shanghai"; not a folder like "Asia",
    nor a file of the database that is no zone, like "localtime" or "Factory")."""
    if name not in _zones() or name in ("Factory", "localtime", "posixrules"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def canonical_timezone(name: str) -> str | None:
    """The IANA name ``name`` means, whatever its case (``asia/shanghai`` →
    ``Asia/Shanghai``); None when it names no time zone."""
    wanted = name.strip().casefold()
    found = next((zone for zone in _zones() if zone.casefold() == wanted), None)
    return found if found is not None and valid_timezone(found) else None


def parse_hhmm(text: str) -> time | None:
    """``"07:30"`` → ``time(7, 30)``; anything else → None."""
    # typed with a Chinese input method: full-width digits and colon (７：３０) count too
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    return time(int(match.group(1)), int(match.group(2)))
