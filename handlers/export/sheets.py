"""Excel registers (台账) made with openpyxl: the issue register, the topic list and the
hours register (every sign-up of every event).

Rows are streamed into a file in the media directory (openpyxl's write-only mode), so a
register of 100,000 issues needs little memory; the handler sends that file.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment

from domain.kinds import CheckinMethod
from domain.roads import RoadPlace
from handlers.cells import safe_cell
from handlers.i18n import Translator
from handlers.issue_lines import status_text
from handlers.printing import lay_out
from storage.issue_reads import IssueDetail
from storage.models import Event, EventSignup, Member, Topic
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
# column widths (characters): a streamed sheet is sized before its rows are known
ISSUE_WIDTHS = (8, 10, 18, 10, 8, 40, 12, 17, 12, 12, 10, 17, 17, 30)
TOPIC_COLUMNS = (
    "number",
    "title",
    "status",
    "claimants",
    "progress",
    "due",
    "result",
    "rating",
    "ratings",
    "approved_at",
)
TOPIC_WIDTHS = (8, 40, 10, 24, 10, 12, 40, 8, 8, 17)
HOURS_COLUMNS = (
    "number",
    "date",
    "type",
    "title",
    "place",
    "person",
    "status",
    "checked_in",
    "checked_out",
    "method",
    "hours",
)
HOURS_WIDTHS = (8, 12, 12, 30, 20, 12, 10, 17, 17, 10, 8)


def _when(moment: datetime | None, zone: ZoneInfo) -> datetime | str:
    """The moment as the group's local time, to the minute (a date cell), or blank."""
    if moment is None:
        return ""
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def _name(people: dict[int, Member], user_id: int | None) -> str:
    member = people.get(user_id or 0)
    return member.display_name if member else ""


class Register:
    """An .xlsx file written row by row (openpyxl's write-only mode): memory stays flat
    however many rows go in. Text is always text: a value that starts like a formula
    (``=``, ``+``, ``-``, ``@``) is stored as a string with Excel's quote prefix. Used
    from a worker thread (the writing is CPU work)."""

    def __init__(
        self, path: Path, title: str, headers: list[str], widths: list[int], heading: str = ""
    ) -> None:
        """An empty register: its header row, laid out for print with ``heading`` (the
        register, the group and the date) at the top of each page."""
        self.path = path
        self.rows = 0
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title[:31])
        self._wrap = Alignment(wrap_text=True, vertical="top")
        lay_out(self._sheet, headers, widths, heading or title)

    def add(self, rows: Iterable[Sequence[object]]) -> None:
        """Append rows (text cleaned, formulas defused)."""
        for row in rows:
            self._sheet.append([self._cell(value) for value in row])
            self.rows += 1

    def _cell(self, value: object) -> object:
        return safe_cell(self._sheet, value, self._wrap)

    def close(self) -> int:
        """Finish the file (written aside under a name of its own, then moved into place:
        a failed export never leaves half a register under the real name, and two made at
        once never write into each other); its size in bytes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        part = self.path.with_name(f"{self.path.name}.{secrets.token_hex(4)}.part")
        try:
            self._book.save(part)
            part.replace(self.path)
        finally:
            part.unlink(missing_ok=True)
        return self.path.stat().st_size


def issue_register(path: Path, t: Translator, heading: str = "") -> Register:
    """An empty issue register, its headers in the group's language."""
    headers = [t.plain(f"export.issue.{c}") for c in ISSUE_COLUMNS]
    title = t.plain("export.issue.sheet")
    return Register(path, title, headers, list(ISSUE_WIDTHS), _heading(title, heading))


def issue_rows(t: Translator, details: Sequence[IssueDetail], timezone: str) -> list[list[object]]:
    """One register row per issue, with before/after photo file names."""
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
                issue.deadline or "",
                status_text(t, issue, detail.duplicate_of),
                _when(issue.fixed_at, zone),
                _when(issue.verified_at, zone),
                "\n".join(photos),
            ]
        )
    return rows


def topic_list(
    path: Path,
    t: Translator,
    topics: Sequence[Topic],
    claimants: dict[int, list[Member]],
    ratings: dict[int, RatingSummary],
    timezone: str,
    heading: str = "",
) -> int:
    """The topic list, one row per topic, written to ``path``; its size in bytes."""
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
                round(rating.average, 1) if rating.count else "",
                rating.count,
                _when(topic.approved_at, zone),
            ]
        )
    headers = [t.plain(f"export.topic.{c}") for c in TOPIC_COLUMNS]
    title = t.plain("export.topic.sheet")
    register = Register(path, title, headers, list(TOPIC_WIDTHS), _heading(title, heading))
    register.add(rows)
    return register.close()


def hours_register(path: Path, t: Translator, heading: str = "") -> Register:
    """An empty hours register (one row per person and event), its headers in the
    group's language."""
    headers = [t.plain(f"export.hours.{c}") for c in HOURS_COLUMNS]
    title = t.plain("export.hours.sheet")
    return Register(path, title, headers, list(HOURS_WIDTHS), _heading(title, heading))


def _heading(title: str, group_and_day: str) -> str:
    """The printed pages' header: the register's title, then the group and the date."""
    return f"{title} · {group_and_day}" if group_and_day else title


def _method(t: Translator, signup: EventSignup, recorders: Mapping[int, Member]) -> str:
    """How the person's presence was proven; 补录 with the admin who recorded it."""
    if signup.method == CheckinMethod.RECORDED:
        by = recorders.get(signup.recorded_by or 0)
        name = by.display_name if by is not None else "—"
        return t.plain("export.hours.recorded_by", name=name)
    return t.plain(f"checkin.method.{signup.method}") if signup.method else ""


def hours_rows(
    t: Translator,
    rows: Sequence[tuple[Event, EventSignup, Member]],
    timezone: str,
    recorders: Mapping[int, Member] | None = None,
) -> list[list[object]]:
    """The register's rows: signed up or waiting, checked in and out (or recorded after
    the fact: 补录, by whom), and hours as a number Excel can sum."""
    zone = ZoneInfo(timezone)
    lines: list[list[object]] = []
    for event, signup, member in rows:
        counted = signup.minutes if signup.checked_in_at is not None else None
        recorded = signup.method == CheckinMethod.RECORDED
        # 补录: no check-in time (it was entered later), and no sign-up unless there was one
        signed = "recorded" if recorded and signup.prior_status is None else signup.status
        lines.append(
            [
                event.number,
                event.starts_at.astimezone(zone).strftime("%Y-%m-%d"),
                t.plain(f"event.type.{event.kind}"),
                event.title,
                event.place,
                member.display_name,
                t.plain(f"export.hours.status.{signed}"),
                "" if recorded else _when(signup.checked_in_at, zone),
                _when(signup.checked_out_at, zone),
                _method(t, signup, recorders or {}),
                round(counted / 60, 2) if counted is not None else "",
            ]
        )
    return lines
