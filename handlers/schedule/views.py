"""What the scheduler says: the morning briefing, reminders, greetings, the fallback
note in the group, and the status admins see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.events import hours_text
from domain.slots import Outcome
from domain.text import excerpt
from domain.workdays import WorkCalendar
from handlers.common import split_message
from handlers.days import calendar_note
from handlers.event_lines import list_line, when_text
from handlers.i18n import Html, Translator, escape, plain_text
from storage.briefing import Briefing, Progress
from storage.deadlines import Due
from storage.models import Delivery, Event, Group, Member, OutboxMessage

EXCERPT = 60  # characters of a milestone's or an issue's text in a line
REMINDED = 15  # items in one person's reminder; the rest are counted
NAMED = 25  # items in the group's note on people who cannot be written to


def mention(member: Member) -> Html:
    """The person's name as a mention (Telegram notifies them)."""
    return Html(f'<a href="tg://user?id={int(member.user_id)}">{escape(member.display_name)}</a>')


def people_text(t: Translator, people: Sequence[Member]) -> Html:
    """The people responsible, mentioned; or "not assigned"."""
    if not people:
        return t("briefing.nobody")
    return Html(t.plain("list.separator").join(mention(m) for m in people))


def _due_when(t: Translator, due: date, today: date) -> Html:
    if due >= today:
        return t("briefing.due_today")
    return t("briefing.overdue", days=(today - due).days)


def due_line(t: Translator, item: Due, today: date) -> Html:
    """One milestone or issue deadline: what, when, who."""
    return t(
        f"briefing.due_{item.kind}",
        number=item.number,
        text=excerpt(item.text, EXCERPT),
        when=_due_when(t, item.due_on, today),
        who=people_text(t, item.people),
    )


def _progress_line(t: Translator, item: Progress) -> Html:
    what = t.plain("list.separator").join(t.plain(f"briefing.moved.{k}") for k in item.kinds)
    return t(
        "briefing.progress_line",
        number=item.number,
        title=excerpt(item.title, EXCERPT),
        what=what,
        progress=item.progress,
    )


def render_briefing(
    t: Translator,
    group: Group,
    today: date,
    content: Briefing,
    *,
    preview: bool = False,
    notes: Sequence[str] = (),
) -> list[Html]:
    """The morning briefing, in as many messages as it takes: only the sections with
    something to say; an empty day in one line; ``notes`` (the monthly report sent) at
    the end."""
    weekday = t.plain(f"weekday.{today.weekday()}")
    lines: list[str] = [
        t("briefing.title", group=group.title, date=today.isoformat(), weekday=weekday)
    ]
    if preview:
        lines.append(t("briefing.preview"))
    if content.empty:
        lines.append(t("briefing.empty"))
        return split_message([*lines, *_notes(notes)])
    lines += _lists(t, group, today, content) + _changes(t, content)
    return split_message([*lines, *_notes(notes)])


def _lists(t: Translator, group: Group, today: date, content: Briefing) -> list[str]:
    """The sections that list things: today's and tomorrow's events, political
    birthdays, what is due."""
    birthdays = [
        t("briefing.birthday_line", who=mention(m), years=years) for m, years in content.birthdays
    ]
    return [
        *_section(
            t,
            "briefing.events",
            [list_line(t, group, e) for e in content.events],
            ("briefing.events_more", content.events_more),
        ),
        *_section(
            t, "briefing.birthdays", birthdays, ("briefing.birthdays_more", content.birthdays_more)
        ),
        *_section(
            t,
            "briefing.due",
            [due_line(t, d, today) for d in content.due],
            ("briefing.more", content.due_more),
        ),
    ]


def _changes(t: Translator, content: Briefing) -> list[str]:
    """The sections about what changed: issue counts, topic progress, volunteer hours."""
    lines: list[str] = []
    counts = content.issues
    if counts.total:
        lines += [
            "",
            t(
                "briefing.issues_first" if content.first else "briefing.issues",
                open=counts.found - counts.fixed,
                fixed=counts.fixed - counts.verified,
                verified=counts.verified,
                new=content.new_issues,
            ),
        ]
    lines += _section(
        t,
        "briefing.progress_first" if content.first else "briefing.progress",
        [_progress_line(t, p) for p in content.progress],
    )
    if content.hours_minutes:
        lines += [
            "",
            t(
                "briefing.hours",
                hours=hours_text(content.hours_minutes),
                people=content.hours_people,
            ),
        ]
    return lines


def _section(
    t: Translator, heading: str, items: list[Html], more: tuple[str, int] = ("", 0)
) -> list[str]:
    """A section of the briefing: a blank line, its heading, its lines and how many
    more there are (``more``: the text's key and the count); nothing without lines."""
    if not items:
        return []
    key, count = more
    return ["", t(heading), *items, *([t(key, count=count)] if count else [])]


def _notes(notes: Sequence[str]) -> list[str]:
    return ["", *notes] if notes else []


def event_reminder(t: Translator, group: Group, event: Event, mark: str, *, private: bool) -> Html:
    """An event's reminder (``mark``: "24h" or "1h"), for the group or a person."""
    where = t("reminder.place", place=event.place) if event.place else Html("")
    return t(
        f"reminder.event_{mark}_{'private' if private else 'group'}",
        number=event.number,
        title=event.title,
        when=when_text(t, group, event),
        place=where,
        group=group.title,
        joined=event.joined_count,
    )


def deadline_line(t: Translator, item: Due, today: date) -> Html:
    """``milestone "…" of topic #1: due tomorrow (2026-12-02)``."""
    day = "day" if item.due_on <= today else "eve"
    return t(
        f"reminder.{item.kind}_{day}",
        number=item.number,
        text=excerpt(item.text, EXCERPT),
        date=item.due_on.isoformat(),
    )


def deadline_reminder(t: Translator, group: Group, items: Sequence[Due], today: date) -> Html:
    """One person's private reminder of what they must finish today or tomorrow."""
    lines = [t("reminder.deadlines_private", group=group.title)]
    lines += [t("reminder.line", what=deadline_line(t, d, today)) for d in items[:REMINDED]]
    if len(items) > REMINDED:
        lines.append(t("reminder.more", count=len(items) - REMINDED))
    return Html("\n".join(lines))


def deadlines_in_group(t: Translator, lines: list[Html]) -> Html:
    """The group's note for the people responsible who cannot be written to (the first
    ``NAMED`` items, and how many more)."""
    shown = lines[:NAMED]
    if len(lines) > NAMED:
        shown.append(t("reminder.more", count=len(lines) - NAMED))
    return Html("\n".join([t("reminder.group_title"), *shown, t("private.unreachable_hint")]))


def unreachable_line(t: Translator, member: Member, item: Due, today: date) -> Html:
    """``@person: milestone … is due tomorrow``."""
    return t("reminder.group_line", who=mention(member), what=deadline_line(t, item, today))


def birthday_greeting(t: Translator, group: Group, member: Member, years: int) -> Html:
    """The private greeting on a member's political birthday."""
    return t("reminder.birthday", name=member.display_name, years=years, group=group.title)


ERRORS = {  # what Telegram said → what admins read
    "blocked": "status.error.blocked",
    "initiate": "status.error.never_started",
    "chat not found": "status.error.never_started",
    "kicked": "status.error.not_in_group",
    "not a member": "status.error.not_in_group",
    "too long": "status.error.too_long",
    "over telegram's 50 mb": "status.error.too_big",
    "could not be made": "status.error.not_made",
}


def _error_text(t: Translator, error: str) -> str:
    lowered = error.lower()
    for fragment, key in ERRORS.items():
        if fragment in lowered:
            return t.plain(key)
    return excerpt(error, EXCERPT)


def _morning_text(t: Translator, outcome: str, message: OutboxMessage | None) -> str:
    if outcome != Outcome.SENT or message is None:
        return t.plain(f"status.outcome.{Outcome(outcome).value}")
    if message.sent_at is not None:
        return t.plain("status.outcome.sent")
    if message.failed_at is not None:
        return t.plain("status.outcome.failed")
    return t.plain("status.outcome.waiting")


def render_status(
    t: Translator,
    group: Group,
    now: datetime,
    last: tuple[Delivery, OutboxMessage | None] | None,
    waiting: int,
    failed: list[OutboxMessage],
    failed_total: int,
    names: dict[int, str],
    calendar: WorkCalendar,
) -> Html:
    """``/briefing status``: the schedule, the last morning, (from November) a note while
    next year's makeup working days are unknown, and what could not be sent."""
    zone = ZoneInfo(group.timezone)
    today = now.astimezone(zone).date()
    lines = [
        t("status.title"),
        t(
            "status.schedule",
            time=group.briefing_time.strftime("%H:%M"),
            zone=group.timezone,
            workdays=t.plain("status.workdays_on" if group.workdays_only else "status.every_day"),
        ),
    ]
    if last is not None:
        morning, message = last
        lines.append(
            t(
                "status.last",
                when=morning.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                outcome=_morning_text(t, morning.outcome, message),
            )
        )
    note = calendar_note(t, group, today, calendar)
    if note:
        lines.append(note)
    lines.append(t("status.waiting", count=waiting))
    if not failed:
        lines.append(t("status.failed_none"))
        return Html("\n".join(lines))
    lines.append(t("status.failed", count=failed_total))
    lines += _failed_lines(t, group, zone, failed, names)
    return Html("\n".join(lines))


def _failed_lines(
    t: Translator, group: Group, zone: ZoneInfo, failed: list[OutboxMessage], names: dict[int, str]
) -> list[Html]:
    """A line for each message that could not be sent: when, to whom, why, what."""
    lines: list[Html] = []
    for message in failed:
        assert message.failed_at is not None
        to = (
            t.plain("status.to_group")
            if message.chat_id == group.chat_id
            else names.get(message.chat_id, str(message.chat_id))
        )
        lines.append(
            t(
                "status.failed_line",
                when=message.failed_at.astimezone(zone).strftime("%m-%d %H:%M"),
                to=to,
                error=_error_text(t, message.error or ""),
                text=excerpt(plain_text(message.text), 30),
            )
        )
    return lines
