"""Excel registers (台账) made with openpyxl: the issue register and the topic list.

Pure functions from rows to .xlsx bytes; the handler sends the file and keeps a copy in
the media directory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.roads import RoadPlace
from handlers.i18n import Translator
from storage.issue_reads import IssueDetail
from storage.models import Member, Topic
from storage.topics import RatingSummary

ISSUE_COLUMNS = (
    "number",
    "road",
    "stake",
    "category",
    "severity",
    "description",
    "reporter",
    "reported_at",
    "assignee",
    "deadline",
    "status",
    "fixed_at",
    "verified_at",
    "photos",
)
TOPIC_COLUMNS = (
    "number",
    "title",
    "status",
    "claimants",
    "progress",
    "due",
    "result",
    "rating",
    "approved_at",
)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _name(people: dict[int, Member], user_id: int | None) -> str:
    member = people.get(user_id or 0)
    return member.display_name if member else ""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def safe_text(value: str) -> str:
    """Text as a spreadsheet cell may hold it: characters Excel (or XML) refuses removed."""
    return _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))


def _append(sheet: Worksheet, values: list[object]) -> None:
    """Add a row; text is always text: one that starts like a formula (``=``, ``+``,
    ``-``, ``@``) is stored as a string with Excel's quote prefix, never as a formula."""
    sheet.append([safe_text(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def _workbook(title: str, headers: list[str], rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    _append(sheet, list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, row)
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows] or [8])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def issue_register(t: Translator, details: Sequence[IssueDetail], timezone: str) -> bytes:
    """The issue register: one row per issue, with before/after photo file names."""
    zone = ZoneInfo(timezone)
    rows: list[list[object]] = []
    for detail in details:
        issue = detail.issue
        place = RoadPlace(issue.road or "", issue.stake_from, issue.stake_to)
        photos = [
            Path(p.local_path).name if p.local_path else f"{p.file_unique_id}.jpg"
            for p in (*detail.before, *detail.after)
        ]
        rows.append(
            [
                issue.number,
                issue.road or "",
                place.stake_text,
                t.plain(f"issue.category.{issue.category}"),
                issue.severity,
                issue.description,
                _name(detail.people, issue.reporter_id),
                _when(issue.created_at, zone),
                _name(detail.people, issue.assignee_id),
                issue.deadline.isoformat() if issue.deadline else "",
                t.plain(f"issue.status.{issue.status}"),
                _when(issue.fixed_at, zone),
                _when(issue.verified_at, zone),
                "\n".join(photos),
            ]
        )
    headers = [t.plain(f"export.issue.{c}") for c in ISSUE_COLUMNS]
    return _workbook(t.plain("export.issue.sheet"), headers, rows)


def topic_list(
    t: Translator,
    topics: Sequence[Topic],
    claimants: dict[int, list[Member]],
    ratings: dict[int, RatingSummary],
    timezone: str,
) -> bytes:
    """The topic list: one row per topic."""
    zone = ZoneInfo(timezone)
    rows: list[list[object]] = []
    for topic in topics:
        rating = ratings.get(topic.id, RatingSummary())
        rows.append(
            [
                topic.number,
                topic.title,
                t.plain(f"topic.status.{topic.status}"),
                t.plain("list.separator").join(m.display_name for m in claimants.get(topic.id, [])),
                f"{topic.progress}%",
                topic.due_on.isoformat() if topic.due_on else "",
                topic.result or "",
                f"{rating.average:.1f} ({rating.count})" if rating.count else "",
                _when(topic.approved_at, zone),
            ]
        )
    headers = [t.plain(f"export.topic.{c}") for c in TOPIC_COLUMNS]
    return _workbook(t.plain("export.topic.sheet"), headers, rows)
