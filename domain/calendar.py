"""A group's calendar: its local days and months as UTC instants, and spans of time.

A group lives in one time zone (``Asia/Shanghai`` by default); the database keeps UTC.
Everything here turns the one into the other, given ``now`` by the caller (never read
from a clock here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def start_of(day: date, zone: str) -> datetime:
    """The first moment (local midnight) of ``day`` in the time zone ``zone``, in UTC."""
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def local_date(moment: datetime, zone: str) -> date:
    """The date ``moment`` falls on in the time zone ``zone``."""
    return moment.astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class Period:
    """From ``since`` (inclusive) to ``until`` (exclusive), UTC instants; None: unbounded
    on that side (``Period()`` is all time)."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of_year(cls, year: int, zone: str) -> Period:
        """The calendar year ``year`` in the time zone ``zone``."""
        return cls(start_of(date(year, 1, 1), zone), start_of(date(year + 1, 1, 1), zone))


@dataclass(frozen=True)
class Month:
    """A calendar month of a time zone (a group's): its days, and its UTC bounds."""

    year: int
    month: int
    zone: str

    def __post_init__(self) -> None:
        date(self.year, self.month, 1)  # a real month, or ValueError

    @classmethod
    def containing(cls, moment: datetime, zone: str) -> Month:
        """The month ``moment`` falls in, in the time zone ``zone``."""
        day = local_date(moment, zone)
        return cls(day.year, day.month, zone)

    def next(self) -> Month:
        """The month after (December → January of the next year)."""
        if self.month == 12:
            return Month(self.year + 1, 1, self.zone)
        return Month(self.year, self.month + 1, self.zone)

    def previous(self) -> Month:
        """The month before (January → December of the year before)."""
        if self.month == 1:
            return Month(self.year - 1, 12, self.zone)
        return Month(self.year, self.month - 1, self.zone)

    @property
    def label(self) -> str:
        """``YYYY-MM``, as people type it and as file names and keys carry it."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day (the 29th of a leap February)."""
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """The month's first moment (local midnight of its first day), in UTC."""
        return start_of(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        """The first moment of the month after, in UTC: the month ends just before."""
        return start_of(self.next().first_day, self.zone)

    @property
    def period(self) -> Period:
        """The month as a span of UTC time."""
        return Period(self.start, self.end)


@dataclass(frozen=True)
class Day:
    """A group's local day as UTC bounds: today's start, tomorrow's, the day after's, and
    the start of the month it falls in."""

    today: date
    start: datetime
    tomorrow: datetime
    after: datetime
    month_start: datetime

    @classmethod
    def of(cls, now: datetime, zone: str) -> Day:
        """The local day of ``now`` in the time zone ``zone``."""
        today = local_date(now, zone)
        return cls(
            today=today,
            start=start_of(today, zone),
            tomorrow=start_of(today + timedelta(days=1), zone),
            after=start_of(today + timedelta(days=2), zone),
            month_start=Month(today.year, today.month, zone).start,
        )
