"""The composition root: the only place that builds the Application and wires it up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.botapi import VanguardBot
from bot.budget import LocalBudget, SharedBudget
from bot.limits import ChatRateLimiter, Limits
from bot.ordering import ChatOrderedProcessor
from bot.tls import tls_context
from domain.clock import Clock
from domain.config import Config
from handlers import register_all
from handlers.commands import visible
from handlers.context import BotData, Ctx
from handlers.features import Later, features_of
from handlers.i18n import LANGUAGES, for_language
from storage.db import Database, create_engine, is_sqlite
from storage.live import hold_running, sqlite_file
from storage.migrate import upgrade

log = logging.getLogger(__name__)

VanguardApp = Application[Any, Ctx, dict[Any, Any], dict[Any, Any], BotData, Any]


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    concurrent_updates: int = 64,
) -> VanguardApp:
    """Build the bot: Application, typed context, rate limiter, handlers, lifecycle hooks.

    ``request``/``get_updates_request`` replace the HTTP transport (the in-process
    emulator in tests); ``clock`` replaces real time. The database is opened (and migrated)
    in ``post_init`` and closed in ``post_shutdown``.
    """
    if request is None or get_updates_request is None:
        request, get_updates_request = _https(request, get_updates_request)
    bot = VanguardBot(
        token=config.telegram.token.get(),
        base_url=config.telegram.api_base_url,
        base_file_url=config.telegram.file_base_url,
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            tzinfo=UTC,
        ),
        request=request,
        get_updates_request=get_updates_request,
        rate_limiter=rate_limiter or ChatRateLimiter(Limits(), max_retries=3),
    )
    processor = ChatOrderedProcessor(concurrent_updates)
    app: VanguardApp = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=Ctx, bot_data=BotData))
        .concurrent_updates(processor)
        .updater(None)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data.config = config
    app.bot_data.clock = clock or Clock()
    register_all(app)
    _count(app, processor)
    register_daily_backup(app)
    return app


DAILY_BACKUP_JOB = "daily-backup"


def register_daily_backup(app: VanguardApp) -> None:
    """Look every minute whether the daily backup is due (none without ``daily_at``); the
    backup's modules (tar, pg_dump, restore) are imported when it first looks."""
    job_queue = app.job_queue
    if job_queue is None or app.bot_data.config.backup.daily_at is None:
        return
    job_queue.run_repeating(
        Later("bot.backups:daily_backup"),
        interval=60,
        first=30,
        name=DAILY_BACKUP_JOB,
        job_kwargs={"misfire_grace_time": 50, "coalesce": True, "max_instances": 1},
    )


def _https(
    request: BaseRequest | None, get_updates_request: BaseRequest | None
) -> tuple[BaseRequest, BaseRequest]:
    """The connections to Telegram that were not given: one TLS context for both (each
    would load the CA bundle: 30 ms and most of a megabyte)."""
    tls = {"verify": tls_context()}
    return (
        request or HTTPXRequest(connection_pool_size=256, httpx_kwargs=tls),
        get_updates_request or HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls),
    )


def _count(app: VanguardApp, processor: ChatOrderedProcessor) -> None:
    """Let the metrics see every update handled (labelled by the command table) and
    every 429 the rate limiter meets."""
    metrics = app.bot_data.metrics
    metrics.commands = frozenset(c.name for c in features_of(app).commands)
    processor.observe = metrics.handled
    limiter = app.bot.rate_limiter
    if isinstance(limiter, ChatRateLimiter):
        limiter.on_flood_wait = metrics.flood_wait


async def _post_init(app: VanguardApp) -> None:
    """Mark a SQLite database as in use (so no restore swaps it away), open and migrate
    the database, then set the command menus going (beside the first polls: the bot
    answers without waiting for them)."""
    url = app.bot_data.config.database.url
    if is_sqlite(url) and app.bot_data.live is None:
        app.bot_data.live = hold_running(sqlite_file(url))  # raises while a restore runs
    db = Database(url)
    await upgrade(db.engine)
    app.bot_data.db = db
    share_budget(app)
    app.bot_data.state(Menus).task = asyncio.create_task(publish_soon(app), name="menus")


MENUS_AFTER = 0.5  # seconds: the menus go out once the first poll is out and waiting


async def publish_soon(app: VanguardApp) -> None:
    """Publish the command menus once start-up is over (its first poll sent): eight
    requests to Telegram that would otherwise hold up the first poll."""
    await asyncio.sleep(MENUS_AFTER)
    await publish_commands(app)


@dataclass
class Menus:
    """The publication of the command menus, running from start-up on."""

    task: asyncio.Task[None] | None = None


BUDGET_POOL = 4  # connections of the sending budget (one statement a message)


def share_budget(app: VanguardApp) -> None:
    """On PostgreSQL, book Telegram's limits in the database, for every process on it."""
    limiter = app.bot.rate_limiter
    url = app.bot_data.config.database.url
    if isinstance(limiter, ChatRateLimiter) and limiter.limits is not None and not is_sqlite(url):
        limiter.share(SharedBudget(create_engine(url, pool_size=BUDGET_POOL, durable=False)))


async def _post_stop(app: VanguardApp) -> None:
    """Stop publishing the menus if it still runs (before the connections to Telegram
    close), and log what made it fail if it did."""
    menus, app.bot_data.state(Menus).task = app.bot_data.state(Menus).task, None
    if menus is None:
        return
    menus.cancel()
    await asyncio.wait([menus])  # its end, whatever it was (a stop of ours still stops)
    if not menus.cancelled() and (error := menus.exception()) is not None:
        log.error("could not publish the command menus", exc_info=error)


async def _post_shutdown(app: VanguardApp) -> None:
    """Close the database (and let a restore have it)."""
    limiter = app.bot.rate_limiter
    if isinstance(limiter, ChatRateLimiter) and isinstance(limiter.budget, SharedBudget):
        await limiter.budget.engine.dispose()
        limiter.share(LocalBudget())
    if app.bot_data.db is not None:
        await app.bot_data.db.dispose()
        app.bot_data.db = None
    if app.bot_data.live is not None:
        app.bot_data.live.release()
        app.bot_data.live = None


def command_menus(
    app: VanguardApp,
) -> list[tuple[BotCommandScope, str, list[tuple[str, str]]]]:
    """(scope, language code, [(command, description)]) for every menu we publish."""
    scopes: list[tuple[BotCommandScope, str, bool]] = [
        (BotCommandScopeDefault(), "private", False),
        (BotCommandScopeAllPrivateChats(), "private", False),
        (BotCommandScopeAllGroupChats(), "group", False),
        (BotCommandScopeAllChatAdministrators(), "group", True),
    ]
    menus = []
    for language in LANGUAGES:
        t = for_language(language)
        code = "" if language == "zh" else language
        for scope, chat, admin in scopes:
            rows = [
                (spec.name, t.plain(spec.description_key))
                for spec in visible(features_of(app).commands, chat, admin)  # type: ignore[arg-type]
            ]
            menus.append((scope, code, rows))
    return menus


async def publish_commands(app: VanguardApp) -> None:
    """Publish the command menus per scope and language (set_my_commands), side by side;
    a failure is logged (the menus are a convenience: the commands work without them)."""

    async def publish(scope: BotCommandScope, code: str, rows: list[tuple[str, str]]) -> None:
        await app.bot.set_my_commands(
            [BotCommand(name, text) for name, text in rows],
            scope=scope,
            language_code=code or None,
        )

    menus = command_menus(app)
    done = await asyncio.gather(*(publish(*menu) for menu in menus), return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, TelegramError):
            log.warning("could not publish the command menu: %s", outcome)
            break
    for outcome in done:
        if isinstance(outcome, Exception) and not isinstance(outcome, TelegramError):
            log.error("could not publish the command menus", exc_info=outcome)
            break
