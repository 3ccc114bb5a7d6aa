"""Configuration: config.toml read with tomllib into frozen dataclasses.

Every key can be overridden by ``VANGUARD_<SECTION>_<KEY>`` (plus the short aliases
``VANGUARD_TOKEN`` and ``VANGUARD_WEBHOOK_SECRET``). Any problem is a :class:`ConfigError`
that names the key, so a bad config fails at start, not later.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from domain.config_values import (
    Converter,
    _admins,
    _any_port,
    _bool,
    _clock_time,
    _daily_time,
    _database,
    _https,
    _ip,
    _language,
    _millis,
    _mode,
    _path,
    _port,
    _positive,
    _public_url,
    _timezone,
    _token,
    _url,
    _webhook_secret,
)
from domain.config_values import (
    Secret as Secret,
)
from domain.config_values import (
    canonical_timezone as canonical_timezone,
)
from domain.config_values import (
    parse_hhmm as parse_hhmm,
)
from domain.config_values import (
    valid_timezone as valid_timezone,
)
from domain.errors import ConfigError, ConfigErrors


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
    # how long an update waits for lower update ids to arrive (0: off; bot/turns.py)
    reorder_wait_ms: int = 0


MIN_REDACTED = 4  # a shorter database password would blank out every such run of letters


@dataclass(frozen=True)
class DatabaseConfig:
    """The SQLAlchemy URL of the database."""

    url: str = field(default="sqlite+aiosqlite:///vanguard.db", repr=False)

    @property
    def password(self) -> str | None:
        """The password in the URL, if any (never shown: see :meth:`Config.secrets`)."""
        return urlsplit(self.url).password

    def __repr__(self) -> str:
        shown = self.url
        if self.password:
            shown = shown.replace(f":{self.password}@", ":***@")
        return f"DatabaseConfig(url={shown!r})"


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
class WebConfig:
    """The bot process's web listener: the results wall's pages — the address people
    reach them at (empty: no pages), which a reverse proxy forwards to ``listen:port`` —
    and the operator's ``/healthz`` and ``/metrics`` (``health``), on this machine only
    unless ``listen`` says otherwise."""

    public_url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8080
    health: bool = True

    @property
    def enabled(self) -> bool:
        """Whether the wall pages are served (a public URL is set)."""
        return bool(self.public_url)

    @property
    def listening(self) -> bool:
        """Whether the process listens at all: for the wall pages, or for health and
        metrics."""
        return self.enabled or self.health


@dataclass(frozen=True)
class BackupConfig:
    """The daily backup: the folder it goes to, the local time (in ``bot.timezone``) it
    is made at (None: no scheduled backup) and how many daily backups are kept."""

    dir: Path = Path("backups")
    daily_at: time | None = time(3, 30)
    keep: int = 14


@dataclass(frozen=True)
class Config:
    """The whole configuration, as read from config.toml and the environment."""

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    web: WebConfig = field(default_factory=WebConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)

    def secrets(self) -> list[str]:
        """The secret strings that log output must never show."""
        found = [s.get() for s in (self.telegram.token, self.webhook.secret_token) if s]
        password = self.database.password
        if password and len(password) >= MIN_REDACTED:
            found.append(password)
        return found


_SCHEMA: dict[str, tuple[type[Any], dict[str, Converter]]] = {
    "telegram": (
        TelegramConfig,
        {"token": _token, "api_base_url": _url, "file_base_url": _url, "mode": _mode},
    ),
    "webhook": (
        WebhookConfig,
        {
            "url": _https,
            "listen": _ip,
            "port": _port,
            "secret_token": _webhook_secret,
            "reorder_wait_ms": _millis,
        },
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
    "web": (
        WebConfig,
        {"public_url": _public_url, "listen": _ip, "port": _any_port, "health": _bool},
    ),
    "backup": (BackupConfig, {"dir": _path, "daily_at": _daily_time, "keep": _positive}),
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

    Raises :class:`ConfigError` naming the key (or :class:`ConfigErrors` listing every
    key) for an unknown key, a wrong type or value, or a missing token.
    """
    problems: list[ConfigError] = []
    sections: dict[str, dict[str, Any]] = {}
    for section, key, value, name, from_env in _entries(
        _read(path), os.environ if env is None else env, problems
    ):
        try:
            sections.setdefault(section, {})[key] = _SCHEMA[section][1][key](value, name, from_env)
        except ConfigError as error:
            problems.append(error)
    config = Config(**{name: cls(**sections.get(name, {})) for name, (cls, _) in _SCHEMA.items()})
    problems += _missing(config, {p.key.split(" ", 1)[0] for p in problems}, require_token)
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)
    return config


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML: {exc}") from exc


def _entries(
    raw: dict[str, Any], environ: Mapping[str, str], problems: list[ConfigError]
) -> list[tuple[str, str, Any, str, bool]]:
    """(section, key, value, name for errors, from the environment) of every setting
    given, the file's first, then the environment's; unknown names go to ``problems``."""
    found: list[tuple[str, str, Any, str, bool]] = []
    for section, values in raw.items():
        if section not in _SCHEMA:
            problems.append(ConfigError(section, f"unknown section; known: {', '.join(_SCHEMA)}"))
        elif not isinstance(values, dict):
            problems.append(ConfigError(section, "must be a table, e.g. [" + section + "]"))
        else:
            converters = _SCHEMA[section][1]
            for key, value in values.items():
                if key in converters:
                    found.append((section, key, value, f"{section}.{key}", False))
                else:
                    known = ", ".join(converters)
                    problems.append(ConfigError(f"{section}.{key}", f"unknown key; known: {known}"))
    for (section, key), (var, value) in _overrides(environ).items():
        found.append((section, key, value, f"{section}.{key} ({var})", True))
    return found


def _missing(config: Config, failed: set[str], require_token: bool) -> list[ConfigError]:
    """What the configuration lacks (and was not already reported wrong)."""
    missing = []
    if require_token and not config.telegram.token and "telegram.token" not in failed:
        missing.append(
            ConfigError(
                "telegram.token",
                "missing: put the token from @BotFather in config.toml or VANGUARD_TOKEN",
            )
        )
    if config.telegram.mode == "webhook":
        if not config.webhook.url and "webhook.url" not in failed:
            missing.append(ConfigError("webhook.url", "is required when telegram.mode = 'webhook'"))
        if not config.webhook.secret_token:
            missing.append(
                ConfigError(
                    "webhook.secret_token",
                    "is required in webhook mode (or VANGUARD_WEBHOOK_SECRET)",
                )
            )
    return missing
