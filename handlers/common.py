"""Small helpers every handler module uses: command handlers, replies, guards."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import CommandHandler, filters

from domain.errors import GroupOnly, NotAdmin, PrivateOnly
from domain.text import CAPTION_LIMIT, MESSAGE_LIMIT, shorten_html, visible_len
from handlers.context import Ctx
from handlers.i18n import Html
from storage.members import is_admin as stored_is_admin
from storage.models import Group

Callback = Callable[[Update, Ctx], Coroutine[Any, Any, None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def command(name: str, callback: Callback) -> CommandHandler[Ctx, None]:
    """A command handler for new messages only: an edited command message is ignored,
    so editing ``/report …`` never creates a second entry."""
    return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)


def is_group_chat(update: Update) -> bool:
    """Whether the update comes from a group or supergroup."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def is_private_chat(update: Update) -> bool:
    """Whether the update comes from the private chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def require_group(update: Update, context: Ctx) -> Group:
    """The group of this update; refuses the command in private chat."""
    if not is_group_chat(update) or context.group is None:
        raise GroupOnly()
    return context.group


def require_private(update: Update) -> None:
    """Refuses the command outside the private chat."""
    if not is_private_chat(update):
        raise PrivateOnly()


def user_id(update: Update) -> int:
    """The Telegram id of the person behind the update."""
    user = update.effective_user
    if user is None:
        raise RuntimeError("update without a user")
    return user.id


async def is_admin(context: Ctx, group: Group, uid: int) -> bool:
    """Whether the person is an admin of the group (Telegram's list or config admins)."""
    if context.is_bot_admin(uid):
        return True
    async with context.read() as session:
        return await stored_is_admin(session, group.id, uid)


async def require_admin(update: Update, context: Ctx) -> Group:
    """The group of this update, if the person is its admin; refuses otherwise."""
    group = require_group(update, context)
    if not context.sender_is_admin:
        raise NotAdmin()
    return group


async def reply(
    update: Update,
    context: Ctx,
    text: str,
    markup: Markup | None = None,
) -> Message | None:
    """Answer the person where they wrote: a reply in groups, a message in private."""
    message = update.effective_message
    if update.callback_query is not None or message is None:
        chat = update.effective_chat
        if chat is None:
            return None
        return await context.bot.send_message(chat.id, fit(text), reply_markup=markup)
    return await message.reply_text(fit(text), reply_markup=markup, do_quote=is_group_chat(update))


def deep_link(context: Ctx, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: opens the private chat in one tap."""
    return f"https://t.me/{context.bot.username}?start={payload}"


MAX_MESSAGE = MESSAGE_LIMIT - 96  # room for a page line


def split_message(lines: Sequence[str]) -> list[Html]:
    """Join lines into as few messages as fit Telegram's length limit; a line that is
    longer than a message on its own is shortened, so no stored text can break a view."""
    chunks: list[Html] = []
    current, size = "", 0
    for raw in lines:
        line = shorten_html(raw, MAX_MESSAGE)
        length = visible_len(line)
        if current and size + length + 1 > MAX_MESSAGE:
            chunks.append(Html(current))
            current, size = "", 0
        current = f"{current}\n{line}" if current else line
        size += length + 1
    chunks.append(Html(current))
    return chunks


def fit(text: str, limit: int = MAX_MESSAGE) -> Html:
    """One message's worth of Telegram HTML (a caption: ``limit=CAPTION``)."""
    return Html(shorten_html(text, limit))


CAPTION = CAPTION_LIMIT - 24  # room for a page line


def args_text(context: Ctx, skip: int = 0) -> str:
    """The command's arguments after the first ``skip`` words, as one string."""
    return " ".join((context.args or [])[skip:]).strip()
