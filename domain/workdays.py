"""Which days are working days in mainland China: weekends and public holidays off,
adjusted working days (调休) on, from the chinese-calendar library; a year it does not
cover yet falls back to Monday–Friday."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)


def covers(year: int) -> bool:
    """Whether the calendar knows the holidays of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day: Monday–Friday unless a public holiday, plus the
    weekend days worked in exchange (调休). For a year the calendar does not cover,
    Monday–Friday (logged once per year)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_uncovered(day.year)
        return day.weekday() < 5


@cache
def _warn_uncovered(year: int) -> None:
    log.warning(
        "the holiday calendar does not cover %s yet: workdays are Monday to Friday "
        "(upgrade chinese-calendar)",
        year,
    )


def first_workday(year: int, month: int) -> date:
    """The month's first working day (Chinese public holidays and adjusted working days
    where the calendar knows the year, else Monday to Friday)."""
    day = date(year, month, 1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day
