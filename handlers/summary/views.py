"""The words of the monthly report: pure functions from the month's rows to the plain
text of its paragraphs, table rows and photo captions, in the group's language. The
document and the workbook only lay these out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.calendar import Month
from domain.events import hours_text, hours_total_text
from domain.kinds import EventType, IssueEventKind
from handlers.i18n import Html, Translator
from handlers.issue_lines import status_text, where_text
from storage.hours import BoardLine
from storage.issue_reads import IssueDetail
from storage.models import Group, Member, Photo
from storage.summary import Overview
from storage.summary_events import EventEntry
from storage.summary_issues import Overdue
from storage.summary_topics import TopicEntry

ISSUE_COLUMNS = ("number", "place", "category", "severity", "reporter", "fixer", "days", "status")
BOARD_COLUMNS = ("rank", "name", "hours", "events")


@dataclass
class ReportNote:
    """What the morning did about last month's report: sent to these admins, and the
    admins it could not be sent to (they never pressed Start)."""

    month: Month
    sent: list[Member] = field(default_factory=list)
    unreachable: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class Picture:
    """A photo for the report: its stored file (None: never downloaded) and a name for
    the note that says it is missing."""

    path: Path | None
    name: str


@dataclass(frozen=True)
class Block:
    """A titled entry of a section (a topic, an event): its lines and photos."""

    heading: str
    lines: list[str]
    pictures: list[Picture]


@dataclass(frozen=True)
class Pair:
    """A verified issue's "before" and "after" photos, side by side."""

    caption: str
    before: Picture
    after: Picture


def picture(photo: Photo) -> Picture:
    """The stored file of a photo."""
    return Picture(Path(photo.local_path) if photo.local_path else None, photo.file_unique_id)


def title(t: Translator, group: Group, month: Month) -> str:
    """``<group> 2026年11月工作简报``."""
    return t.plain("summary.title", group=group.title, year=month.year, month=month.month)


def section_heading(t: Translator, number: int, key: str) -> str:
    """``三、自查问题清单``: a section's heading, numbered in the order shown (sections
    with nothing in them are left out)."""
    numerals = t.plain("summary.numerals").split(",")
    return t.plain("summary.section.number", n=numerals[number - 1], title=t.plain(key))


def filename(t: Translator, month: Month, extension: str) -> str:
    """``工作简报-2026-11.docx``."""
    return t.plain("summary.filename", month=month.label, ext=extension)


def hours(minutes: int) -> str:
    """Minutes as hours with one decimal, rounded as /hours rounds them: ``12.5``."""
    return hours_text(minutes)


def overview_text(t: Translator, month: Month, numbers: Overview) -> str:
    """The one paragraph of the month in numbers; parts with nothing in them left out."""
    parts = [
        _topics_part(t, numbers),
        _issues_part(t, numbers),
        _events_part(t, numbers),
        t.plain(
            "summary.overview.hours",
            hours=hours_total_text(numbers.volunteer_rows),  # the leaderboard's rows added up
            people=numbers.volunteers,
        )
        if numbers.volunteer_minutes
        else "",
        t.plain("summary.overview.members", count=numbers.new_members)
        if numbers.new_members
        else "",
    ]
    said = [part for part in parts if part]
    lead = t.plain("summary.overview.lead", year=month.year, month=month.month)
    if not said:
        return lead + t.plain("summary.overview.nothing")
    return lead + t.plain("summary.overview.separator").join(said) + t.plain("summary.overview.end")


def _topics_part(t: Translator, numbers: Overview) -> str:
    """Topics claimed, submitted and approved ("" for none)."""
    if not (numbers.topics_claimed or numbers.topics_submitted or numbers.topics_approved):
        return ""
    return t.plain(
        "summary.overview.topics",
        claimed=numbers.topics_claimed,
        submitted=numbers.topics_submitted,
        approved=numbers.topics_approved,
    )


def _issues_part(t: Translator, numbers: Overview) -> str:
    """Issues reported, rectified and verified, the rectification rate and the
    duplicates ("" for none)."""
    if not (numbers.issues_reported or numbers.issues_fixed or numbers.issues_verified):
        return ""
    text = t.plain(
        "summary.overview.issues",
        reported=numbers.issues_reported,
        fixed=numbers.issues_fixed,
        verified=numbers.issues_verified,
    )
    if numbers.rate is not None:
        text += t.plain(
            "summary.overview.rate" if numbers.month_over else "summary.overview.rate_so_far",
            done=numbers.reported_fixed,
            reported=numbers.issues_reported,
            rate=numbers.rate,
        )
    if numbers.duplicates:
        text += t.plain("summary.overview.duplicates", count=numbers.duplicates)
    return text


def _events_part(t: Translator, numbers: Overview) -> str:
    """Events held, by type with attendance ("" for none)."""
    if not numbers.events_by_kind:
        return ""
    kinds = [
        t.plain(
            "summary.overview.event_kind",
            kind=t.plain(f"event.type.{kind}"),
            held=held,
            attended=attended,
        )
        for kind in EventType
        for held, attended in [numbers.events_by_kind.get(kind.value, (0, 0))]
        if held
    ]
    total = sum(held for held, _ in numbers.events_by_kind.values())
    return t.plain(
        "summary.overview.events",
        held=total,
        kinds=t.plain("list.separator").join(kinds),
    )


def names(t: Translator, people: list[Member]) -> str:
    """People's names in a list ("—" for nobody)."""
    return t.plain("list.separator").join(p.display_name for p in people) or "—"


def day(moment: datetime, group: Group) -> str:
    """The day of ``moment`` in the group's time zone: ``2026-11-03``."""
    return moment.astimezone(ZoneInfo(group.timezone)).strftime("%Y-%m-%d")


def topic_block(t: Translator, entry: TopicEntry) -> Block:
    """A topic of the month: who claimed it, its status and progress, milestones reached,
    its result and rating, and up to two result photos."""
    topic = entry.topic
    lines = [
        t.plain("summary.topic.claimants", names=names(t, entry.claimants)),
        t.plain(
            "summary.topic.status",
            status=t.plain(f"topic.status.{topic.status}"),
            progress=entry.progress,
        ),
    ]
    if entry.milestones:
        steps = [f"{m.due_on.isoformat()} {m.text}" for m in entry.milestones]
        lines.append(
            t.plain("summary.topic.milestones", steps=t.plain("list.separator").join(steps))
        )
    if topic.result and entry.finished:
        lines.append(t.plain("summary.topic.result", result=topic.result))
    if entry.rating is not None:
        average, count = entry.rating
        lines.append(t.plain("summary.topic.rating", average=f"{average:.1f}", count=count))
    return Block(
        heading=t.plain("summary.topic.heading", number=topic.number, title=topic.title),
        lines=lines,
        pictures=[picture(p) for p in entry.photos],
    )


def issue_headers(t: Translator) -> list[str]:
    """The issue table's column headers."""
    return [t.plain(f"summary.issue.{c}") for c in ISSUE_COLUMNS]


def _fixer(detail: IssueDetail) -> Member | None:
    fixes = [e for e in detail.events if e.kind == IssueEventKind.FIXED.value]
    return detail.people.get(fixes[-1].actor_id) if fixes else None


def issue_row(t: Translator, group: Group, detail: IssueDetail) -> list[str]:
    """One row of the issue table: number, road and stake, category, severity, reporter,
    who fixed it, days to fix, status."""
    issue = detail.issue
    reporter = detail.people.get(issue.reporter_id)
    fixer = _fixer(detail) if issue.fixed_at else None
    days = ""
    if issue.fixed_at is not None:
        zone = ZoneInfo(group.timezone)
        spent = issue.fixed_at.astimezone(zone).date() - issue.created_at.astimezone(zone).date()
        days = str(spent.days)
    return [
        f"#{issue.number}",
        where_text(t, issue),
        t.plain(f"issue.category.{issue.category}"),
        str(issue.severity),
        reporter.display_name if reporter else "",
        fixer.display_name if fixer else "",
        days,
        status_text(t, issue, detail.duplicate_of),
    ]


def pair(t: Translator, detail: IssueDetail) -> Pair:
    """A verified issue's first "before" photo and the first of its fix's (as /issue
    and the wall show them), with its caption."""
    issue = detail.issue
    caption = t.plain(
        "summary.pair.caption",
        number=issue.number,
        place=where_text(t, issue),
        description=_short(issue.description),
    )
    return Pair(caption, picture(detail.before[0]), picture(detail.fix_photos[0]))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def overdue_lines(t: Translator, items: list[Overdue], total: int) -> list[str]:
    """Issues past their deadline at the month's end, each with who is responsible."""
    lines = [
        t.plain(
            "summary.overdue.line",
            number=x.issue.number,
            place=where_text(t, x.issue),
            description=_short(x.issue.description, 40),
            deadline=x.issue.deadline.isoformat() if x.issue.deadline else "",
            person=x.responsible.display_name if x.responsible else "—",
        )
        for x in items
    ]
    if total > len(items):
        lines.append(t.plain("summary.more", count=total - len(items)))
    return lines


def event_block(t: Translator, group: Group, entry: EventEntry) -> Block:
    """An event of the month: type, date, place, signed up / attended (and how many of
    them were recorded after the fact, 补录), hours, photos."""
    event = entry.event
    lines = [
        t.plain(
            "summary.event.when",
            type=t.plain(f"event.type.{event.kind}"),
            date=day(event.starts_at, group),
            place=event.place or "—",
        ),
        t.plain("summary.event.people", signed=entry.signed_up, attended=entry.attended),
    ]
    if entry.recorded:  # a reader tells a recorded attendance from a check-in
        lines[-1] += t.plain("summary.event.recorded", count=entry.recorded)
    if event.kind == EventType.VOLUNTEER.value:
        lines.append(t.plain("summary.event.hours", hours=hours(entry.minutes)))
    return Block(
        heading=t.plain(
            "summary.event.heading_recorded" if event.recorded else "summary.event.heading",
            number=event.number,
            title=event.title,
        ),
        lines=lines,
        pictures=[picture(p) for p in entry.photos],
    )


def board_headers(t: Translator) -> list[str]:
    """The leaderboard's column headers."""
    return [t.plain(f"summary.board.{c}") for c in BOARD_COLUMNS]


def board_rows(board: list[BoardLine]) -> list[list[str]]:
    """The month's volunteer-hours leaderboard as table rows."""
    return [
        [str(rank), line.member.display_name, hours(line.minutes), str(line.events)]
        for rank, line in enumerate(board, start=1)
    ]


def birthday_lines(t: Translator, month: Month, people: list[tuple[Member, int]]) -> list[str]:
    """``11月5日 张三 入党 15 周年``."""
    lines = []
    for member, years in people:
        joined = member.party_joined_on
        assert joined is not None
        lines.append(
            t.plain(
                "summary.birthday.line",
                month=month.month,
                day=joined.day,
                name=member.display_name,
                joined=joined.isoformat(),
                years=years,
            )
        )
    return lines


def report_line(t: Translator, note: ReportNote) -> Html:
    """The briefing's line about last month's report: sent privately to N admins, and
    who could not get it (they never pressed Start)."""
    title = t.plain("summary.month", year=note.month.year, month=note.month.month)
    if not note.sent:
        return t("summary.briefing.nobody", month=title)
    text = t("summary.briefing.sent", month=title, count=len(note.sent))
    if note.unreachable:
        names = t.plain("list.separator").join(m.display_name for m in note.unreachable)
        text = Html(text + t("summary.briefing.unreachable", names=names))
    return text
