"""补录: recording what already happened. The words of ``/attendance n add @user … [2.5h]``
and ``/attendance n remove @user …``, the hours an admin may credit, and how far back an
activity may be recorded."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.parsing import ArgumentError

RECORD_DAYS = 90  # an activity may be recorded up to this many days after its day
MAX_NAMED = 50  # people named in one /attendance add or remove
MAX_HOURS = 24  # hours credited to one person for one activity, at most
MIN_MINUTES = 6  # … and at least (0.1 h: the least an hours column shows)

ADD_WORDS = frozenset({"add", "添加", "补录", "加"})
REMOVE_WORDS = frozenset({"remove", "删除", "移除", "去掉"})
_UNITS = r"h|hr|hrs|hour|hours|小时|个小时|钟头"
_HOURS = re.compile(rf"^(-?\d{{1,6}}(?:\.\d{{1,6}})?)({_UNITS})?$")
_UNIT = re.compile(rf"^(?:{_UNITS})$")


@dataclass(frozen=True)
class AttendanceChange:
    """What ``/attendance n add|remove …`` asks for: add or remove, the people named (as
    typed: ``@username`` or ``@id:<user id>``, each once, in order; none: the command
    replies to that person's message) and, for add, the minutes to credit (None: the
    activity's length)."""

    add: bool
    names: tuple[str, ...]
    minutes: int | None = None


def too_old(day: date, today: date) -> bool:
    """Whether an activity on ``day`` is further back than may be recorded."""
    return (today - day).days > RECORD_DAYS


def parse_hours(word: str) -> int | None:
    """``2.5h``, ``2.5小时``, ``２．５ｈ``, ``3`` → minutes; None for a word that is no
    number of hours; ArgumentError for hours not above 0 or above :data:`MAX_HOURS`."""
    match = _HOURS.match(unicodedata.normalize("NFKC", word).strip().lower())
    if match is None:
        return None
    hours = Decimal(match.group(1))
    minutes = int((hours * 60).to_integral_value())
    if not 0 < hours <= MAX_HOURS or minutes < MIN_MINUTES:
        raise ArgumentError("attendance.bad_hours", value=word, max=MAX_HOURS)
    return minutes


def parse_change(words: list[str]) -> AttendanceChange:
    """The words after the activity's number: ``add @a @b 2.5h`` or ``remove @a``
    (Chinese: 添加/补录, 删除/移除). ValueError (the usage line) for anything else;
    ArgumentError for hours out of range or too many people."""
    if not words:
        raise ValueError("add or remove is required")
    action = unicodedata.normalize("NFKC", words[0]).lower()
    if action not in ADD_WORDS | REMOVE_WORDS:
        raise ValueError(f"unknown action {words[0]!r}")
    names: list[str] = []
    minutes: int | None = None
    previous = ""
    for raw in words[1:]:
        word = unicodedata.normalize("NFKC", raw)
        if word.startswith("@") and len(word) > 1:
            if word.lower() not in (n.lower() for n in names):
                names.append(word)
        elif not (_UNIT.match(word.lower()) and _HOURS.match(previous)):  # "2.5 小时"
            found = parse_hours(word)
            if found is None or minutes is not None or action in REMOVE_WORDS:
                raise ValueError(f"unexpected {raw!r}")
            minutes = found
        previous = word.lower()
    if len(names) > MAX_NAMED:
        raise ArgumentError("attendance.too_many", count=len(names), max=MAX_NAMED)
    return AttendanceChange(action in ADD_WORDS, tuple(names), minutes)
