"""/members, people joining and leaving, and the bot being added to or removed from
a group (``my_chat_member``)."""

from __future__ import annotations

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType

from domain.errors import UsageError
from handlers.common import reply
from handlers.context import Ctx
from handlers.general.views import render_roster, short_help
from handlers.i18n import Html, escape, for_language
from handlers.invocation import Invocation
from handlers.private import chat_button, help_button
from handlers.registry import chat_title, group_defaults, person
from storage.groups import ensure_group, get_group, set_active
from storage.hours import minutes_by_person
from storage.issue_roster import open_assigned
from storage.members import ensure_member, leave_group, roster, touch_membership
from storage.models import full_name
from storage.topic_reads import claimed_by


async def members(inv: Invocation) -> None:
    """The group's roster: each person's role, topics held, open issues assigned and
    volunteer hours."""
    group, context = inv.group, inv.context
    if inv.args:
        raise UsageError("members")
    async with context.read() as session:
        rows = await roster(session, group.id)
        topics = await claimed_by(session, group.id)
        issues = await open_assigned(session, group.id)
        minutes = await minutes_by_person(session, group.id, context.clock.now())
    for chunk in render_roster(inv.t, rows, topics, issues, minutes):
        await inv.reply(chunk)


async def new_members(update: Update, context: Ctx) -> None:
    """Registers people who joined and greets them with a button to the private chat."""
    message = update.effective_message
    group = context.group
    if message is None or group is None:
        return
    people = [u for u in message.new_chat_members if not u.is_bot]
    if not people:
        return
    now = context.clock.now()
    async with context.transaction() as session:
        for user in people:
            await ensure_member(session, person(user), now)
            await touch_membership(session, group.id, user.id, now)
    names = context.t.plain("list.separator").join(
        escape(full_name(u.first_name, u.last_name)) for u in people
    )
    await reply(
        update,
        context,
        context.t("members.welcome", names=Html(names)),
        chat_button(context, context.t),
    )


async def member_left(update: Update, context: Ctx) -> None:
    """Records that a person left or was removed."""
    message = update.effective_message
    group = context.group
    if message is None or group is None or message.left_chat_member is None:
        return
    if message.left_chat_member.is_bot:
        return
    async with context.transaction() as session:
        await leave_group(session, group.id, message.left_chat_member.id, context.clock.now())


def _present(status: str) -> bool:
    return status in (
        ChatMember.MEMBER,
        ChatMember.ADMINISTRATOR,
        ChatMember.OWNER,
        ChatMember.RESTRICTED,
    )


async def bot_membership(update: Update, context: Ctx) -> None:
    """The bot was added to or removed from a group: keep the group row in step."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    was = _present(change.old_chat_member.status)
    now_in = _present(change.new_chat_member.status)
    now = context.clock.now()
    async with context.transaction() as session:
        group = await get_group(session, change.chat.id)
        if group is None:
            group = await ensure_group(
                session,
                change.chat.id,
                chat_title(change.chat),
                change.chat.type,
                group_defaults(context),
                now,
            )
        await set_active(session, group, now_in, now)
        if now_in and not was:
            adder = change.from_user
            if not adder.is_bot:
                await ensure_member(session, person(adder), now)
                await touch_membership(session, group.id, adder.id, now)
    if now_in and not was:
        t = for_language(group.language)
        text = Html(t("start.group") + "\n\n" + short_help(t, context.features.commands, False))
        await context.bot.send_message(change.chat.id, text, reply_markup=help_button(context, t))
