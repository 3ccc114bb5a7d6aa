"""A group's days: the date of a moment in the group's time zone, its working-day
calendar as the corrections make it, and the note shown while next year's makeup
working days are unknown (settings, /briefing status, the admins' weekly reminder)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.workdays import REMIND_FROM, WorkCalendar, missing_makeup_year
from handlers.i18n import Html, Translator
from storage.calendar_days import corrections
from storage.models import Group


def local_day(group: Group, moment: datetime) -> date:
    """The date of ``moment`` in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone)).date()


async def group_calendar(session: AsyncSession, group: Group, today: date) -> WorkCalendar:
    """The group's calendar as far as today and the note need it: today's corrections,
    and from November the days worked next year."""
    makeup = today.year + 1 if today.month >= REMIND_FROM else None
    found = await corrections(session, [group.id], today, today, makeup)
    return found.calendar(group.id)


def makeup_note(t: Translator, year: int, title: str | None = None) -> Html:
    """That ``year``'s makeup working days are unknown, and how to enter them (for the
    group ``title``, when said outside it)."""
    note = t("calendar.makeup_unknown", year=year)
    return t("calendar.makeup_reminder", group=title, note=note) if title else note


def calendar_note(t: Translator, group: Group, today: date, calendar: WorkCalendar) -> Html | None:
    """From 1 November, when the group has working days only and next year's makeup
    working days are not known: what to enter, and how."""
    year = missing_makeup_year(calendar, today) if group.workdays_only else None
    return makeup_note(t, year) if year is not None else None
