"""Pure parsing helpers for command arguments: dates, times, switches, numbers,
percentages, /newtopic's options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from bot.config import parse_hhmm

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str) -> date | None:
    """``"2008-07-01"`` (also ``2008-7-1``) → a date; anything else → None."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


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


_OPTION = re.compile(r"(?<!\S)(due|slots)[:：]\s*(\S+)", re.IGNORECASE)
MAX_TITLE = 200
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
    title = " ".join(title.split())
    description = description.strip()
    if not title:
        raise ValueError("a title is required")
    if len(title) > MAX_TITLE:
        raise ArgumentError("error.title_too_long", max=MAX_TITLE)
    return NewTopic(title, description, due_on, slots)


_FULLWIDTH = str.maketrans("０１２３４５６７８９％＃", "0123456789%#")


def parse_int(text: str) -> int | None:
    """A positive or zero integer (full-width digits and a leading # allowed)."""
    cleaned = text.strip().translate(_FULLWIDTH).lstrip("#")
    return int(cleaned) if cleaned.isdigit() and cleaned.isascii() else None


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
