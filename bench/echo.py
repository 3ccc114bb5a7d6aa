"""The baseline: a bare python-telegram-bot echo bot, as a newcomer would write it.

It answers every text message (commands included) with the same text, quoting it. In
process it runs on :class:`~emulator.transport.EmulatorRequest`; ``python -m bench.echo
--api URL --files URL --token T`` runs it as its own process (``run_polling``). Where
Telegram's limits are enforced it runs with python-telegram-bot's ``AIORateLimiter`` as
a newcomer would add it (defaults: no retry of a 429).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)
from telegram.request import BaseRequest

from emulator.core import TelegramEmulator
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest

EchoApp = Application[Any, Any, Any, Any, Any, Any]
ECHO_TOKEN = "1000002:ECHO-TOKEN"
CONCURRENT = 256  # what ``concurrent_updates(True)`` gives


class Abandonable(SimpleUpdateProcessor):
    """``concurrent_updates(True)`` (256 updates at once, the rest wait their turn) that
    can drop what it holds: to stop a bot whose replies wait for Telegram's limits
    without waiting for them (:meth:`abandon`)."""

    def __init__(self) -> None:
        """256 at once, nothing abandoned."""
        super().__init__(CONCURRENT)
        self.abandoned = False
        self.running: set[asyncio.Task[Any]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process the update (or, once abandoned, drop it)."""
        if self.abandoned:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        task = asyncio.current_task()
        assert task is not None  # PTB runs each update in a task of its own
        self.running.add(task)
        try:
            await coroutine
        finally:
            self.running.discard(task)

    def abandon(self) -> None:
        """Cancel what runs now and drop what comes after."""
        self.abandoned = True
        for task in list(self.running):
            task.cancel()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back, quoting it."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text, do_quote=True)


def build_echo(
    token: str,
    *,
    api: str,
    files: str,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limited: bool = False,
    processor: Abandonable | None = None,
) -> EchoApp:
    """The echo bot: default Application, concurrent updates on (``processor``: the
    same, abandonable), no rate limiter unless ``rate_limited`` (``AIORateLimiter()``)."""
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = ApplicationBuilder()
    builder = builder.token(token).base_url(api).base_file_url(files)
    builder = builder.concurrent_updates(processor or True)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limited:
        builder = builder.rate_limiter(AIORateLimiter())
    app: EchoApp = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def start_echo(emulator: TelegramEmulator, *, rate_limited: bool = False) -> EchoApp:
    """The echo bot on the in-process emulator, polling with PTB's own Updater."""
    app = build_echo(
        emulator.token,
        api=IN_PROCESS_API,
        files=IN_PROCESS_FILES,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        rate_limited=rate_limited,
        processor=Abandonable(),
    )
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(timeout=5)
    await app.start()
    return app


async def stop_echo(app: EchoApp) -> None:
    """Stop polling, drop the updates still in hand (replies waiting for Telegram's
    limits) and shut the echo bot down."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    processor = app.update_processor
    if isinstance(processor, Abandonable):
        processor.abandon()
    if app.running:
        await app.stop()
    await app.shutdown()


def main() -> None:
    """Run the echo bot as a process until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description="bare python-telegram-bot echo bot")
    parser.add_argument("--api", required=True)
    parser.add_argument("--files", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    build_echo(args.token, api=args.api, files=args.files).run_polling(timeout=5)


if __name__ == "__main__":
    main()
