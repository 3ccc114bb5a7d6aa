"""The once-only keys of what the bot says on its own. Each morning, briefing, reminder,
greeting, monthly report and stand-in acknowledgement is written under one of these keys
(in ``deliveries`` or the outbox), so that two sweeps, a restart or a second process
send it once. The keys are built here and only here; none is ever read back apart."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a slot (a group's morning, a reminder, a report)."""

    SENT = "sent"  # written to the outbox
    LATE = "late"  # the bot came back after the catch-up window: skipped, logged
    DAY_OFF = "day_off"  # workdays only, and this is a weekend or a public holiday


def morning(group_id: int, day: date) -> str:
    """The group's morning on ``day`` (whatever became of it)."""
    return f"morning:{group_id}:{day.isoformat()}"


def mornings(group_id: int) -> tuple[str, str]:
    """The bounds of the group's morning keys (from inclusive, to exclusive): every
    ``morning(group_id, …)`` sorts between them, no other key does."""
    return f"morning:{group_id}:", f"morning:{group_id};"


def briefing(group_id: int, day: date) -> str:
    """The group's briefing message on ``day`` (its morning when it went out)."""
    return f"briefing:{group_id}:{day.isoformat()}"


def briefings(group_id: int) -> tuple[str, str]:
    """The bounds of the group's briefing keys, as :func:`mornings`."""
    return f"briefing:{group_id}:", f"briefing:{group_id};"


def deadlines(group_id: int, day: date, user_id: int | None = None) -> str:
    """The day's deadline reminder of one person, or (``user_id`` None) the group's note
    naming those who could not be reminded privately."""
    group_day = f"deadlines:{group_id}:{day.isoformat()}"
    return group_day if user_id is None else f"{group_day}:{user_id}"


def birthday(user_id: int, day: date) -> str:
    """A person's political-birthday greeting on ``day``."""
    return f"birthday:{user_id}:{day.isoformat()}"


def event_reminder(event_id: int, mark: str) -> str:
    """An event's reminder ``mark`` ("24h", "1h") before it starts."""
    return f"event:{event_id}:{mark}"


def monthly_report(group_id: int, month: str) -> str:
    """The group's report of ``month`` ("2026-11") to its admins."""
    return f"summary:{group_id}:{month}"


def acknowledgement(chat_id: int, message_id: int) -> str:
    """The stand-in answer to a command, sent if its own answer dies with the process."""
    return f"ack:{chat_id}:{message_id}"


def makeup_reminder(group_id: int, year: int, today: date) -> str:
    """The week's reminder to the group's admins that ``year``'s makeup working days are
    not known yet (the week named by its Monday)."""
    monday = today - timedelta(days=today.weekday())
    return f"makeup:{group_id}:{year}:{monday.isoformat()}"
