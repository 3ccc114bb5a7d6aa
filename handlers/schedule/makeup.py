"""From 1 November, while next year's makeup working days (调休) are not known from any
source, the group's admins are told once a week, privately, with the command that
enters them (the group has working days only: its briefings follow the calendar). The
week's ``deliveries`` key ``makeup:<group>:<year>:<Monday>`` is claimed in the
morning's transaction, so two sweeps or two processes send it once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain import slots
from domain.slots import Outcome
from domain.workdays import WorkCalendar, missing_makeup_year
from handlers.context import Ctx
from handlers.days import makeup_note
from handlers.i18n import for_person
from handlers.outbox import outgoing
from storage.members import group_admins
from storage.models import Group
from storage.outbox import enqueue
from storage.schedule import claim_slot


async def remind_makeup_days(
    session: AsyncSession,
    context: Ctx,
    group: Group,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
) -> None:
    """In the morning's transaction: the week's reminder to each admin who can be
    written to, while next year's makeup days are unknown (from 1 November)."""
    year = missing_makeup_year(calendar, today) if group.workdays_only else None
    if year is None:
        return
    key = slots.makeup_reminder(group.id, year, today)
    if not await claim_slot(session, key, group.id, Outcome.SENT, now):
        return
    for admin in await group_admins(session, group.id, context.config.bot.admins):
        if not admin.reachable:
            continue  # /briefing status and /settings say it too
        t = for_person(admin.language_code, group.language)
        text = makeup_note(t, year, group.title)
        message = outgoing(
            admin.user_id, text, bulk=True, key=f"{key}:{admin.user_id}", group_id=group.id
        )
        await enqueue(session, message, now)
