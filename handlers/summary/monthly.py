"""Last month's report, sent by the scheduler: on the first working day of each month,
with the group's morning, the report is written to the outbox once for each admin who
can be written to privately (``deliveries`` key ``summary:<group>:<YYYY-MM>``), and the
morning's briefing says so. The file itself is made when the first of those messages is
sent, and shared by the others (see :func:`report_file`).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain import slots as slot_keys
from domain.calendar import Month
from domain.schedule import report_due
from domain.slots import Outcome
from domain.workdays import WorkCalendar
from handlers.context import Ctx
from handlers.features import Attachment
from handlers.i18n import Html, for_language
from handlers.media import download_pending
from handlers.outbox import outgoing
from handlers.registry import admins_stale, refresh_admins
from handlers.summary import KIND, views
from handlers.summary.commands import Reports, make, report_path, slots
from handlers.summary.views import ReportNote
from storage.members import group_admins
from storage.models import Group
from storage.outbox import enqueue
from storage.schedule import claim_slot

FRESH = 600.0  # seconds: a file made this recently is sent again rather than remade


async def fresh_admins(
    context: Ctx, group: Group, today: date, now: datetime, calendar: WorkCalendar
) -> None:
    """Before a morning that sends last month's report: read the group's admins from
    Telegram if they are stale, so that the report goes to today's admins."""
    if not context.bot_data.options.monthly_reports:
        return
    due = report_due(today, group.created_at, group.timezone, calendar)
    if due and admins_stale(context, group, now):
        await refresh_admins(context, group, now)


async def monthly_report_line(
    session: AsyncSession,
    context: Ctx,
    group: Group,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
) -> Html | None:
    """In the morning's transaction: last month's report to the admins, when it is due
    (on the first working day of the group's ``calendar``); the briefing's line about it."""
    note = await queue_monthly_report(session, context, group, today, now, calendar)
    return views.report_line(for_language(group.language), note) if note is not None else None


async def queue_monthly_report(
    session: AsyncSession,
    context: Ctx,
    group: Group,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
) -> ReportNote | None:
    """On the first working day: last month's report to each admin privately, once (in
    the morning's transaction); what to say about it in the briefing."""
    reports = context.bot_data.options.monthly_reports
    month = report_due(today, group.created_at, group.timezone, calendar) if reports else None
    if month is None:
        return None
    key = slot_keys.monthly_report(group.id, month.label)
    if not await claim_slot(session, key, group.id, Outcome.SENT, now):
        return None
    t = for_language(group.language)
    note = ReportNote(month)
    for admin in await group_admins(session, group.id, context.config.bot.admins):
        if not admin.reachable:
            note.unreachable.append(admin)
            continue
        caption = t(
            "summary.caption.monthly", title=views.title(t, group, month), month=month.label
        )
        message = outgoing(
            admin.user_id,
            caption,
            bulk=True,
            key=f"{key}:{admin.user_id}",
            group_id=group.id,
            document=f"{KIND}:{month.label}",
        )
        await enqueue(session, message, now)
        note.sent.append(admin)
    return note


async def report_file(context: Ctx, spec: str, group_id: int | None) -> Attachment:
    """The outbox's maker of ``summary:<YYYY-MM>``: the group's report of that month,
    made once for all its admins (a file made in the last ten minutes is reused)."""
    if group_id is None:
        raise ValueError("a report belongs to a group")
    year, month_number = (int(part) for part in spec.split("-"))
    async with context.read() as session:
        group = await session.get(Group, group_id)
    if group is None:
        raise ValueError(f"group {group_id} is gone")
    month = Month(year, month_number, group.timezone)
    t = for_language(group.language)
    path = report_path(context.config.media.dir, group, t, month, "docx")
    name = views.filename(t, month, "docx")
    lock = context.bot_data.state(Reports).locks.setdefault(group.id, asyncio.Lock())
    async with lock:
        # the file's age on the application's clock: ``make`` stamps a file with the
        # moment it was made as of, on that clock
        if path.exists() and context.clock.now().timestamp() - path.stat().st_mtime < FRESH:
            return Attachment(path, name)
        async with slots(context.bot_data):
            await download_pending(context)  # photos that came moments ago
            made = await make(context.db, group, month, context.clock.now(), t, path, "docx")
    return Attachment(made.path, name)
