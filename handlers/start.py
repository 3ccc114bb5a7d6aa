"""/start and /help, deep-link payloads, and the reply to unknown commands."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import commands
from bot.context import Ctx
from bot.i18n import Html, Translator
from handlers.common import command, deep_link, is_group_chat, reply
from handlers.keyboards import open_private_chat
from storage.members import mark_started

PayloadHandler = Callable[[Update, Ctx, str], Awaitable[None]]
_PAYLOADS: dict[str, PayloadHandler] = {}
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def register_payload(prefix: str, handler: PayloadHandler) -> None:
    """Let a feature act on ``/start <prefix>-<rest>`` deep links (e.g. check-in)."""
    _PAYLOADS[prefix] = handler


def help_text(t: Translator, chat: str, admin: bool) -> Html:
    """The commands this person may use here, one line each."""
    lines = [t("help.title_group" if chat == "group" else "help.title_private")]
    section = "general"
    for spec in commands.visible("group" if chat == "group" else "private", admin):
        if spec.section != section:
            section = spec.section
            lines.append(t(f"help.section.{section}"))
        lines.append(t("help.line", usage=Html(t(spec.usage_key)), text=t(spec.description_key)))
    if chat == "group":
        lines.append(t("help.private_hint"))
    else:
        lines.append(t("help.group_hint"))
    return Html("\n".join(lines))


async def start(update: Update, context: Ctx) -> None:
    """Group: registers the group, shows help. Private: welcome or a deep-link action."""
    t = context.t
    if is_group_chat(update):
        text = Html(t("start.group") + "\n\n" + help_text(t, "group", context.sender_is_admin))
        await reply(update, context, text, open_private_chat(t, deep_link(context, "help")))
        return
    if context.member is not None:
        # idempotent, so it does not claim the update: a deep link's handler may
        async with context.db.transaction() as session:
            await mark_started(session, context.member.user_id, context.clock.now())
    payload = (context.args or [""])[0]
    if payload and payload != "help":
        prefix = payload.split("-", 1)[0]
        handler = _PAYLOADS.get(prefix)
        if handler is not None and _PAYLOAD.fullmatch(payload):
            await handler(update, context, payload)
            return
        await reply(update, context, t("start.bad_link"))
    await reply(update, context, Html(t("start.private") + "\n\n" + help_text(t, "private", False)))


async def help_command(update: Update, context: Ctx) -> None:
    """The commands this person may use here, in their language."""
    if is_group_chat(update):
        await reply(update, context, help_text(context.t, "group", context.sender_is_admin))
    else:
        await reply(update, context, help_text(context.t, "private", False))


async def unknown_command(update: Update, context: Ctx) -> None:
    """A command the bot does not know (in groups: only when addressed to this bot)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0]
    name, _, target = word[1:].partition("@")
    if is_group_chat(update) and target.lower() != (context.bot.username or "").lower():
        return
    await reply(update, context, context.t("error.unknown_command", command="/" + name))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /start and /help."""
    app.add_handler(command("start", start))
    app.add_handler(command("help", help_command))


async def stale_button(update: Update, context: Ctx) -> None:
    """A button no handler knows (from an old message): still answered, so the person's
    phone stops waiting."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.t.plain("error.stale_button"), show_alert=True)


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Install the unknown-command reply and the answer to unknown buttons; must come
    after every feature's handlers."""
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
