"""The calendar and the schedule's time rules, as pure functions: every moment is given,
none is read from a clock, and the machine's own time zone plays no part."""

from __future__ import annotations

import time as system_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import Day, Month, Period, local_date, start_of
from domain.schedule import (
    briefing_outcome,
    catch_up_until,
    event_marks,
    morning_has_come,
    report_due,
)
from domain.slots import Outcome
from domain.workdays import PLAIN, first_workday

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"


def at(zone: str, year: int, month: int, day: int, hour: int = 0, *rest: int) -> datetime:
    """A local moment of ``zone`` (``rest``: minutes and seconds)."""
    minute, second = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int = 0, *rest: int) -> datetime:
    """A UTC moment (``rest``: minutes and seconds)."""
    return at("UTC", year, month, day, hour, *rest)


@pytest.fixture(params=["UTC", "Pacific/Kiritimati", "America/Adak"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The machine's own time zone, set to one far from the groups' (UTC+14, UTC−10/−9)."""
    monkeypatch.setenv("TZ", request.param)
    system_time.tzset()
    yield request.param
    monkeypatch.undo()
    system_time.tzset()


# --- months ---------------------------------------------------------------------------


def test_months_roll_over_the_year() -> None:
    december = Month(2026, 12, SHANGHAI)
    assert december.next() == Month(2027, 1, SHANGHAI)
    assert Month(2027, 1, SHANGHAI).previous() == december
    assert Month(2026, 6, SHANGHAI).next() == Month(2026, 7, SHANGHAI)
    assert Month(2026, 6, SHANGHAI).previous() == Month(2026, 5, SHANGHAI)
    assert december.next().previous() == december


def test_a_month_is_a_real_month() -> None:
    for number in (0, 13):
        with pytest.raises(ValueError):
            Month(2026, number, SHANGHAI)


@pytest.mark.parametrize(
    ("year", "last"),
    [(2028, 29), (2027, 28), (2000, 29), (2100, 28)],
    ids=["leap", "common", "leap-400", "not-leap-100"],
)
def test_februarys_last_day(year: int, last: int) -> None:
    february = Month(year, 2, SHANGHAI)
    assert february.last_day == date(year, 2, last)
    assert february.end - february.start == timedelta(days=last)


def test_a_month_has_a_label_and_days() -> None:
    month = Month(2026, 1, SHANGHAI)
    assert month.label == "2026-01"
    assert Month(2026, 11, SHANGHAI).label == "2026-11"
    assert (month.first_day, month.last_day) == (date(2026, 1, 1), date(2026, 1, 31))


def test_a_month_in_shanghai_starts_at_local_midnight() -> None:
    month = Month(2026, 12, SHANGHAI)
    assert month.start == utc(2026, 11, 30, 16)
    assert month.end == utc(2026, 12, 31, 16)
    assert month.period == Period(month.start, month.end)


def test_a_month_in_new_york_across_daylight_saving() -> None:
    march = Month(2027, 3, NEW_YORK)  # clocks go forward on 14 March
    assert march.start == utc(2027, 3, 1, 5)  # EST, UTC−5
    assert march.end == utc(2027, 4, 1, 4)  # EDT, UTC−4
    assert march.end - march.start == timedelta(days=31, hours=-1)
    november = Month(2026, 11, NEW_YORK)  # clocks go back on 1 November, at 02:00
    assert november.start == utc(2026, 11, 1, 4)
    assert november.end == utc(2026, 12, 1, 5)
    assert november.end - november.start == timedelta(days=30, hours=1)


def test_the_month_of_a_moment_is_the_local_one(machine_zone: str) -> None:
    moment = utc(2026, 12, 31, 16, 30)  # already New Year's Day in Shanghai
    assert Month.containing(moment, SHANGHAI) == Month(2027, 1, SHANGHAI)
    assert Month.containing(moment, "UTC") == Month(2026, 12, "UTC")
    assert Month.containing(moment, SHANGHAI).previous() == Month(2026, 12, SHANGHAI)
    assert Month.containing(utc(2027, 1, 1, 4, 30), NEW_YORK) == Month(2026, 12, NEW_YORK)


# --- periods and days -----------------------------------------------------------------


def test_a_year_is_bounded_by_local_midnights() -> None:
    assert Period.of_year(2027, SHANGHAI) == Period(utc(2026, 12, 31, 16), utc(2027, 12, 31, 16))
    year = Period.of_year(2027, NEW_YORK)
    assert (year.since, year.until) == (utc(2027, 1, 1, 5), utc(2028, 1, 1, 5))
    assert Period() == Period(None, None)  # all time


def test_the_start_of_a_day() -> None:
    assert start_of(date(2027, 1, 1), SHANGHAI) == utc(2026, 12, 31, 16)
    assert start_of(date(2027, 3, 14), NEW_YORK) == utc(2027, 3, 14, 5)
    assert start_of(date(2027, 3, 15), NEW_YORK) == utc(2027, 3, 15, 4)
    assert local_date(utc(2026, 12, 31, 15, 59), SHANGHAI) == date(2026, 12, 31)
    assert local_date(utc(2026, 12, 31, 16), SHANGHAI) == date(2027, 1, 1)


def test_a_day_at_new_year_in_shanghai(machine_zone: str) -> None:
    day = Day.of(utc(2026, 12, 31, 16, 30), SHANGHAI)
    assert day == Day(
        today=date(2027, 1, 1),
        start=utc(2026, 12, 31, 16),
        tomorrow=utc(2027, 1, 1, 16),
        after=utc(2027, 1, 2, 16),
        month_start=utc(2026, 12, 31, 16),
    )


def test_a_leap_day(machine_zone: str) -> None:
    day = Day.of(utc(2028, 2, 28, 16), SHANGHAI)  # midnight of the 29th in Shanghai
    assert day.today == date(2028, 2, 29)
    assert day.tomorrow == start_of(date(2028, 3, 1), SHANGHAI)
    assert day.month_start == Month(2028, 2, SHANGHAI).start


def test_the_day_new_york_loses_an_hour() -> None:
    day = Day.of(at(NEW_YORK, 2027, 3, 14, 12), NEW_YORK)
    assert day.today == date(2027, 3, 14)
    assert day.tomorrow - day.start == timedelta(hours=23)
    assert day.after - day.tomorrow == timedelta(hours=24)


# --- working days and the monthly report ----------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "first"),
    [
        (2026, 10, date(2026, 10, 8)),  # National Day, 1–7 October
        (2025, 10, date(2025, 10, 9)),  # National Day with the Mid-Autumn Festival, 1–8
        (2025, 2, date(2025, 2, 5)),  # the Spring Festival, 28 January – 4 February
        (2026, 2, date(2026, 2, 2)),  # 1 February a Sunday; the Spring Festival comes later
        (2026, 1, date(2026, 1, 4)),  # New Year 1–3 January, the Sunday after worked (调休)
        (2026, 5, date(2026, 5, 6)),  # Labour Day, 1–5 May
        (2026, 12, date(2026, 12, 1)),  # a plain Tuesday
        (2031, 3, date(2031, 3, 3)),  # a year by rule: 1 March a Saturday
    ],
)
def test_the_first_working_day(year: int, month: int, first: date) -> None:
    assert first_workday(year, month, PLAIN) == first


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2026, 1, 3), None),  # still the New Year holiday
        (date(2026, 1, 4), Month(2025, 12, SHANGHAI)),  # December, across the year
        (date(2026, 1, 10), Month(2025, 12, SHANGHAI)),  # the sixth day after: made up
        (date(2026, 1, 11), None),  # a week after: too late
        (date(2026, 10, 7), None),
        (date(2026, 10, 8), Month(2026, 9, SHANGHAI)),
        (date(2028, 3, 1), Month(2028, 2, SHANGHAI)),  # after a leap February
    ],
)
def test_last_months_report_is_due_on_the_first_working_day(today: date, due: Month | None) -> None:
    assert report_due(today, utc(2025, 6, 1), SHANGHAI, PLAIN) == due


def test_no_report_for_a_month_the_group_was_not_here() -> None:
    today = date(2026, 10, 8)
    last_moment = at(SHANGHAI, 2026, 9, 30, 23, 59)
    assert report_due(today, last_moment, SHANGHAI, PLAIN) == Month(2026, 9, SHANGHAI)
    first_moment = at(SHANGHAI, 2026, 10, 1)  # still 30 September in UTC
    assert first_moment.astimezone(UTC).day == 30
    assert report_due(today, first_moment, SHANGHAI, PLAIN) is None


# --- the morning and its catch-up window ----------------------------------------------


@pytest.mark.parametrize(
    ("briefing", "until"),
    [
        (time(7, 30), time(12, 0)),
        (time(11, 59), time(12, 0)),
        (time(12, 0), time(14, 0)),  # from noon: two hours after
        (time(21, 59), time(23, 59)),
        (time(22, 0), time.max),  # never past the day's end
        (time(23, 30), time.max),
    ],
)
def test_the_catch_up_window(briefing: time, until: time) -> None:
    assert catch_up_until(briefing) == until


@pytest.mark.parametrize(
    ("local", "briefing", "outcome"),
    [
        (at(SHANGHAI, 2026, 12, 1, 7, 30), time(7, 30), Outcome.SENT),
        (at(SHANGHAI, 2026, 12, 1, 11, 59, 59), time(7, 30), Outcome.SENT),
        (at(SHANGHAI, 2026, 12, 1, 12), time(7, 30), Outcome.LATE),
        (at(SHANGHAI, 2026, 12, 1, 13, 59, 59), time(12), Outcome.SENT),
        (at(SHANGHAI, 2026, 12, 1, 14), time(12), Outcome.LATE),
        (at(SHANGHAI, 2026, 12, 1, 23, 59, 59), time(23), Outcome.SENT),
    ],
)
def test_a_briefing_is_sent_within_the_window(
    local: datetime, briefing: time, outcome: Outcome
) -> None:
    assert briefing_outcome(local, briefing, workdays_only=False, calendar=PLAIN) == outcome


def test_a_day_off_has_no_briefing_when_the_group_wants_working_days() -> None:
    national_day = at(SHANGHAI, 2026, 10, 1, 8)
    assert (
        briefing_outcome(national_day, time(7, 30), workdays_only=True, calendar=PLAIN)
        == Outcome.DAY_OFF
    )
    assert (
        briefing_outcome(national_day, time(7, 30), workdays_only=False, calendar=PLAIN)
        == Outcome.SENT
    )
    worked_saturday = at(SHANGHAI, 2026, 10, 10, 8)  # 调休
    assert (
        briefing_outcome(worked_saturday, time(7, 30), workdays_only=True, calendar=PLAIN)
        == Outcome.SENT
    )


def test_the_morning_comes_at_the_briefing_time_for_a_group_already_there() -> None:
    briefing = time(7, 30)
    arrived = utc(2026, 11, 1)
    assert not morning_has_come(at(SHANGHAI, 2026, 12, 1, 7, 29, 59), briefing, arrived)
    assert morning_has_come(at(SHANGHAI, 2026, 12, 1, 7, 30), briefing, arrived)
    joined = at(SHANGHAI, 2026, 12, 1, 7, 30)
    assert morning_has_come(at(SHANGHAI, 2026, 12, 1, 9), briefing, joined)
    later = joined + timedelta(seconds=1)  # joined after this morning's briefing time
    assert not morning_has_come(at(SHANGHAI, 2026, 12, 1, 9), briefing, later)
    assert morning_has_come(at(SHANGHAI, 2026, 12, 2, 7, 30), briefing, later)


# --- event reminders ------------------------------------------------------------------


STARTS = utc(2026, 12, 10, 1)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("before", "marks"),
    [
        (timedelta(hours=24) + SECOND, []),
        (timedelta(hours=24), ["24h"]),
        (timedelta(hours=1) + SECOND, ["24h"]),
        (timedelta(hours=1), ["1h"]),
        (timedelta(0), ["1h"]),
    ],
)
def test_event_reminders_fall_due(before: timedelta, marks: list[str]) -> None:
    created = STARTS - timedelta(days=7)
    assert event_marks(STARTS, created, STARTS - before) == marks


def test_an_event_created_late_has_no_earlier_reminder() -> None:
    created = STARTS - timedelta(hours=5)
    assert event_marks(STARTS, created, STARTS - timedelta(hours=2)) == []
    assert event_marks(STARTS, created, STARTS - timedelta(hours=1)) == ["1h"]
    assert event_marks(STARTS, STARTS - timedelta(minutes=30), STARTS) == []
