"""/start and /help, deep-link payloads, and the reply to unknown commands."""

from __future__ import annotations

import re

from telegram import Update

from domain.errors import UsageError
from domain.text import excerpt
from handlers.common import is_group_chat, reply
from handlers.context import Ctx
from handlers.general.profile import show_profile
from handlers.general.views import full_help, help_lines, help_text, help_topic, short_help
from handlers.i18n import Html
from handlers.invocation import Invocation
from handlers.private import first_steps, help_button
from storage.members import mark_started

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def start(inv: Invocation) -> None:
    """Group: registers the group, shows help. Private: welcome or a deep-link action."""
    t, context, table = inv.t, inv.context, inv.context.features.commands
    if not inv.private:
        text = Html(t("start.group") + "\n\n" + short_help(t, table, inv.is_admin))
        await inv.reply(text, help_button(context, t))
        return
    if context.member is not None:
        # idempotent, so it does not claim the update: a deep link's handler may
        async with context.write_unclaimed() as session:
            await mark_started(session, context.member.user_id, context.clock.now())
    payload = (inv.args or [""])[0]
    if payload == "help":  # the full help (the greeting's buttons are elsewhere)
        await inv.reply(full_help(t, table))
        return
    if payload == "profile":
        await show_profile(inv)
        return
    if payload:
        prefix = payload.split("-", 1)[0]
        handler = context.features.payloads.get(prefix)
        if handler is not None and _PAYLOAD.fullmatch(payload) and inv.update is not None:
            await handler(inv.update, context, payload)
            return
        await inv.reply(t("start.bad_link"))
    # a short greeting and the first things to do; the full help stays behind /help
    await inv.reply(t("start.private"), first_steps(context, t))


async def help_command(inv: Invocation) -> None:
    """The commands this person may use here, in their language: in a group the short
    list and a button to the full help; ``/help 领题`` one section, ``/help claim`` one
    command."""
    t, table = inv.t, inv.context.features.commands
    if inv.args:
        if len(inv.args) != 1:
            raise UsageError("help")
        found = help_topic(table, inv.args[0])
        if found is None:
            raise UsageError("help")
        if isinstance(found, str):
            await inv.reply(full_help(t, table, found))
        else:
            await inv.reply(Html("\n".join(help_lines(t, [found], marked=True))))
        return
    if not inv.private:
        markup = help_button(inv.context, t)
        await inv.reply(short_help(t, table, inv.is_admin), markup)
    else:
        await inv.reply(help_text(t, table, "private", False))


async def unknown_command(update: Update, context: Ctx) -> None:
    """A command the bot does not know (in groups: only when addressed to this bot); a
    command addressed to another bot is ignored everywhere."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0]
    name, _, target = word[1:].partition("@")
    ours = target.lower() == (context.bot.username or "").lower()
    if target and not ours:
        return  # addressed to another bot
    if is_group_chat(update) and not ours:
        return  # in a group, a command addressed to nobody in particular may be another bot's
    await reply(update, context, context.t("error.unknown_command", command="/" + excerpt(name)))


async def edited_command(update: Update, context: Ctx) -> None:
    """An edited command is not carried out again (it would act twice): say so, so the
    person sends the corrected command as a new message."""
    message = update.effective_message
    if message is None or not message.text:
        return
    name, _, target = message.text.split()[0][1:].partition("@")
    if target and target.lower() != (context.bot.username or "").lower():
        return
    if context.features.command(name.lower()) is not None:
        await reply(update, context, context.t("error.edited_command", command="/" + name.lower()))


async def stale_button(update: Update, context: Ctx) -> None:
    """A button no handler knows (from an old message): still answered, so the person's
    phone stops waiting."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.t.plain("error.stale_button"), show_alert=True)
