"""Events — /hours: the group's volunteer-hours leaderboard (this month, this year, all
time, or one month), or one person's hours."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

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


def _start(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def month_period(year: int, month: int, zone: ZoneInfo) -> store.Period:
    """The calendar month in the group's time zone."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return store.Period(_start(date(year, month, 1), zone), _start(following, zone))


def year_period(year: int, zone: ZoneInfo) -> store.Period:
    """The calendar year in the group's time zone."""
    return store.Period(_start(date(year, 1, 1), zone), _start(date(year + 1, 1, 1), zone))


async def hours_command(inv: Invocation) -> None:
    """The volunteer-hours leaderboard, or one person's hours."""
    group, context, message = inv.group, inv.context, inv.message
    args = inv.args
    if len(args) > 1:
        raise UsageError("hours")
    word = args[0] if args else None
    zone = ZoneInfo(group.timezone)
    now = context.clock.now()
    today = now.astimezone(zone).date()
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
        period, heading = month_period(today.year, today.month, zone), _month(t, today)
    elif choice == "year":
        period = year_period(today.year, zone)
        heading = t("hours.title_year", year=today.year)
    elif choice == "all":
        period, heading = store.Period(), t("hours.title_all")
    else:
        match = MONTH.match(word or "")
        month = int(match.group(2)) if match else 0
        if match is None or not 1 <= month <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise UsageError("hours")
        day = date(int(match.group(1)), month, 1)
        period, heading = month_period(day.year, day.month, zone), _month(t, day)
    async with context.read() as session:
        board = await store.board(session, group.id, period, now)
    for chunk in render_board(t, heading, board):
        await inv.reply(chunk)


def _month(t: Translator, day: date) -> Html:
    return t("hours.title_month", year=day.year, month=day.month)


async def _person(inv: Invocation, member: Member, today: date, zone: ZoneInfo) -> None:
    group, context = inv.group, inv.context
    periods = [
        month_period(today.year, today.month, zone),
        year_period(today.year, zone),
        store.Period(),
    ]
    async with context.read() as session:
        month, year, ever = await store.person_minutes(
            session, group.id, member.user_id, periods, context.clock.now()
        )
    await inv.reply(render_person(inv.t, member.display_name, month, year, ever))
