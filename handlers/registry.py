"""Handler group -1: runs before every feature handler.

It drops updates that were already processed (a redelivery), follows a group's move to a
supergroup, records the chat and the person, refreshes the group's admins from Telegram
when the cached list is older than ten minutes, and picks the translator for the update.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from storage.models import Group, Member, Membership
from storage.registry import Known, known
from storage.updates import prune_stale

LAST = 100  # the handler group that runs after every feature
ADMINS_RETRY = timedelta(minutes=1)  # after a failed admin-list read

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
    """Record chat and person; skip redelivered updates; choose the language.

    One read (one statement) tells whether the update was processed and whether
    anything must be written; usually nothing must (the group, the person and their
    membership are known and were seen within the hour)."""
    chat, user = update.effective_chat, update.effective_user
    user_id = user.id if user is not None and not user.is_bot else None
    async with context.db.read() as session:
        seen = await known(session, update.update_id, chat.id if chat else None, user_id)
    if seen.processed:
        log.info("update %s was already processed; skipping it", update.update_id)
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not query.data:
        # python-telegram-bot hands a press without data to the first button handler,
        # whatever its pattern: answer it here as a button that no longer works
        await query.answer(context.t.plain("error.stale_button"), show_alert=True)
        raise ApplicationHandlerStop
    now = context.clock.now()
    if chat is None:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await _refuse_anonymous(update, context)
        await _register_group_update(update, context, seen, now)
    elif chat.type == ChatType.PRIVATE and user is not None and not user.is_bot:
        context.member = seen.member
        if seen.member is None or _changed(seen.member, person(user)):
            async with context.write_unclaimed() as session:
                context.member = await ensure_member(session, person(user), now)
        context.t = for_language(language_from_code(user.language_code))


def _changed(member: Member, info: PersonInfo) -> bool:
    """Whether Telegram now shows the person differently from what is stored."""
    return (
        member.first_name != info.first_name
        or member.last_name != info.last_name
        or member.username != info.username
        or member.language_code != info.language_code
    )


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
                async with context.db.read() as session:
                    group = await get_group(session, chat.id)
            t = for_language(group.language if group else context.config.bot.language)
            await message.reply_text(t("error.anonymous"))
    raise ApplicationHandlerStop


async def _register_group_update(update: Update, context: Ctx, seen: Known, now: datetime) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    sender = person(user) if user is not None and not user.is_bot else None
    group, membership = seen.group, seen.membership
    if _changed_since(update, seen, sender, now):
        written = await _write_group(update, context, sender, seen, now)
        if written is None:
            return  # the group moved to a supergroup: its updates come from there now
        group, membership = written
    else:
        context.member = seen.member
    assert group is not None
    context.sender_is_admin = membership is not None and membership.role in ADMIN_ROLES
    if group.active and admins_stale(context, group, now):
        group = await refresh_admins(context, group, now) or group
        if user is not None:
            async with context.read() as session:
                context.sender_is_admin = await is_admin(session, group.id, user.id)
    context.group = group
    context.t = for_language(group.language)
    if user is not None and context.is_bot_admin(user.id):
        context.sender_is_admin = True


def _changed_since(update: Update, seen: Known, sender: PersonInfo | None, now: datetime) -> bool:
    """Whether the update brings something the stored rows lack: a moved group, a new
    group, title or chat type, a new or renamed person, or a membership to refresh."""
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None
    group = seen.group
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return True
    if group is None:
        return True
    if not seen.moved and (group.title != chat_title(chat) or group.chat_type != chat.type):
        return True  # (a press in the basic group it was says nothing of the group now)
    if sender is None:
        return False
    return seen.member is None or _changed(seen.member, sender) or not seen.membership_is_fresh(now)


async def _write_group(
    update: Update,
    context: Ctx,
    sender: PersonInfo | None,
    seen: Known,
    now: datetime,
) -> tuple[Group, Membership | None] | None:
    """Write the group (following a move to a supergroup), the person and their
    membership (as read, when there is no person); None when the group has just moved
    away. An update from the basic group a supergroup was is the supergroup's: it never
    registers a second copy of the group."""
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None
    membership = seen.membership
    async with context.write_unclaimed() as session:
        if message is not None and message.migrate_to_chat_id:
            await migrate_group(session, chat.id, message.migrate_to_chat_id, now)
            return None
        if message is not None and message.migrate_from_chat_id:
            await migrate_group(session, message.migrate_from_chat_id, chat.id, now)
        if seen.moved and seen.group is not None:
            group = seen.group
        else:
            group = await ensure_group(
                session, chat.id, chat_title(chat), chat.type, group_defaults(context), now
            )
        if sender is not None:
            context.member = await ensure_member(session, sender, now)
            membership = await touch_membership(session, group.id, sender.user_id, now)
    return group, membership


@dataclass
class AdminChecks:
    """When reading a group's admins from Telegram last failed, by chat id (a failing
    call is not repeated for every message)."""

    failed_at: dict[int, datetime] = field(default_factory=dict)


def admins_stale(context: Ctx, group: Group, now: datetime) -> bool:
    """Whether to ask Telegram for the admins: the stored list is older than the TTL, and
    no attempt failed within the last minute (a failing call is not repeated per message)."""
    refreshed = group.admins_refreshed_at
    if refreshed is not None and now - refreshed < context.bot_data.options.admins_ttl:
        return False
    failed = context.bot_data.state(AdminChecks).failed_at.get(group.chat_id)
    return failed is None or now - failed >= ADMINS_RETRY


async def refresh_admins(context: Ctx, group: Group, now: datetime) -> Group | None:
    """Ask Telegram for the group's admins and store their roles."""
    try:
        admins = await context.bot.get_chat_administrators(group.chat_id)
    except TelegramError as exc:
        log.warning("could not read the admins of chat %s: %s", group.chat_id, exc)
        context.bot_data.state(AdminChecks).failed_at[group.chat_id] = now
        return None
    context.bot_data.state(AdminChecks).failed_at.pop(group.chat_id, None)
    listed = [
        (person(a.user), "creator" if isinstance(a, ChatMemberOwner) else "admin")
        for a in admins
        if isinstance(a, ChatMemberOwner | ChatMemberAdministrator) and not a.user.is_bot
    ]
    async with context.write_unclaimed() as session:
        fresh = await get_group(session, group.chat_id)
        if fresh is None:
            return None
        await set_admins(session, fresh, listed, now)
        return fresh


async def mark_processed(update: Update, context: Ctx) -> None:
    """After every handler: an update that wrote nothing (a list, a hint, a refusal
    shown without an exception) is recorded too, so its redelivery is silent. The ids
    are kept until ``bot.runner.record_processed`` writes them in one go, which the delivery
    does before it tells Telegram that the updates are done."""
    if not context.claimed:
        context.bot_data.settling.unrecorded.append(update.update_id)
    owed = context.bot_data.settling.held.pop(update.update_id, None)
    if owed is not None:  # the answer went out: its stand-in is not needed
        context.bot_data.settling.answered.append(owed)


async def housekeeping(context: Ctx) -> None:
    """Hourly: prune old processed-update ids, abandoned picks and drafts."""
    async with context.write_unclaimed() as session:
        await prune_stale(session, context.clock.now())


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the registry step in handler group -1 (before every feature), the
    "processed" mark after every feature, and the hourly housekeeping job."""
    app.add_handler(TypeHandler(Update, register_update), group=-1)
    app.add_handler(TypeHandler(Update, mark_processed), group=LAST)
    job_queue = app.job_queue
    assert job_queue is not None
    job_queue.run_repeating(housekeeping, interval=3600, first=60, name="housekeeping")
