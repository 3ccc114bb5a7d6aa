"""/settings holiday and /settings holidays: the admins correct the holiday calendar
(days off, and the weekend days worked in exchange, 调休) when the State Council's notice
comes out, and see a year's days off and makeup days with where each comes from.

A group admin's correction is the group's; an installation admin's (``[bot] admins``),
sent in any group, is installation-wide: it applies to every group that has not
corrected the same day itself. Corrections take effect at the next sweep."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from domain.errors import InvalidValue, UsageError
from domain.kinds import DayKind
from domain.parsing import parse_day_range, parse_int
from domain.workdays import MAX_CORRECTED_DAYS, calendar_years
from handlers.common import split_message
from handlers.days import local_day
from handlers.general.views import render_holidays
from handlers.invocation import Invocation
from storage.calendar_days import correct_days, year_calendar

HOLIDAY_WORDS = ("holiday", "假日", "节假日")
HOLIDAYS_WORDS = ("holidays", "假日表", "节假日表")
KIND_WORDS: dict[str, DayKind | None] = {
    "off": DayKind.OFF,
    "休": DayKind.OFF,
    "休息": DayKind.OFF,
    "放假": DayKind.OFF,
    "work": DayKind.WORK,
    "班": DayKind.WORK,
    "上班": DayKind.WORK,
    "clear": None,
    "清除": None,
    "取消": None,
}


def _corrected_days(words: list[str], today: date) -> tuple[list[date], DayKind | None]:
    """The days ``/settings holiday <day>[..<day>] off|work|clear`` names and what they
    become (None: forget the correction); the usage line or the reason when they do not
    make sense."""
    if not 3 <= len(words) <= 5 or words[-1].lower() not in KIND_WORDS:
        raise UsageError("settings")
    span = parse_day_range(" ".join(words[1:-1]))  # "2027-02-05 .. 2027-02-11" too
    if span is None:
        raise UsageError("settings")
    first, last = span
    years = calendar_years(today)
    if first.year not in years or last.year not in years:
        raise InvalidValue("calendar.bad_year", first=years[0], last=years[-1], command="settings")
    count = (last - first).days + 1
    if count > MAX_CORRECTED_DAYS:
        raise InvalidValue("calendar.too_many_days", max=MAX_CORRECTED_DAYS, command="settings")
    return [first + timedelta(days=n) for n in range(count)], KIND_WORDS[words[-1].lower()]


async def correct_holidays(inv: Invocation) -> None:
    """``/settings holiday 2027-02-05..2027-02-11 off`` (or ``work``, ``clear``): the
    group's correction, or an installation admin's for every group."""
    context = inv.context
    now = context.clock.now()
    words = [unicodedata.normalize("NFKC", w).strip() for w in inv.args]
    days, kind = _corrected_days(words, local_day(inv.group, now))
    everywhere = inv.user_id in context.config.bot.admins
    async with context.transaction() as session:
        scope = None if everywhere else inv.group.id
        await correct_days(session, scope, days, kind, inv.user_id, now)
    shown = days[0].isoformat() + (f"..{days[-1].isoformat()}" if len(days) > 1 else "")
    what = inv.t.plain(f"calendar.kind.{kind.value if kind else 'clear'}")
    key = "calendar.saved_installation" if everywhere else "calendar.saved_group"
    await inv.reply(inv.t(key, days=shown, what=what, count=len(days)))


async def list_holidays(inv: Invocation) -> None:
    """``/settings holidays [YYYY]``: the year's days off and makeup working days, and
    where each comes from."""
    today = local_day(inv.group, inv.context.clock.now())
    if len(inv.args) > 2:
        raise UsageError("settings")
    year = parse_int(inv.args[1]) if len(inv.args) == 2 else today.year
    years = calendar_years(today)
    if year is None or year not in years:
        raise UsageError("settings")
    async with inv.context.read() as session:
        calendar = await year_calendar(session, inv.group.id, year)
    for page in split_message(render_holidays(inv.t, year, calendar.named_days(year))):
        await inv.reply(page)
