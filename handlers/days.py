"""A group's days: the date of a moment in the group's time zone, and the note shown
when its working-day calendar does not cover a year (settings, the morning briefing)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.workdays import covers
from handlers.i18n import Html, Translator
from storage.models import Group


def local_day(group: Group, moment: datetime) -> date:
    """The date of ``moment`` in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone)).date()


def calendar_note(t: Translator, group: Group, today: date) -> Html | None:
    """A warning when workdays are on and the holiday calendar does not cover this
    year (Monday–Friday is used)."""
    if group.workdays_only and not covers(today.year):
        return t("settings.calendar_uncovered", year=today.year)
    return None
