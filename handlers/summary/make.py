"""Making a monthly report file: the month is read from the database a page at a time,
each page in its own short read, and laid out by a worker thread (python-docx or
openpyxl, and the photos scaled down), so the event loop keeps serving every other chat
while a report of thousands of issues is made, and memory holds one page of rows.

At most ``commands.MAX_MAKING`` reports are made at once in a process, whoever asks (an
admin's /summary, the first-working-day delivery).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.calendar import Month
from handlers.i18n import Translator
from handlers.summary import appendix, views
from handlers.summary.document import ISSUE_WIDTHS, Draft
from handlers.summary.workbook import Appendix
from storage.db import Database
from storage.hours import BoardLine
from storage.issue_reads import IssueDetail
from storage.models import Group, Member
from storage.summary import PAGE, Overview, birthdays, leaderboard, overview
from storage.summary_events import EventEntry, event_page
from storage.summary_issues import (
    Overdue,
    WeekCount,
    issue_ids,
    issue_page,
    issue_weeks,
    overdue,
    verified_pairs,
)
from storage.summary_topics import TopicEntry, topic_page

log = logging.getLogger(__name__)

ISSUE_PAGE = 500  # issues read (with their history and photos) at once
TABLE_ROWS = 3000  # issues in the document's table (a Word table past that helps nobody)


@dataclass(frozen=True)
class Made:
    """A report file and what went into it."""

    path: Path
    size: int
    pictures: int = 0
    missing: int = 0


class MonthReader:
    """The group's month, read a page at a time (each page its own short read)."""

    def __init__(self, db: Database, group: Group, month: Month, now: datetime) -> None:
        self.db, self.group, self.month, self.now = db, group, month, now

    async def topics(self) -> AsyncIterator[list[TopicEntry]]:
        """The topics worked on in the month, a page at a time."""
        after = 0
        while True:
            async with self.db.read(heavy=True) as session:
                page = await topic_page(session, self.group.id, self.month, after, PAGE)
            if not page:
                return
            yield page
            after = page[-1].topic.number

    async def issues(self, ids: list[int]) -> AsyncIterator[list[IssueDetail]]:
        """The month's issues in the list's order, a page at a time."""
        for start in range(0, len(ids), ISSUE_PAGE):
            async with self.db.read(heavy=True) as session:
                yield await issue_page(session, ids[start : start + ISSUE_PAGE])

    async def events(self) -> AsyncIterator[list[EventEntry]]:
        """The events held in the month, a page at a time."""
        after: tuple[datetime, int] | None = None
        while True:
            async with self.db.read(heavy=True) as session:
                page = await event_page(session, self.group.id, self.month, self.now, after, PAGE)
            if not page:
                return
            yield page
            after = (page[-1].event.starts_at, page[-1].event.id)


def _subtitle(t: Translator, group: Group, now: datetime) -> str:
    made = now.astimezone(ZoneInfo(group.timezone)).strftime("%Y-%m-%d %H:%M")
    return t.plain("summary.subtitle", made=made)


@dataclass(frozen=True)
class _Read:
    """What a report reads of the month in one short read (the long lists come in
    pages, through :class:`MonthReader`)."""

    numbers: Overview
    ids: list[int]  # the month's issues, in the list's order
    late: list[Overdue]
    late_total: int
    board: list[BoardLine]
    anniversaries: list[tuple[Member, int]]
    pairs: list[IssueDetail]  # read for the document
    weeks: list[WeekCount]  # read for the workbook


async def _read(
    db: Database, group: Group, month: Month, now: datetime, *, document: bool
) -> _Read:
    """The month's numbers, issue ids, overdue issues, leaderboard and birthdays, and
    the before/after pairs (for the ``document``) or the weekly counts (the workbook)."""
    async with db.read(whole=True, heavy=True) as session:  # weekly counts: streamed
        numbers = await overview(session, group.id, month, now)
        ids = await issue_ids(session, group.id, month)
        pairs = await verified_pairs(session, group.id, month) if document else []
        weeks = [] if document else await issue_weeks(session, group.id, month, group.timezone)
        late, late_total = await overdue(session, group.id, month, now, group.timezone)
        board = await leaderboard(session, group.id, month, now)
        anniversaries = await birthdays(session, group.id, month)
    return _Read(numbers, ids, late, late_total, board, anniversaries, pairs, weeks)


class _Sections:
    """The document's sections, numbered in the order they open; each opens once, at
    its first content (a section with nothing in it is left out)."""

    def __init__(self, t: Translator, draft: Draft) -> None:
        self.t, self.draft = t, draft
        self.opened: list[str] = []

    def open(self, key: str) -> None:
        """Open the section ``key`` (``summary.section.<key>``) unless it is open."""
        if key not in self.opened:
            self.opened.append(key)
            heading = views.section_heading(self.t, len(self.opened), f"summary.section.{key}")
            self.draft.section(heading)


async def make_document(
    db: Database, group: Group, month: Month, now: datetime, t: Translator, path: Path
) -> Made:
    """Write the month's report as a Word document at ``path``: 概况, 领题解题,
    自查问题清单, 组织生活与志愿服务, 政治生日 (sections with nothing in them left
    out)."""
    reader = MonthReader(db, group, month, now)
    read = await _read(db, group, month, now, document=True)
    labels = {
        key: t.plain(f"summary.label.{key}") for key in ("page", "missing", "before", "after")
    }
    draft = await asyncio.to_thread(
        Draft, views.title(t, group, month), _subtitle(t, group, now), labels, t.language
    )
    sections = _Sections(t, draft)
    sections.open("overview")
    draft.paragraph(views.overview_text(t, month, read.numbers))
    async for page in reader.topics():
        sections.open("topics")
        await asyncio.to_thread(_blocks, draft, [views.topic_block(t, entry) for entry in page])
    if read.ids or read.late:
        sections.open("issues")
        await _issue_section(t, draft, reader, read)
    async for events in reader.events():
        sections.open("events")
        blocks = [views.event_block(t, group, entry) for entry in events]
        await asyncio.to_thread(_blocks, draft, blocks)
    if read.board:
        sections.open("events")
        draft.subheading(t.plain("summary.section.board"))
        table = draft.table(views.board_headers(t), (1.5, 5, 3, 2))
        table.add(views.board_rows(read.board))
    if read.anniversaries:
        sections.open("birthdays")
        draft.lines(views.birthday_lines(t, month, read.anniversaries))
    if draft.skipped:
        draft.paragraph(t.plain("summary.photos_left_out", count=draft.skipped))
    size = await asyncio.to_thread(draft.save, path)
    log.info(
        "report of group %s for %s: %d issues, %d photos (%d missing), %d bytes",
        group.id,
        month.label,
        len(read.ids),
        draft.pictures,
        draft.missing,
        size,
    )
    return Made(path, size, draft.pictures, draft.missing)


async def _issue_section(t: Translator, draft: Draft, reader: MonthReader, read: _Read) -> None:
    """自查问题清单: the table of the month's issues, the before/after pairs, the overdue."""
    group, month, ids = reader.group, reader.month, read.ids
    if ids:
        table = draft.table(views.issue_headers(t), ISSUE_WIDTHS)
        async for details in reader.issues(ids[:TABLE_ROWS]):
            rows = [views.issue_row(t, group, d) for d in details]
            await asyncio.to_thread(table.add, rows)
        if len(ids) > TABLE_ROWS:  # the appendix lists them all
            draft.paragraph(
                t.plain("summary.table_more", count=len(ids) - TABLE_ROWS, month=month.label)
            )
    if read.pairs:
        draft.subheading(t.plain("summary.section.pairs"))
        await asyncio.to_thread(draft.pairs, [views.pair(t, d) for d in read.pairs])
    if read.late:
        draft.subheading(t.plain("summary.section.overdue", count=read.late_total))
        draft.lines(views.overdue_lines(t, read.late, read.late_total))


def _blocks(draft: Draft, blocks: list[views.Block]) -> None:
    for block in blocks:
        draft.block(block)


async def make_workbook(
    db: Database, group: Group, month: Month, now: datetime, t: Translator, path: Path
) -> Made:
    """Write the month's appendix as an .xlsx workbook at ``path``: one sheet per
    section, a chart of issues opened and rectified per week and one of hours per
    member."""
    reader = MonthReader(db, group, month, now)
    read = await _read(db, group, month, now, document=False)
    book = Appendix(views.title(t, group, month))
    sheet = book.sheet(
        t.plain("summary.section.overview"),
        [t.plain("summary.sheet.item"), t.plain("summary.sheet.value")],
        [40, 16],
    )
    sheet.add(appendix.overview_rows(t, read.numbers))

    sheet = book.sheet(
        t.plain("summary.section.topics"),
        appendix.topic_headers(t),
        [8, 36, 10, 24, 10, 40, 40, 10],
    )
    async for page in reader.topics():
        await asyncio.to_thread(sheet.add, [appendix.topic_row(t, entry) for entry in page])

    await _issue_sheets(t, book, reader, read)

    sheet = book.sheet(
        t.plain("summary.sheet.events"), appendix.event_headers(t), [8, 12, 12, 30, 20, 8, 8, 8, 8]
    )
    async for events in reader.events():
        await asyncio.to_thread(sheet.add, [appendix.event_row(t, group, e) for e in events])

    _people_sheets(t, book, read)
    size = await asyncio.to_thread(book.save, path)
    log.info(
        "appendix of group %s for %s: %d issues, %d bytes",
        group.id,
        month.label,
        len(read.ids),
        size,
    )
    return Made(path, size)


async def _issue_sheets(t: Translator, book: Appendix, reader: MonthReader, read: _Read) -> None:
    """The sheet of the month's issues (and the overdue ones), and the weekly counts
    with their chart."""
    sheet = book.sheet(
        t.plain("summary.section.issues"),
        [
            *views.issue_headers(t),
            t.plain("summary.issue.description"),
            t.plain("summary.issue.reported"),
        ],
        [8, 20, 10, 8, 12, 12, 10, 10, 40, 12],
    )
    async for details in reader.issues(read.ids):
        cells = [appendix.issue_cells(t, reader.group, d) for d in details]
        await asyncio.to_thread(sheet.add, cells)
    if read.late:
        sheet.add([[], [t.plain("summary.section.overdue", count=read.late_total)]])
        sheet.add([[line] for line in views.overdue_lines(t, read.late, read.late_total)])

    sheet = book.sheet(t.plain("summary.sheet.weeks"), appendix.week_headers(t), [14, 10, 10])
    sheet.add(appendix.week_rows(read.weeks))
    sheet.bar_chart(
        t.plain("summary.chart.weeks"),
        3,
        "E2",
        y_title=t.plain("summary.chart.issues"),
        counts=True,
    )


def _people_sheets(t: Translator, book: Appendix, read: _Read) -> None:
    """The hours leaderboard with its chart, and the political birthdays."""
    sheet = book.sheet(t.plain("summary.section.board"), views.board_headers(t)[1:3], [16, 12])
    sheet.add(
        [[line.member.display_name, appendix.hours_number(line.minutes)] for line in read.board]
    )
    sheet.bar_chart(t.plain("summary.chart.hours"), 2, "D2", y_title=t.plain("summary.board.hours"))

    sheet = book.sheet(
        t.plain("summary.section.birthdays"), appendix.birthday_headers(t), [16, 12, 8]
    )
    sheet.add(appendix.birthday_rows(read.anniversaries))
