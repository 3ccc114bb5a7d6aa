"""The baseline: a bare python-telegram-bot echo bot, as a newcomer would write it.

It answers every text message (commands included) with the same text, quoting it. In
process it runs on :class:`~emulator.transport.EmulatorRequest`; ``python -m bench.echo
--api URL --files URL --token T`` runs it as its own process (``run_polling``).
"""

from __future__ import annotations

import argparse
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest

from emulator.core import TelegramEmulator
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest

EchoApp = Application[Any, Any, Any, Any, Any, Any]


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
) -> EchoApp:
    """The echo bot: default Application, concurrent updates on, no rate limiter."""
    builder = ApplicationBuilder().token(token).base_url(api).base_file_url(files)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app: EchoApp = builder.concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def start_echo(emulator: TelegramEmulator) -> EchoApp:
    """The echo bot on the in-process emulator, polling with PTB's own Updater."""
    app = build_echo(
        emulator.token,
        api=IN_PROCESS_API,
        files=IN_PROCESS_FILES,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
    )
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(timeout=5)
    await app.start()
    return app


async def stop_echo(app: EchoApp) -> None:
    """Stop polling and shut the echo bot down."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
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
