"""Vanguard started for a case on the in-process emulator, and stopped again."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import VanguardApp, build_application
from bot.delivery import ConfirmingPoller
from bot.limits import ChatRateLimiter
from bot.runner import Runner
from domain.clock import Clock
from domain.config import (
    BackupConfig,
    BotConfig,
    Config,
    DatabaseConfig,
    MediaConfig,
    Secret,
    TelegramConfig,
    WebConfig,
)
from emulator.core import TelegramEmulator
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest

log = logging.getLogger("bench")


def make_config(
    db_url: str,
    media: Path,
    emulator: TelegramEmulator,
    api: str = IN_PROCESS_API,
    files: str = IN_PROCESS_FILES,
) -> Config:
    """A config for a bot on ``emulator`` and ``db_url``."""
    return Config(
        telegram=TelegramConfig(
            token=Secret(emulator.token), api_base_url=api, file_base_url=files
        ),
        database=DatabaseConfig(url=db_url),
        bot=BotConfig(),
        media=MediaConfig(dir=media),
        web=WebConfig(port=0),  # /healthz and /metrics on any free port
        backup=BackupConfig(daily_at=None),  # no daily backup of a benchmark's database
    )


def unthrottled() -> ChatRateLimiter:
    """The rate limiter the tests use: our own limiter without limits — it retries a
    429 and never waits on its own, and it takes the outbox's bulk-send argument
    (python-telegram-bot's ``AIORateLimiter`` reads that argument as its retry count and
    fails every file the outbox sends)."""
    return ChatRateLimiter(None, max_retries=2)


class OffsetClock(Clock):
    """Real time, moved forward by what :meth:`advance` added (to let a cache age)."""

    def __init__(self) -> None:
        """Real time, to begin with."""
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Real time plus the offset."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.offset += delta


async def start_vanguard(
    emulator: TelegramEmulator,
    db_url: str,
    media: Path,
    *,
    production_limits: bool = False,
    clock: Clock | None = None,
    web: WebConfig | None = None,
) -> tuple[VanguardApp, Runner]:
    """Vanguard's own composition root on the in-process emulator, started (polling).
    ``production_limits``: build_application's default rate limiter, else none; ``web``:
    the wall's pages served too."""
    config = make_config(db_url, media, emulator)
    if web is not None:
        config = replace(config, web=web)
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=clock,
        rate_limiter=None if production_limits else unthrottled(),
    )
    runner = Runner(app, config, poll_timeout=5)
    await runner.start()
    return app, runner


async def stop_quietly(runner: Runner, timeout: float = 30.0) -> None:
    """Stop a bot, giving up after ``timeout`` seconds (a hung bot is left behind)."""
    try:
        await asyncio.wait_for(runner.stop(), timeout)
    except Exception as exc:
        log.warning("the bot did not stop cleanly within %.0f s: %r", timeout, exc)


async def abandon(runner: Runner, grace: float = 1.0, timeout: float = 30.0) -> None:
    """Stop a bot without waiting for the updates in hand (replies waiting for Telegram's
    limits): they get ``grace`` seconds, then are cancelled (parked ones stay parked;
    the poller's warning about them is expected and not logged)."""
    if isinstance(runner.transport, ConfirmingPoller):
        runner.transport.stop_grace = grace
    runner.parked_work.stop_grace = grace
    poller_log = logging.getLogger("bot.delivery")
    level = poller_log.level
    poller_log.setLevel(logging.ERROR)
    try:
        await stop_quietly(runner, timeout)
    finally:
        poller_log.setLevel(level)
