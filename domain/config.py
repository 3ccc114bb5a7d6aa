"""Configuration: config.toml read with tomllib into frozen dataclasses.

Every key can be overridden by ``VANGUARD_<SECTION>_<KEY>`` (plus the short aliases
``VANGUARD_TOKEN`` and ``VANGUARD_WEBHOOK_SECRET``). Any problem is a :class:`ConfigError`
that names the key, so a bad config fails at start, not later.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import ConfigError, ConfigErrors

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


@dataclass(frozen=True)
class TelegramConfig:
    """How to reach the Bot API."""

    token: Secret = field(default_factory=lambda: Secret(""))
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    mode: str = "polling"


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram posts updates in webhook mode."""

    url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: Secret = field(default_factory=lambda: Secret(""))


@dataclass(frozen=True)
class DatabaseConfig:
    """The SQLAlchemy URL of the database."""

    url: str = "sqlite+aiosqlite:///vanguard.db"


@dataclass(frozen=True)
class BotConfig:
    """Defaults for new groups and bot-wide admins."""

    admins: tuple[int, ...] = ()
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    briefing_time: time = time(8, 0)
    workdays_only: bool = False
    checkin_radius_m: int = 300


@dataclass(frozen=True)
class MediaConfig:
    """Where downloaded photos are kept."""

    dir: Path = Path("media")


@dataclass(frozen=True)
class Config:
    """The whole configuration, as read from config.toml and the environment."""

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    media: MediaConfig = field(default_factory=MediaConfig)

    def secrets(self) -> list[str]:
        """The secret strings that log output must never show."""
        return [s.get() for s in (self.telegram.token, self.webhook.secret_token) if s]


# --- converters: each takes the raw value (TOML value or env string) and the key name ---

Converter = Callable[[Any, str, bool], Any]


def _str(value: Any, key: str, from_env: bool) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {type(value).__name__}")
    return value


def _secret(value: Any, key: str, from_env: bool) -> Secret:
    return Secret(_str(value, key, from_env))


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
            key, "does not look like a bot token (digits, a colon, then letters: from @BotFather)"
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
    if scheme in DATABASE_DRIVERS.values():
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


def _mode(value: Any, key: str, from_env: bool) -> str:
    text = _str(value, key, from_env)
    if text not in ("polling", "webhook"):
        raise ConfigError(key, f"must be 'polling' or 'webhook', got {text!r}")
    return text


def _path(value: Any, key: str, from_env: bool) -> Path:
    return Path(_str(value, key, from_env))


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


def parse_hhmm(text: str) -> time | None:
    """``"07:30"`` → ``time(7, 30)``; anything else → None."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        return None
    return time(int(match.group(1)), int(match.group(2)))


_SCHEMA: dict[str, tuple[type[Any], dict[str, Converter]]] = {
    "telegram": (
        TelegramConfig,
        {"token": _token, "api_base_url": _url, "file_base_url": _url, "mode": _mode},
    ),
    "webhook": (
        WebhookConfig,
        {"url": _https, "listen": _ip, "port": _port, "secret_token": _secret},
    ),
    "database": (DatabaseConfig, {"url": _database}),
    "bot": (
        BotConfig,
        {
            "admins": _admins,
            "language": _language,
            "timezone": _timezone,
            "briefing_time": _clock_time,
            "workdays_only": _bool,
            "checkin_radius_m": _positive,
        },
    ),
    "media": (MediaConfig, {"dir": _path}),
}

_ENV_ALIASES = {
    "VANGUARD_TOKEN": ("telegram", "token"),
    "VANGUARD_WEBHOOK_SECRET": ("webhook", "secret_token"),
}


def _overrides(environ: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(section, key) → (variable, value) for every VANGUARD_… variable that is set."""
    overrides: dict[tuple[str, str], tuple[str, str]] = {}
    for section, (_, converters) in _SCHEMA.items():
        for key in converters:
            var = f"VANGUARD_{section.upper()}_{key.upper()}"
            if var in environ:
                overrides[(section, key)] = (var, environ[var])
    for var, target in _ENV_ALIASES.items():
        if var in environ and target not in overrides:
            overrides[target] = (var, environ[var])
    return overrides


NOT_CONFIG = {"VANGUARD_TEST_PG_URL"}  # ours, but read by the tests, not the config


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """``VANGUARD_…`` variables that look like ours but set no key (a misspelling)."""
    environ = os.environ if environ is None else environ
    known = {var for var, _ in _overrides({v: "" for v in environ}).values()} | NOT_CONFIG
    return sorted(v for v in environ if v.startswith("VANGUARD_") and v not in known)


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    require_token: bool = True,
) -> Config:
    """Read ``path`` (if given and present) and the environment into a :class:`Config`.

    Raises :class:`ConfigError` naming the key for an unknown key, a wrong type, a bad time
    zone or time, or a missing token.
    """
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(str(path), "file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), f"is not valid TOML: {exc}") from exc

    problems: list[ConfigError] = []
    sections: dict[str, Any] = {}

    def convert(section: str, key: str, value: Any, name: str, from_env: bool) -> None:
        try:
            converted = _SCHEMA[section][1][key](value, name, from_env)
        except ConfigError as error:
            problems.append(error)
        else:
            sections.setdefault(section, {})[key] = converted

    for section, values in raw.items():
        if section not in _SCHEMA:
            problems.append(ConfigError(section, f"unknown section; known: {', '.join(_SCHEMA)}"))
            continue
        if not isinstance(values, dict):
            problems.append(ConfigError(section, "must be a table, e.g. [" + section + "]"))
            continue
        converters = _SCHEMA[section][1]
        for key, value in values.items():
            name = f"{section}.{key}"
            if key not in converters:
                known = ", ".join(converters)
                problems.append(ConfigError(name, f"unknown key; known: {known}"))
                continue
            convert(section, key, value, name, False)

    for (section, key), (var, value) in _overrides(environ).items():
        convert(section, key, value, f"{section}.{key} ({var})", True)

    built = {name: cls(**sections.get(name, {})) for name, (cls, _) in _SCHEMA.items()}
    config = Config(**built)
    failed = {p.key.split(" ", 1)[0] for p in problems}
    if require_token and not config.telegram.token and "telegram.token" not in failed:
        problems.append(
            ConfigError(
                "telegram.token",
                "missing: put the token from @BotFather in config.toml or VANGUARD_TOKEN",
            )
        )
    if config.telegram.mode == "webhook":
        if not config.webhook.url and "webhook.url" not in failed:
            problems.append(
                ConfigError("webhook.url", "is required when telegram.mode = 'webhook'")
            )
        if not config.webhook.secret_token:
            problems.append(
                ConfigError(
                    "webhook.secret_token",
                    "is required in webhook mode (or VANGUARD_WEBHOOK_SECRET)",
                )
            )
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)
    return config
