"""Private messages and Start links: the buttons that open the private chat with the bot
(``https://t.me/<bot>?start=<payload>``), what a ``/start <payload>`` deep link does
(features register their payloads), and remembering people the bot may not write to
privately until they press Start."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from handlers.common import deep_link
from handlers.context import Ctx
from handlers.features import features_of
from handlers.i18n import Translator
from storage.members import mark_unreachable

log = logging.getLogger(__name__)


def link_button(t: Translator, key: str, url: str) -> InlineKeyboardMarkup:
    """One button that opens the private chat through a deep link."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t.plain(key), url=url)]])


def help_button(context: Ctx, t: Translator) -> InlineKeyboardMarkup:
    """One button that opens the private chat with the bot at its help."""
    return link_button(t, "button.private_chat", deep_link(context, "help"))


def chat_button(context: Ctx, t: Translator) -> InlineKeyboardMarkup:
    """One button that opens the private chat with the bot; the first time, its Start
    gives the short greeting with the first steps (not the whole help)."""
    return link_button(t, "button.private_chat", f"https://t.me/{context.bot.username}")


def first_steps(context: Ctx, t: Translator) -> InlineKeyboardMarkup:
    """The buttons under the private greeting: what a new member does first — report an
    issue step by step, fill in their profile — and all the commands."""
    row = [
        InlineKeyboardButton(t.plain("button.report"), url=deep_link(context, "report")),
        InlineKeyboardButton(t.plain("button.profile"), url=deep_link(context, "profile")),
    ]
    every = InlineKeyboardButton(t.plain("button.all_commands"), url=deep_link(context, "help"))
    return InlineKeyboardMarkup([row, [every]])


def start_bot_button(context: Ctx, t: Translator) -> InlineKeyboardMarkup:
    """The Start button shown to someone the bot cannot write to privately yet."""
    return link_button(t, "button.start_bot", deep_link(context, "help"))


def register_payload(
    app: Application,  # type: ignore[type-arg]
    prefix: str,
    handler: Callable[[Update, Ctx, str], Awaitable[None]],
) -> None:
    """Let a feature act on ``/start <prefix>-<rest>`` deep links (e.g. check-in)."""
    features_of(app).payloads[prefix] = handler


async def unreachable(context: Ctx, user_id: int, error: TelegramError) -> bool:
    """Whether ``error`` says the bot may not write to the person (they never pressed
    Start, or blocked it); if so it is remembered (until they press Start)."""
    gone = isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and "chat not found" in error.message.lower()
    )
    if gone:
        log.info("cannot write to %s privately: %s", user_id, error.message)
        async with context.write_unclaimed() as session:
            await mark_unreachable(session, user_id, context.clock.now())
    return gone
