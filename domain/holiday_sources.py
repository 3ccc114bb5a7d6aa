"""Where a year's days off and makeup working days (调休) come from, best first:

1. ``chinese-calendar``, for the years it covers (it has every State Council notice of
   those years: days off and the weekend days worked).
2. the ``holidays`` package's China calendar, for the years it keeps: those whose
   notice its tables list (``ChinaStaticHolidays.special_public_holidays``: each "day
   off, substituted from <a weekend day>" names a makeup working day), and the year
   after the last of them — its maintainers check the coming year before each year ends,
   and its holidays and observed days (补假, by the 2024 law's rule) are then the best
   word there is, though without makeup days until the notice is in (2027 in holidays
   0.108). It computes the same for any later year, which is no sign that it knows it:
   years further on are not taken from it.
3. the statutory holidays by rule (全国年节及纪念日放假办法, 2024): 元旦 1 January,
   春节 from 除夕 to 初三, 清明 (the solar term), 劳动节 1–2 May, 端午, 中秋, 国庆 1–3
   October, from the lunar calendar of ``lunar-python``; no makeup working days (they
   are known only from the notice: admins enter them, ``/settings holiday``).

Weekends are days off in every source, unless the source names them worked.

Each package is imported when a year is first asked of it, not at start (the holidays
package loads every country's calendar: some 300 modules and 15 MB).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lunar_python import Solar

log = logging.getLogger(__name__)


class Source(StrEnum):
    """Who says a day is off or worked."""

    CHINESE_CALENDAR = "chinese-calendar"
    HOLIDAYS = "holidays"
    RULE = "rule"
    GROUP = "group"  # the group's admins (``/settings holiday``)
    INSTALLATION = "installation"  # an admin of the whole installation ([bot] admins)


@dataclass(frozen=True)
class YearDays:
    """What one source says of a year: its named days off (holidays and days in lieu,
    whatever the weekday) and its weekend days worked."""

    year: int
    source: Source
    off: frozenset[date]
    work: frozenset[date]
    makeup_known: bool = True  # the notice is in: its makeup working days are known


@cache
def year_days(year: int) -> YearDays:
    """The year's days off and makeup working days from the best source that has it."""
    found = _from_chinese_calendar(year) or _from_holidays(year)
    if found is not None:
        return found
    log.warning(
        "no holiday calendar has the official days of %s: its days off are the statutory "
        "holidays by rule, with no makeup working days until an admin enters them "
        "(/settings holiday)",
        year,
    )
    return by_rule(year)


def _from_chinese_calendar(year: int) -> YearDays | None:
    import chinese_calendar
    from chinese_calendar import constants as chinese_days

    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return None
    off = frozenset(d for d in chinese_days.holidays if d.year == year)
    work = frozenset(d for d in chinese_days.workdays if d.year == year)
    return YearDays(year, Source.CHINESE_CALENDAR, off, work)


def _notices() -> dict[int, Any]:
    """The State Council notices the holidays package has, by year (its moved days)."""
    from holidays.countries.china import ChinaStaticHolidays

    found: dict[int, Any] = ChinaStaticHolidays.special_public_holidays
    return found


def _moved(entries: Any) -> list[tuple[int, ...]]:
    """A year's moved days as the package lists them: one entry, or a tuple of them."""
    return [entries] if entries and isinstance(entries[0], int) else list(entries)


def _from_holidays(year: int) -> YearDays | None:
    from holidays.countries.china import China

    notices = _notices()
    if year not in notices and year != max(notices, default=0) + 1:
        return None  # further on than its maintainers look: its days would be a guess
    off = frozenset(China(years=year).keys())  # type: ignore[no-untyped-call]
    work: set[date] = set()
    for listed in (year, year + 1):  # a notice may move a day of the year before
        for entry in _moved(notices.get(listed, ())):
            if len(entry) < 4 or not isinstance(entry[2], int):
                continue  # an extra day off, nothing worked for it
            worked = date(entry[4] if len(entry) > 4 else listed, entry[2], entry[3])
            if worked.year == year:
                work.add(worked)
    return YearDays(year, Source.HOLIDAYS, off, frozenset(work), makeup_known=year in notices)


def _solar(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    return _solar(Lunar.fromYmd(year, month, day).getSolar())


def qingming(year: int) -> date:
    """清明, the solar term (4 or 5 April)."""
    from lunar_python import Solar

    return _solar(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])


def by_rule(year: int) -> YearDays:
    """The statutory holidays of ``year`` by rule, with no makeup working days."""
    new_year = _lunar(year, 1, 1)
    off = {
        date(year, 1, 1),
        *(new_year + timedelta(days=n) for n in range(-1, 3)),  # 除夕 to 初三
        qingming(year),
        date(year, 5, 1),
        date(year, 5, 2),
        _lunar(year, 5, 5),  # 端午
        _lunar(year, 8, 15),  # 中秋
        *(date(year, 10, n) for n in (1, 2, 3)),
    }
    return YearDays(
        year, Source.RULE, frozenset(d for d in off if d.year == year), frozenset(), False
    )
