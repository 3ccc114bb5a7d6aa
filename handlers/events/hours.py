"""Events — /hours: the group's volunteer-hours leaderboard (this month, this year, all
time, or one month), or one person's hours."""

from __future__ import annotations

import re
from datetime import date

from domain.calendar import Month, Period, local_date
from domain.errors import UsageError
from handlers.events.views import render_board, render_person
from handlers.i18n import Html, Translator
from handlers.invocation import Invocation
from handlers.people import named_person
from storage import hours as store
from storage.models import Member

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
WORDS = {
    "month": "month",
    "本月": "month",
    "year": "year",
    "今年": "year",
    "本年": "year",
    "all": "all",
    "全部": "all",
    "累计": "all",
    "me": "me",
    "我": "me",
    "我的": "me",
}


async def hours_command(inv: Invocation) -> None:
    """The volunteer-hours leaderboard, or one person's hours."""
    group, context, message = inv.group, inv.context, inv.message
    args = inv.args
    if len(args) > 1:
        raise UsageError("hours")
    word = args[0] if args else None
    zone = group.timezone
    now = context.clock.now()
    today = local_date(now, zone)
    t = inv.t
    choice = WORDS.get(word.lower()) if word else "month"
    if word is not None and word.startswith("@"):
        member = await named_person(context, group, message, word)
        if member is None:
            raise UsageError("hours")
        await _person(inv, member, today, zone)
        return
    if word is None and message is not None and message.reply_to_message is not None:
        member = await named_person(context, group, message, None)
        if member is not None:
            await _person(inv, member, today, zone)
            return
    if choice == "me":
        assert context.member is not None
        await _person(inv, context.member, today, zone)
        return
    if choice == "month":
        period, heading = Month(today.year, today.month, zone).period, _month(t, today)
    elif choice == "year":
        period = Period.of_year(today.year, zone)
        heading = t("hours.title_year", year=today.year)
    elif choice == "all":
        period, heading = Period(), t("hours.title_all")
    else:
        match = MONTH.match(word or "")
        month = int(match.group(2)) if match else 0
        if match is None or not 1 <= month <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise UsageError("hours")
        chosen = Month(int(match.group(1)), month, zone)
        period, heading = chosen.period, _month(t, chosen.first_day)
    async with context.read() as session:
        board = await store.board(session, group.id, period, now)
    for chunk in render_board(t, heading, board):
        await inv.reply(chunk)


def _month(t: Translator, day: date) -> Html:
    return t("hours.title_month", year=day.year, month=day.month)


async def _person(inv: Invocation, member: Member, today: date, zone: str) -> None:
    group, context = inv.group, inv.context
    periods = [
        Month(today.year, today.month, zone).period,
        Period.of_year(today.year, zone),
        Period(),
    ]
    async with context.read() as session:
        month, year, ever = await store.person_minutes(
            session, group.id, member.user_id, periods, context.clock.now()
        )
    await inv.reply(render_person(inv.t, member.display_name, month, year, ever))
