"""The words of /newevent: ``<type> <YYYY-MM-DD> <HH:MM>[-HH:MM] <title> [@ <place>]
[cap:N] [geo:lat,lon] [walkin]``, in English or Chinese."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain.geo import valid_position
from domain.kinds import EventType
from domain.parsing import MAX_TITLE, ArgumentError, parse_date, parse_int, parse_time
from domain.text import LIMITS, clean_line, is_blank

EVENT_TYPE_WORDS: dict[str, EventType] = {
    **{kind.value: kind for kind in EventType},
    "党课": EventType.LESSON,
    "谈心谈话": EventType.TALK,
    "谈心": EventType.TALK,
    "学习园地": EventType.STUDY,
    "学习": EventType.STUDY,
    "志愿服务": EventType.VOLUNTEER,
    "志愿": EventType.VOLUNTEER,
    "参观教育基地": EventType.VISIT,
    "教育基地参观": EventType.VISIT,
    "参观": EventType.VISIT,
    "支部会议": EventType.MEETING,
    "会议": EventType.MEETING,
}
MAX_CAP = 1000  # people at one event

_OPTION = re.compile(r"(?<!\S)(cap|geo|人数|位置)[:：]\s*(\S+)", re.IGNORECASE)
_WALK_IN = re.compile(r"(?<!\S)(?:walkin|walk-in|现场报名)(?!\S)", re.IGNORECASE)
_TIMES = re.compile(r"^(\d{1,2}[:：]\d{2})(?:\s*[-–~～至]\s*(\d{1,2}[:：]\d{2}))?$")
# "@ 明翠社区", "@明翠社区": a place; "@wang_shuji" (a mention) stays in the title
_PLACE = re.compile(r"\s[@＠](?:\s+|(?=[^\x00-\x7f]))")


@dataclass(frozen=True)
class NewEvent:
    """What /newevent asks for."""

    kind: EventType
    day: date
    start: time
    end: time | None
    title: str
    place: str = ""
    cap: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    walk_in: bool = False


def event_type(word: str) -> EventType | None:
    """``lesson``/``党课`` … → the event type; anything else → None."""
    return EVENT_TYPE_WORDS.get(word.strip().lower())


def parse_times(text: str) -> tuple[time, time | None]:
    """``19:00`` or ``19:00-21:00`` → (start, end); ArgumentError otherwise (an end
    not after the start included)."""
    match = _TIMES.match(unicodedata.normalize("NFKC", text).strip())  # ０９：００－１１：００ too
    start = parse_time(match.group(1).replace("：", ":")) if match else None
    if match is None or start is None:
        raise ArgumentError("error.bad_time", value=text)
    if match.group(2) is None:
        return start, None
    end = parse_time(match.group(2).replace("：", ":"))
    if end is None:
        raise ArgumentError("error.bad_time", value=text)
    if end <= start:
        raise ArgumentError("error.time_order", value=text)
    return start, end


def parse_newevent(text: str) -> NewEvent:
    """Split /newevent's arguments; raises ArgumentError for a value that does not
    parse, ValueError when the type, date, time or title is missing."""
    options: dict[str, str] = {}
    for match in _OPTION.finditer(text):
        options[match.group(1).lower()] = match.group(2)
    walk_in = _WALK_IN.search(text) is not None
    rest = _WALK_IN.sub(" ", _OPTION.sub(" ", text)).split(maxsplit=3)
    if len(rest) < 4:
        raise ValueError("type, date, time and title are required")
    kind = event_type(rest[0])
    if kind is None:
        raise ArgumentError("error.bad_event_type", value=rest[0])
    day = parse_date(rest[1])
    if day is None:
        raise ArgumentError("error.bad_date", value=rest[1])
    start, end = parse_times(rest[2])
    parts = _PLACE.split(" " + rest[3], maxsplit=1)
    title = clean_line(parts[0])
    place = clean_line(parts[1]) if len(parts) > 1 else ""
    if is_blank(title):
        raise ValueError("a title is required")
    if len(title) > MAX_TITLE:
        raise ArgumentError("error.title_too_long", max=MAX_TITLE)
    if len(place) > LIMITS["title"]:
        raise ArgumentError("error.too_long", max=LIMITS["title"], length=len(place))
    cap = _cap(options.get("cap") or options.get("人数"))
    latitude, longitude = _geo(options.get("geo") or options.get("位置"))
    return NewEvent(kind, day, start, end, title, place, cap, latitude, longitude, walk_in)


def _cap(value: str | None) -> int | None:
    if value is None:
        return None
    number = parse_int(value)
    if number is None or not 1 <= number <= MAX_CAP:
        raise ArgumentError("error.bad_cap", value=value, max=MAX_CAP)
    return number


def _geo(value: str | None) -> tuple[float | None, float | None]:
    if value is None:
        return None, None
    latitude, _, longitude = value.replace("，", ",").partition(",")
    try:
        position = float(latitude), float(longitude)
    except ValueError:
        raise ArgumentError("error.bad_geo", value=value) from None
    if not valid_position(*position):
        raise ArgumentError("error.bad_geo", value=value)
    return position


DEFAULT_LENGTH = timedelta(hours=2)  # an event given without an end time
# no event lasts longer: it ends on the day it starts (a day lasts 25 hours at most,
# across a clock change) or DEFAULT_LENGTH after its start; the upcoming list relies on
# it (an event not yet ended started less than this long ago)
LONGEST = timedelta(hours=25)
EARLY_CHECKIN = timedelta(minutes=30)  # check-in opens this long before the start
EXTRA_CREDIT = timedelta(hours=1)  # hours are capped at the event's length plus this
LATE_CHECKOUT = timedelta(hours=1)  # check-out is taken until this long after the end


def checkin_opens(starts_at: datetime) -> datetime:
    """When check-in to an event starting at ``starts_at`` opens."""
    return starts_at - EARLY_CHECKIN


def credited_minutes(
    checked_in: datetime, checked_out: datetime | None, starts_at: datetime, ends_at: datetime
) -> int:
    """The minutes a person is credited with: check-out − check-in, or until the end
    without a check-out; never below zero, never above the event's length plus an
    hour."""
    until = checked_out if checked_out is not None else ends_at
    cap = ends_at - starts_at + EXTRA_CREDIT
    spent = min(max(until - checked_in, timedelta(0)), cap)
    return int(spent.total_seconds() // 60)


def _tenths(minutes: int) -> Decimal:
    """Minutes as whole tenths of an hour, halves rounded up."""
    return (Decimal(minutes) / 6).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def hours_text(minutes: int) -> str:
    """Minutes as hours with one decimal, halves rounded up: 150 → ``2.5``, 153 → ``2.6``
    (2.55 h), 147 → ``2.5`` (2.45 h)."""
    return str((_tenths(minutes) / 10).quantize(Decimal("0.1")))


def hours_total_text(minutes: Iterable[int]) -> str:
    """The total of rows shown with :func:`hours_text`, as the sum of what they show
    (each row rounded once): a sheet's total always equals its rows added up."""
    total = sum((_tenths(m) for m in minutes), Decimal(0))
    return str((total / 10).quantize(Decimal("0.1")))
