"""Pure parsing helpers for command arguments (dates, times, on/off)."""

from __future__ import annotations

import re
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
