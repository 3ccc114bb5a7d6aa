"""Last month's report, sent by the scheduler: on the first working day of each month,
with the group's morning, the report is written to the outbox once for each admin who
can be written to privately (``deliveries`` key ``summary:<group>:<YYYY-MM>``), and the
morning's briefing says so. The file itself is made when the first of those messages is
sent, and shared by the others (see :func:`report_file`).
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain import slots as slot_keys
from domain.slots import Outcome
from domain.workdays import is_workday
from handlers.context import Attachment, Ctx
from handlers.i18n import for_language
from handlers.media import download_pending
from handlers.outbox import outgoing
from handlers.summary import views
from handlers.summary.commands import make, report_path, slots
from handlers.summary.views import ReportNote
from storage.members import group_admins
from storage.models import Group
from storage.outbox import enqueue
from storage.schedule import claim_slot
from storage.summary import Month

KIND = "summary"  # outbox.document: "summary:2026-11"
LATE_DAYS = 7  # a first working day missed (the bot was down) is made up this long after
FRESH = 600.0  # seconds: a file made this recently is sent again rather than remade


def first_workday(year: int, month: int) -> date:
    """The month's first working day (Chinese public holidays and adjusted working days
    where the calendar knows the year, else Monday to Friday)."""
    day = date(year, month, 1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def report_due(group: Group, today: date) -> Month | None:
    """Last month, when ``today`` is the first working day of this month (or one of the
    few days after, for a morning the bot missed) and the group was here before this
    month began; else None."""
    first = first_workday(today.year, today.month)
    if not first <= today < first + timedelta(days=LATE_DAYS):
        return None
    zone = ZoneInfo(group.timezone)
    if group.created_at.astimezone(zone).date() >= today.replace(day=1):
        return None  # the group has no last month here
    last = today.replace(day=1) - timedelta(days=1)
    return Month.of(last.year, last.month, group.timezone)


async def queue_monthly_report(
    session: AsyncSession, context: Ctx, group: Group, today: date, now: datetime
) -> ReportNote | None:
    """On the first working day: last month's report to each admin privately, once (in
    the morning's transaction); what to say about it in the briefing."""
    month = report_due(group, today) if context.bot_data.monthly_reports else None
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
    month = Month.of(year, month_number, group.timezone)
    t = for_language(group.language)
    path = report_path(context.config.media.dir, group, t, month, "docx")
    name = views.filename(t, month, "docx")
    lock = context.bot_data.report_locks.setdefault(group.id, asyncio.Lock())
    async with lock:
        # (the file's age: the file system's own time, not the application's clock)
        if path.exists() and time.time() - path.stat().st_mtime < FRESH:
            return Attachment(path, name)
        async with slots(context.bot_data):
            await download_pending(context)  # photos that came moments ago
            made = await make(context.db, group, month, context.clock.now(), t, path, "docx")
    return Attachment(made.path, name)
