"""Pure parsing helpers for command arguments: dates, times, switches, numbers,
percentages, /newtopic's and /report's options."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

from domain.config import parse_hhmm
from domain.errors import InvalidValue
from domain.roads import RoadPlace, parse_place
from domain.text import LIMITS, clean_line, clean_note, is_blank

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str) -> date | None:
    """``"2008-07-01"`` (also ``2008-7-1``) → a date; anything else → None."""
    match = _DATE.fullmatch(unicodedata.normalize("NFKC", text).strip())  # ２０２６－１２－０１ too
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


_RANGE = re.compile(r"(.+?)\s*(?:\.{2,}|~|。。|至|到)\s*(.+)")


def parse_day_range(text: str) -> tuple[date, date] | None:
    """``"2027-02-05..2027-02-11"`` (also ``...``, ``……``, ``~``, ``至``, ``到``, with
    spaces or without; full-width as typed with a Chinese input method) or one day
    ``"2027-02-14"`` → the first and last day; anything else, or a range that ends
    before it starts → None."""
    normal = unicodedata.normalize("NFKC", text).strip()
    match = _RANGE.fullmatch(normal)
    first = parse_date(match.group(1) if match else normal)
    last = parse_date(match.group(2)) if match else first
    if first is None or last is None or last < first:
        return None
    return first, last


MAX_DAYS_AHEAD = 3653  # a due date or deadline more than ten years away is a typo


def future_date(text: str, today: date, command: str) -> date:
    """A due date or deadline typed for ``command``: a real date, not before ``today``
    and at most ten years ahead; otherwise the reason and the command's usage line."""
    day = parse_date(text)
    if day is None:
        raise InvalidValue("error.bad_date", value=text, command=command)
    check_future(day, today, command)
    return day


def check_future(day: date, today: date, command: str) -> None:
    """Refuse a due date or deadline in the past or more than ten years ahead."""
    if day < today:
        raise InvalidValue("error.date_past", value=day.isoformat(), command=command)
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidValue("error.date_far", value=day.isoformat(), years=10, command=command)


def parse_time(text: str) -> time | None:
    """``"07:30"`` → a time; anything else → None."""
    return parse_hhmm(text)


def parse_switch(text: str) -> bool | None:
    """``on``/``off`` (also 开/关, true/false, 1/0) → bool; anything else → None."""
    lowered = text.strip().lower()
    if lowered in ("on", "yes", "true", "1", "开", "开启", "是"):
        return True
    if lowered in ("off", "no", "false", "0", "关", "关闭", "否"):
        return False
    return None


_OPTION = re.compile(r"(?<!\S)(due|slots|截止|名额)[:：]\s*(\S+)", re.IGNORECASE)
_OPTION_NAMES = {"截止": "due", "名额": "slots"}  # the Chinese names of the options
MAX_TITLE = LIMITS["title"]
MAX_SLOTS = 50


class ArgumentError(ValueError):
    """An argument that does not parse; ``key`` is the catalog key of the reason."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class NewTopic:
    """What ``/newtopic <title> [| <description>] [due:YYYY-MM-DD] [slots:N]`` asks for."""

    title: str
    description: str = ""
    due_on: date | None = None
    slots: int = 1


def parse_newtopic(text: str) -> NewTopic:
    """Split /newtopic's arguments; raises ArgumentError (or ValueError when empty)."""
    due_on: date | None = None
    slots = 1
    for match in _OPTION.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        name = _OPTION_NAMES.get(name, name)
        if name == "due":
            due_on = parse_date(value)
            if due_on is None:
                raise ArgumentError("error.bad_date", value=value)
        else:
            number = parse_int(value)
            if number is None or not 1 <= number <= MAX_SLOTS:
                raise ArgumentError("error.bad_slots", value=value, max=MAX_SLOTS)
            slots = number
    rest = _OPTION.sub(" ", text)
    title, _, description = rest.partition("|")
    title = clean_line(title)
    if is_blank(title):
        raise ValueError("a title is required")
    if len(title) > MAX_TITLE:
        raise ArgumentError("error.title_too_long", max=MAX_TITLE)
    description = clean_note(description)
    if len(description) > LIMITS["description"]:
        raise ArgumentError("error.too_long", max=LIMITS["description"], length=len(description))
    return NewTopic(title, "" if is_blank(description) else description, due_on, slots)


_FULLWIDTH = str.maketrans("０１２３４５６７８９％＃", "0123456789%#")


MAX_NUMBER = 2**31 - 1  # the largest number any table stores (PostgreSQL's integer)
_MAX_DIGITS = 100  # a longer run of digits is no number anyone meant


def parse_int(text: str) -> int | None:
    """A positive or zero integer (full-width digits and a leading # allowed). It may be
    beyond :data:`MAX_NUMBER`: lookups answer "no such number" for those."""
    cleaned = text.strip().translate(_FULLWIDTH).lstrip("#")
    if not (cleaned.isdigit() and cleaned.isascii()) or len(cleaned) > _MAX_DIGITS:
        return None
    return int(cleaned)


def storable(number: int) -> bool:
    """Whether a number from a person fits the database (1 … :data:`MAX_NUMBER`)."""
    return 0 < number <= MAX_NUMBER


def parse_percent(text: str) -> int | None:
    """``"60%"`` (also ``60``, ``６０％``) → 60; outside 0-100 or not a number → None."""
    cleaned = text.strip().translate(_FULLWIDTH)
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    number = parse_int(cleaned)
    return number if number is not None and 0 <= number <= 100 else None


def progress_bar(percent: int, width: int = 10) -> str:
    """``60`` → ``▓▓▓▓▓▓░░░░ 60%``."""
    percent = max(0, min(100, percent))
    filled = round(percent * width / 100)
    return "▓" * filled + "░" * (width - filled) + f" {percent}%"


CATEGORIES = (
    "pothole",
    "crack",
    "guardrail",
    "signs",
    "drainage",
    "greenery",
    "debris",
    "bridge",
    "other",
)
CATEGORY_ALIASES = {
    "markings": "signs",
    "sign": "signs",
    "pollution": "debris",
    "坑槽": "pothole",
    "坑洞": "pothole",
    "裂缝": "crack",
    "护栏": "guardrail",
    "标志": "signs",
    "标线": "signs",
    "标志标线": "signs",
    "排水": "drainage",
    "绿化": "greenery",
    "杂物": "debris",
    "污染": "debris",
    "抛洒物": "debris",
    "桥梁": "bridge",
    "桥": "bridge",
    "其他": "other",
}
_REPORT_OPTION = re.compile(r"(?<!\S)(cat|sev|类别|等级)[:：]\s*(\S+)", re.IGNORECASE)


def parse_category(text: str) -> str | None:
    """``guardrail`` / ``护栏`` → ``guardrail``; unknown → None."""
    word = text.strip().lower()
    if word in CATEGORIES:
        return word
    return CATEGORY_ALIASES.get(word)


@dataclass(frozen=True)
class ReportArgs:
    """What ``/report [<road> <stake>[-<stake>]] <description> [cat:…] [sev:1-3]`` says."""

    place: RoadPlace | None
    description: str
    category: str = "other"
    severity: int = 2


def parse_report(text: str) -> ReportArgs:
    """Split /report's arguments. Raises StakeError for a malformed stake, ArgumentError
    for a bad category or severity, ValueError when there is no description."""
    category, severity = "other", 2
    for match in _REPORT_OPTION.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        if name in ("cat", "类别"):
            found = parse_category(value)
            if found is None:
                raise ArgumentError("error.bad_category", value=value)
            category = found
        else:
            level = parse_int(value)
            if level is None or not 1 <= level <= 3:
                raise ArgumentError("error.bad_severity", value=value)
            severity = level
    place, rest = parse_place(_REPORT_OPTION.sub(" ", clean_note(text)))
    description = clean_line(rest)
    if is_blank(description):
        raise ValueError("a description is required")
    if len(description) > LIMITS["issue"]:
        raise ArgumentError("error.too_long", max=LIMITS["issue"], length=len(description))
    return ReportArgs(place, description, category, severity)
