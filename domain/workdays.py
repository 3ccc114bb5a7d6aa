"""Which days are working days for a group in mainland China: weekends and public
holidays off, the weekend days worked in exchange (调休) on. Each year comes from the
best source that has it (:mod:`domain.holiday_sources`: chinese-calendar, the holidays
package, the statutory holidays by rule), and the admins' corrections win over every
source: a group's own first, then the installation's (``[bot] admins``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.holiday_sources import Source, year_days
from domain.kinds import DayKind

SEARCH_DAYS = 400  # a month whose days are all off looks no further for a working day


@dataclass(frozen=True)
class WorkCalendar:
    """A group's working days: the sources, and the corrections its admins (``own``) and
    the installation's admins (``installation``) made. The corrections held are those of
    the days the caller asked about (the sweep: this month so far); a day not held is
    taken from the sources."""

    own: Mapping[date, DayKind] = field(default_factory=dict)
    installation: Mapping[date, DayKind] = field(default_factory=dict)

    def decided(self, day: date) -> tuple[bool, Source] | None:
        """Whether ``day`` is worked, and who says so; None for a plain weekday or
        weekend day no source names."""
        for corrections, source in (
            (self.own, Source.GROUP),
            (self.installation, Source.INSTALLATION),
        ):
            kind = corrections.get(day)
            if kind is not None:
                return kind == DayKind.WORK, source
        days = year_days(day.year)
        if day in days.work:
            return True, days.source
        if day in days.off:
            return False, days.source
        return None

    def is_workday(self, day: date) -> bool:
        """Whether the group works on ``day``."""
        found = self.decided(day)
        return day.weekday() < 5 if found is None else found[0]

    def makeup_known(self, year: int) -> bool:
        """Whether the makeup working days of ``year`` are known: from a source with the
        year's notice, or from a correction that names a day worked in it."""
        if year_days(year).makeup_known:
            return True
        corrections = [*self.own.items(), *self.installation.items()]
        return any(kind == DayKind.WORK and day.year == year for day, kind in corrections)

    def named_days(self, year: int) -> list[tuple[date, bool, Source]]:
        """The year's days some source or correction names: each day off and day worked
        (weekend days that are simply off left out), with who says so, in order."""
        days = year_days(year)
        candidates = {*days.off, *days.work}
        candidates |= {d for d in (*self.own, *self.installation) if d.year == year}
        found = []
        for day in sorted(candidates):
            decided = self.decided(day)
            if decided is not None:
                found.append((day, *decided))
        return found


PLAIN = WorkCalendar()  # the sources alone, no corrections


def first_workday(year: int, month: int, calendar: WorkCalendar) -> date:
    """The month's first working day on the group's calendar."""
    day = date(year, month, 1)
    for _ in range(SEARCH_DAYS):
        if calendar.is_workday(day):
            return day
        day += timedelta(days=1)
    return day


REMIND_FROM = 11  # from 1 November, next year's makeup working days are asked for


def missing_makeup_year(calendar: WorkCalendar, today: date) -> int | None:
    """Next year, from 1 November on, while its makeup working days are not known (no
    source has its notice, no correction names a day worked in it); else None."""
    if today.month < REMIND_FROM or calendar.makeup_known(today.year + 1):
        return None
    return today.year + 1


MAX_CORRECTED_DAYS = 62  # days one /settings holiday may correct at once (two months)
YEARS_BACK, YEARS_AHEAD = 1, 10  # the years the calendar may be corrected and listed for


def calendar_years(today: date) -> range:
    """The years whose days may be corrected and listed: last year to ten years ahead."""
    return range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)
