"""/summary [YYYY-MM] [xlsx]: the group's monthly work report (工作简报) as a Word
document, or its .xlsx appendix, sent to the admin who asked (in the group, or in
private chat after picking the group).

The file is made in the background (see ``make``): if it takes more than a moment the
admin is told it is on its way; one report per group at a time. The makers (python-docx,
openpyxl, Pillow) are imported when the first report is made, not at start.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import Update

from domain.calendar import Month, local_date
from domain.errors import Refused, UsageError
from handlers.context import BotData
from handlers.files import notice_unless_made, send_file
from handlers.i18n import Translator, for_language
from handlers.invocation import Invocation
from handlers.media import download_pending
from handlers.summary import views
from storage.db import Database
from storage.models import Group

if TYPE_CHECKING:
    from handlers.summary.make import Made

MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")
FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")  # typed with a Chinese IME
FORMATS = ("docx", "xlsx")
FIRST_YEAR = 2000
MAX_MAKING = 2  # reports made at once in one process


def parse_month(word: str, now: datetime, zone: str) -> Month | None:
    """``2026-11`` → that month of the group, if it is a real month from 2000 up to the
    current one; None otherwise."""
    found = MONTH.match(word.translate(FULL_WIDTH))
    if found is None:
        return None
    year, month = int(found[1]), int(found[2])
    today = local_date(now, zone)
    if not 1 <= month <= 12 or year < FIRST_YEAR or (year, month) > (today.year, today.month):
        return None
    return Month(year, month, zone)


def parse_args(args: list[str], now: datetime, zone: str) -> tuple[Month, str]:
    """The month (default: last month in the group's time zone) and the format (docx,
    or xlsx for the appendix); any other word, a second month or a month in the future
    is the usage line."""
    month: Month | None = None
    kind = "docx"
    seen_kind = False
    for word in args:
        lowered = word.lower()
        if lowered in FORMATS and not seen_kind:
            kind, seen_kind = lowered, True
            continue
        if month is not None:
            raise UsageError("summary")
        month = parse_month(word, now, zone)
        if month is None:
            raise UsageError("summary")
    return month or Month.containing(now, zone).previous(), kind


def report_path(media: Path, group: Group, t: Translator, month: Month, kind: str) -> Path:
    """Where a group's report file is written (the media directory's ``reports``)."""
    return media / str(group.id) / "reports" / views.filename(t, month, kind)


@dataclass
class Reports:
    """The groups whose /summary is being made, the slots that bound how many reports
    are made at once (created on first use: it needs the loop), and one lock per group
    so that a monthly report is made once for all its admins."""

    running: set[int] = field(default_factory=set)
    slots: asyncio.Semaphore | None = None
    locks: dict[int, asyncio.Lock] = field(default_factory=dict)


async def summary_command(inv: Invocation) -> None:
    """Admins get the month's work report as a Word document (``xlsx``: its appendix
    with charts), made in the background from the group's data."""
    inv.require_admin()
    now = inv.context.clock.now()
    month, kind = parse_args(inv.args, now, inv.group.timezone)
    t = for_language(inv.group.language)  # the group's document, in the group's language
    data = inv.context.bot_data
    reports = data.state(Reports)
    if inv.group.id in reports.running:
        raise Refused("summary.busy")
    # claimed before the work starts: the report may outlive this update, and a
    # redelivery must not make a second one
    # its answer is the file: no "done" stand-in may stand for a file never sent
    inv.context.acknowledged = True
    await inv.claim()
    reports.running.add(inv.group.id)
    path = report_path(inv.context.config.media.dir, inv.group, t, month, kind)
    update = inv.context.current_update
    made = asyncio.Event()
    task = inv.context.application.create_task(
        _make_and_send(inv, t, month, kind, path, now, made),
        update=update if isinstance(update, Update) else None,
        name=f"summary-{inv.group.id}",
    )
    task.add_done_callback(lambda _: reports.running.discard(inv.group.id))
    task.add_done_callback(_retrieve)  # its error, if any, was reported with the update
    notice = t("summary.working", month=month.label)
    await notice_unless_made(inv, task, made, data.options.notice_after.total_seconds(), notice)


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


def slots(data: BotData) -> asyncio.Semaphore:
    """The process's report-making slots (created on first use: it needs the loop)."""
    reports = data.state(Reports)
    if reports.slots is None:
        reports.slots = asyncio.Semaphore(MAX_MAKING)
    return reports.slots


async def make(
    db: Database, group: Group, month: Month, now: datetime, t: Translator, path: Path, kind: str
) -> Made:
    """Make the report file of this kind, as of ``now``. The file's modification time is
    set to ``now`` (the application's clock) so that its age (see
    ``monthly.report_file``) is measured on the same clock as the bot's time."""
    from handlers.summary.make import make_document, make_workbook

    maker = make_workbook if kind == "xlsx" else make_document
    made = await maker(db, group, month, now, t, path)
    os.utime(made.path, (now.timestamp(), now.timestamp()))
    return made


async def _make_and_send(
    inv: Invocation,
    t: Translator,
    month: Month,
    kind: str,
    path: Path,
    now: datetime,
    made: asyncio.Event,
) -> None:
    async with slots(inv.context.bot_data):
        await download_pending(inv.context)  # photos that came moments ago
        report = await make(inv.context.db, inv.group, month, now, t, path, kind)
    caption_key = "summary.caption.xlsx" if kind == "xlsx" else "summary.caption.docx"
    caption = t(caption_key, title=views.title(t, inv.group, month))  # HTML: title escaped
    await send_file(inv, t, report.path, report.size, caption, "summary.too_big", made)
