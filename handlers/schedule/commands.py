"""/briefing: today's briefing now — posted by an admin in the group, a private preview
for anyone else — and ``/briefing status`` for admins: the schedule, the last morning
and the messages that could not be sent."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import BadRequest, Forbidden

from domain.calendar import Day
from domain.errors import UsageError
from handlers.days import group_calendar, local_day
from handlers.i18n import for_language, language_from_code
from handlers.invocation import Invocation
from handlers.private import start_bot_button, unreachable
from handlers.schedule.views import render_briefing, render_status
from storage.briefing import briefing, since_last_briefing
from storage.members import get_member, members_by_id
from storage.schedule import failed_messages, last_handled, waiting_messages

FAILED_WINDOW = timedelta(days=7)  # how far back /briefing status shows failures
STATUS_WORDS = ("status", "状态")


async def briefing_command(inv: Invocation) -> None:
    """Today's briefing now: an admin in the group posts it there; anyone else (and
    anyone in private chat) gets a preview privately."""
    if inv.args and inv.args[0].lower() in STATUS_WORDS and len(inv.args) == 1:
        await _status(inv)
        return
    if inv.args:
        raise UsageError("briefing")
    now = inv.context.clock.now()
    group = inv.group
    day = Day.of(now, group.timezone)
    async with inv.context.read() as session:
        since = await since_last_briefing(session, group, now)
        content = await briefing(session, group.id, day, since, now)
        member = await get_member(session, inv.user_id)
    if inv.is_admin and not inv.private:
        for page in render_briefing(for_language(group.language), group, day.today, content):
            await inv.reply(page)
        return
    code = member.language_code if member is not None else None
    t = for_language(language_from_code(code)) if code else inv.t  # the reader's language
    pages = render_briefing(t, group, day.today, content, preview=True)
    if inv.private:
        for page in pages:
            await inv.reply(page)
        return
    try:
        for page in pages:
            await inv.context.bot.send_message(inv.user_id, page)
    except (Forbidden, BadRequest) as error:
        if not await unreachable(inv.context, inv.user_id, error):
            raise
        await inv.reply(
            inv.t("briefing.start_first"),
            start_bot_button(inv.context, inv.t),
        )
        return
    await inv.reply(inv.t("briefing.preview_sent"))


async def _status(inv: Invocation) -> None:
    """The schedule, the last morning, and what could not be sent lately (admins)."""
    inv.require_admin()
    now = inv.context.clock.now()
    async with inv.context.read() as session:
        calendar = await group_calendar(session, inv.group, local_day(inv.group, now))
        last = await last_handled(session, inv.group.id)
        waiting = await waiting_messages(session, inv.group.id)
        failed, total = await failed_messages(session, inv.group.id, now - FAILED_WINDOW)
        people = await members_by_id(session, {m.chat_id for m in failed if m.chat_id > 0})
    names = {uid: m.display_name for uid, m in people.items()}
    shown = render_status(inv.t, inv.group, now, last, waiting, failed, total, names, calendar)
    await inv.reply(shown)
