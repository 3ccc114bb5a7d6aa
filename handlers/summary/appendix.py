"""The words of the monthly report's .xlsx appendix: each sheet's headers and rows, with
numbers as numbers (so Excel sorts and sums them). The workbook only lays these out."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.calendar import local_date
from domain.events import hours_text, hours_total_text
from domain.kinds import EventType
from handlers.cells import Percent
from handlers.i18n import Translator
from handlers.summary.views import issue_row, names
from storage.issue_reads import IssueDetail
from storage.models import Group, Member
from storage.summary import Overview
from storage.summary_events import EventEntry
from storage.summary_issues import WeekCount
from storage.summary_topics import TopicEntry


def hours_number(minutes: int) -> float:
    """Minutes as hours (one decimal, rounded as /hours rounds them), for a cell."""
    return float(hours_text(minutes))


def overview_rows(t: Translator, numbers: Overview) -> list[list[object]]:
    """The month in numbers, one item per row (numbers as numbers, for Excel)."""
    rows: list[list[object]] = [
        [t.plain("summary.item.topics_claimed"), numbers.topics_claimed],
        [t.plain("summary.item.topics_submitted"), numbers.topics_submitted],
        [t.plain("summary.item.topics_approved"), numbers.topics_approved],
        [t.plain("summary.item.issues_reported"), numbers.issues_reported],
        [t.plain("summary.item.issues_fixed"), numbers.issues_fixed],
        [t.plain("summary.item.issues_verified"), numbers.issues_verified],
        [t.plain("summary.item.rate"), "" if numbers.rate is None else Percent(numbers.rate / 100)],
    ]
    for kind in EventType:
        held, attended = numbers.events_by_kind.get(kind.value, (0, 0))
        name = t.plain(f"event.type.{kind}")
        rows.append([t.plain("summary.item.events", kind=name), held])
        rows.append([t.plain("summary.item.attended", kind=name), attended])
    rows += [
        [t.plain("summary.item.hours"), float(hours_total_text(numbers.volunteer_rows))],
        [t.plain("summary.item.volunteers"), numbers.volunteers],
        [t.plain("summary.item.new_members"), numbers.new_members],
    ]
    return rows


TOPIC_COLUMNS = ("number", "title", "status", "claimants", "progress", "milestones", "result")


def topic_headers(t: Translator) -> list[str]:
    """The topic sheet's column headers."""
    return [t.plain(f"summary.topic.col.{c}") for c in (*TOPIC_COLUMNS, "rating")]


def topic_row(t: Translator, entry: TopicEntry) -> list[object]:
    """A topic of the month as a row of the appendix."""
    topic = entry.topic
    steps = [f"{m.due_on.isoformat()} {m.text}" for m in entry.milestones]
    rating = entry.rating
    return [
        topic.number,
        topic.title,
        t.plain(f"topic.status.{topic.status}"),
        names(t, entry.claimants),
        entry.progress,
        "\n".join(steps),
        topic.result or "",
        round(rating[0], 1) if rating and rating[1] else "",
    ]


def issue_cells(t: Translator, group: Group, detail: IssueDetail) -> list[object]:
    """An issue as a row of the appendix: the table's columns with numbers as numbers
    (so Excel sorts and sums them), then its description and the day it was reported."""
    issue = detail.issue
    row: list[object] = list(issue_row(t, group, detail))
    row[0] = issue.number
    row[3] = issue.severity
    row[6] = int(str(row[6])) if row[6] else ""
    reported = issue.created_at.astimezone(ZoneInfo(group.timezone)).date()
    return [*row, issue.description, reported]


def week_headers(t: Translator) -> list[str]:
    """The weekly issue counts' headers."""
    return [
        t.plain("summary.week.start"),
        t.plain("summary.week.opened"),
        t.plain("summary.week.closed"),
    ]


def week_rows(weeks: list[WeekCount]) -> list[list[object]]:
    """Issues opened and rectified per week."""
    return [[w.week_start, w.opened, w.closed] for w in weeks]  # a date cell


EVENT_COLUMNS = (
    "number",
    "type",
    "date",
    "title",
    "place",
    "signed",
    "attended",
    "recorded",
    "hours",
)


def event_headers(t: Translator) -> list[str]:
    """The event sheet's column headers."""
    return [t.plain(f"summary.event.col.{c}") for c in EVENT_COLUMNS]


def event_row(t: Translator, group: Group, entry: EventEntry) -> list[object]:
    """An event of the month as a row of the appendix."""
    event = entry.event
    return [
        event.number,
        t.plain(f"event.type.{event.kind}"),
        local_date(event.starts_at, group.timezone),  # a date cell
        event.title,
        event.place,
        entry.signed_up,
        entry.attended,
        entry.recorded,  # of those who attended, recorded after the fact (补录)
        hours_number(entry.minutes) if event.kind == EventType.VOLUNTEER.value else "",
    ]


def birthday_headers(t: Translator) -> list[str]:
    """The political birthdays' headers."""
    return [
        t.plain("summary.birthday.name"),
        t.plain("summary.birthday.joined"),
        t.plain("summary.birthday.years"),
    ]


def birthday_rows(people: list[tuple[Member, int]]) -> list[list[object]]:
    """Members whose Party anniversary falls in the month."""
    return [
        [m.display_name, m.party_joined_on or "", years]  # a date cell
        for m, years in people
    ]
