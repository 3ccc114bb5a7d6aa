"""The one place where errors become replies.

Domain refusals (:class:`domain.errors.UserError`) become localised replies; a redelivered
update is dropped quietly; anything else is logged with a short error id, and the person
gets an apology that quotes the id, so an admin can find the log line. Every error but
a refusal is counted by kind (``vanguard_errors_total`` in ``/metrics``).
"""

from __future__ import annotations

import logging
import secrets

from telegram import Update
from telegram.constants import ChatType
from telegram.error import ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application

from domain.errors import DuplicateUpdate, InvalidValue, PrivateOnly, UsageError, UserError
from domain.text import excerpt
from handlers.common import reply
from handlers.context import Ctx
from handlers.i18n import Html, Translator, for_language, language_from_code, plain_text
from handlers.private import chat_button
from storage.groups import get_group, migrate_group
from storage.updates import record_update

log = logging.getLogger(__name__)
QUOTE = 60  # characters of a bad value an error reply quotes back


def render_user_error(t: Translator, error: UserError) -> Html:
    """The localised text of a refusal (usage errors show the command's usage line)."""
    if isinstance(error, UsageError):
        return t("error.usage", usage=Html(t(f"usage.{error.command}")))
    params = {name: _quoted(value) for name, value in error.params.items()}
    if "kind" in params:
        params["kind"] = t.plain(f"kind.{params['kind']}")
    for name in [n for n in params if n.endswith("_key")]:
        params[name[: -len("_key")]] = t.plain(str(params.pop(name)))
    # a wrong value names its command for the usage line below; other refusals name
    # theirs in their own text ("/reopen 不带照片")
    command = params.pop("command", None) if isinstance(error, InvalidValue) else None
    text = t(error.key, **params)
    if command:
        text = Html(text + "\n" + t("error.usage", usage=Html(t(f"usage.{command}"))))
    return text


def _quoted(value: object) -> object:
    """A parameter as an error reply may quote it: text and huge numbers as an excerpt."""
    if isinstance(value, Html | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**12 else excerpt(value, QUOTE)
    return excerpt(value, QUOTE) if isinstance(value, str) else value


async def translator_for(update: Update, context: Ctx) -> Translator:
    """The translator of the chat the update came from (the error context is new)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        try:
            async with context.db.read() as session:
                group = await get_group(session, chat.id)
        except Exception:  # the database may be what failed
            group = None
        return for_language(group.language if group else context.config.bot.language)
    return for_language(language_from_code(user.language_code if user else None))


async def _mark_answered(update: Update, context: Ctx) -> None:
    """Record the update as processed, though nothing was written: its redelivery is then
    dropped by the registry step, so a refusal or an apology is given once."""
    try:
        async with context.write_unclaimed() as session:
            await record_update(session, update.update_id, context.clock.now())
    except Exception as exc:  # the database may be what failed
        log.warning("could not record update %s as answered: %s", update.update_id, exc)


async def on_error(update: object, context: Ctx) -> None:
    """Turn an exception raised while handling ``update`` into the right reply."""
    error = context.error
    if isinstance(error, DuplicateUpdate):
        log.info("%s; nothing written twice", error)
        return
    if isinstance(error, ChatMigrated) and isinstance(update, Update) and update.effective_chat:
        async with context.write_unclaimed() as session:
            await migrate_group(
                session, update.effective_chat.id, error.new_chat_id, context.clock.now()
            )
        log.info("chat %s moved to %s", update.effective_chat.id, error.new_chat_id)
        return
    if error is not None and not isinstance(error, UserError):
        context.bot_data.metrics.error(error)
    if isinstance(error, Forbidden):
        log.warning("Telegram refused a message: %s", error.message)
        return
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=error)
        return
    held = context.bot_data.settling.held
    if update.update_id in held and not isinstance(error, UserError):
        # the change was made but its answer not given: the stand-in says it was done
        context.bot_data.settling.owed.append(held.pop(update.update_id))
        if isinstance(error, TelegramError):  # the answer could not be sent: nothing broke
            log.warning("update %s: its answer failed (%s)", update.update_id, error)
            return
    await _mark_answered(update, context)
    t = await translator_for(update, context)
    markup = None
    if isinstance(error, PrivateOnly):
        markup = chat_button(context, t)
    if isinstance(error, UserError):
        text = render_user_error(t, error)
    else:
        error_id = secrets.token_hex(4)
        log.error("error %s while handling update %s", error_id, update.update_id, exc_info=error)
        text = t("error.internal", id=error_id)
    try:
        query = update.callback_query
        if query is not None:
            await query.answer(plain_text(text)[:200], show_alert=True)
        else:
            await reply(update, context, text, markup)
    except TelegramError as exc:
        log.warning("could not send the error reply: %s", exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the error handler."""
    app.add_error_handler(on_error)
