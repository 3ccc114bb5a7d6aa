"""Handler group -1: runs before every feature handler.

It drops updates that were already processed (a redelivery), follows a group's move to a
supergroup, records the chat and the person, refreshes the group's admins from Telegram
when the cached list is older than ten minutes, and picks the translator for the update.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Chat, ChatMemberAdministrator, ChatMemberOwner, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from domain.text import clean_line
from handlers.context import Ctx
from handlers.i18n import for_language, language_from_code
from storage.groups import GroupDefaults, ensure_group, get_group, migrate_group
from storage.members import (
    ADMIN_ROLES,
    PersonInfo,
    ensure_member,
    is_admin,
    set_admins,
    touch_membership,
)
from storage.models import Group
from storage.updates import is_processed, prune_stale, record_update

LAST = 100  # the handler group that runs after every feature

log = logging.getLogger(__name__)


def person(user: User) -> PersonInfo:
    """What storage keeps about a Telegram user: names cleaned of control and invisible
    characters and cut to the columns' sizes (Telegram's own limits are smaller)."""
    return PersonInfo(
        user_id=user.id,
        first_name=clean_line(user.first_name)[:128],
        last_name=clean_line(user.last_name)[:128] if user.last_name else None,
        username=user.username[:64] if user.username else None,
        language_code=user.language_code[:16] if user.language_code else None,
    )


def chat_title(chat: Chat) -> str:
    """A group's title as storage keeps it (cleaned, at most 255 characters)."""
    return clean_line(chat.title or "")[:255]


def group_defaults(context: Ctx) -> GroupDefaults:
    """Settings of a newly registered group, from config.toml."""
    cfg = context.config.bot
    return GroupDefaults(cfg.language, cfg.timezone, cfg.briefing_time, cfg.workdays_only)


async def register_update(update: Update, context: Ctx) -> None:
    """Record chat and person; skip redelivered updates; choose the language."""
    async with context.db.transaction() as session:
        if await is_processed(session, update.update_id):
            log.info("update %s was already processed; skipping it", update.update_id)
            raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not query.data:
        # python-telegram-bot hands a press without data to the first button handler,
        # whatever its pattern: answer it here as a button that no longer works
        await query.answer(context.t.plain("error.stale_button"), show_alert=True)
        raise ApplicationHandlerStop
    chat, user = update.effective_chat, update.effective_user
    now = context.clock.now()
    if chat is None:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await _refuse_anonymous(update, context)
        await _register_group_update(update, context, now)
    elif chat.type == ChatType.PRIVATE and user is not None and not user.is_bot:
        async with context.db.transaction() as session:
            context.member = await ensure_member(session, person(user), now)
        context.t = for_language(language_from_code(user.language_code))


async def _refuse_anonymous(update: Update, context: Ctx) -> None:
    """A message sent as the group (an anonymous admin) or as a channel has no person
    behind it to claim, report or be named: a command gets a clear reply, and nothing
    such a message says is acted on."""
    message = update.effective_message
    if message is None or message.sender_chat is None or update.callback_query is not None:
        return
    if message.migrate_from_chat_id or message.migrate_to_chat_id:
        return  # the group's own notice that it became a supergroup
    text = message.text or message.caption or ""
    if text.startswith("/"):
        target = text.split(maxsplit=1)[0].partition("@")[2].lower()
        if target in ("", (context.bot.username or "").lower()):
            chat = update.effective_chat
            group = None
            if chat is not None:
                async with context.db.transaction() as session:
                    group = await get_group(session, chat.id)
            t = for_language(group.language if group else context.config.bot.language)
            await message.reply_text(t("error.anonymous"))
    raise ApplicationHandlerStop


async def _register_group_update(update: Update, context: Ctx, now: datetime) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None
    async with context.db.transaction() as session:
        if message is not None and message.migrate_to_chat_id:
            await migrate_group(session, chat.id, message.migrate_to_chat_id, now)
            return
        if message is not None and message.migrate_from_chat_id:
            await migrate_group(session, message.migrate_from_chat_id, chat.id, now)
        group = await ensure_group(
            session, chat.id, chat_title(chat), chat.type, group_defaults(context), now
        )
        if user is not None and not user.is_bot:
            context.member = await ensure_member(session, person(user), now)
            membership = await touch_membership(session, group.id, user.id, now)
            context.sender_is_admin = membership.role in ADMIN_ROLES
        stale = (
            group.admins_refreshed_at is None
            or now - group.admins_refreshed_at >= context.bot_data.admins_ttl
        )
    if stale and group.active:
        group = await _refresh_admins(context, group, now) or group
        if user is not None:
            async with context.db.transaction() as session:
                context.sender_is_admin = await is_admin(session, group.id, user.id)
    context.group = group
    context.t = for_language(group.language)
    if user is not None and context.is_bot_admin(user.id):
        context.sender_is_admin = True


async def _refresh_admins(context: Ctx, group: Group, now: datetime) -> Group | None:
    """Ask Telegram for the group's admins and store their roles."""
    try:
        admins = await context.bot.get_chat_administrators(group.chat_id)
    except TelegramError as exc:
        log.warning("could not read the admins of chat %s: %s", group.chat_id, exc)
        return None
    listed = [
        (person(a.user), "creator" if isinstance(a, ChatMemberOwner) else "admin")
        for a in admins
        if isinstance(a, ChatMemberOwner | ChatMemberAdministrator) and not a.user.is_bot
    ]
    async with context.db.transaction() as session:
        fresh = await get_group(session, group.chat_id)
        if fresh is None:
            return None
        await set_admins(session, fresh, listed, now)
        return fresh


async def mark_processed(update: Update, context: Ctx) -> None:
    """After every handler: an update that wrote nothing (a list, a hint, a refusal
    shown without an exception) is recorded too, so its redelivery is silent."""
    if context.claimed:
        return
    async with context.db.transaction() as session:
        await record_update(session, update.update_id, context.clock.now())


async def housekeeping(context: Ctx) -> None:
    """Hourly: prune old processed-update ids, abandoned picks and drafts."""
    async with context.db.transaction() as session:
        await prune_stale(session, context.clock.now())


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the registry step in handler group -1 (before every feature), the
    "processed" mark after every feature, and the hourly housekeeping job."""
    app.add_handler(TypeHandler(Update, register_update), group=-1)
    app.add_handler(TypeHandler(Update, mark_processed), group=LAST)
    job_queue = app.job_queue
    assert job_queue is not None
    job_queue.run_repeating(housekeeping, interval=3600, first=60, name="housekeeping")
