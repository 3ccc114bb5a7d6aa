"""What the scheduler says: the morning briefing, reminders, greetings, the fallback
note in the group, and the status admins see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.events import hours_text
from domain.kinds import MorningOutcome
from domain.text import excerpt
from domain.workdays import covers
from handlers.events.views import list_line, when_text
from handlers.i18n import Html, Translator, escape, plain_text
from storage.briefing import Briefing, Due, Progress
from storage.models import Delivery, Event, Group, Member, OutboxMessage

EXCERPT = 60  # characters of a milestone's or an issue's text in a line


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
    t: Translator, group: Group, today: date, content: Briefing, *, preview: bool = False
) -> Html:
    """The morning briefing: only the sections with something to say; an empty day in
    one line."""
    weekday = t.plain(f"weekday.{today.weekday()}")
    lines: list[str] = [
        t("briefing.title", group=group.title, date=today.isoformat(), weekday=weekday)
    ]
    if preview:
        lines.append(t("briefing.preview"))
    if content.empty:
        lines.append(t("briefing.empty"))
        return Html("\n".join(lines))
    if content.events:
        lines += ["", t("briefing.events")]
        lines += [list_line(t, group, e) for e in content.events]
    if content.birthdays:
        lines += ["", t("briefing.birthdays")]
        lines += [
            t("briefing.birthday_line", who=mention(m), years=years)
            for m, years in content.birthdays
        ]
    if content.due:
        lines += ["", t("briefing.due")]
        lines += [due_line(t, d, today) for d in content.due]
        if content.due_more:
            lines.append(t("briefing.more", count=content.due_more))
    counts = content.issues
    if counts.total:
        lines += [
            "",
            t(
                "briefing.issues",
                open=counts.found - counts.fixed,
                fixed=counts.fixed - counts.verified,
                verified=counts.verified,
                new=content.new_issues,
            ),
        ]
    if content.progress:
        lines += ["", t("briefing.progress")]
        lines += [_progress_line(t, p) for p in content.progress]
    if content.hours_minutes:
        lines += [
            "",
            t(
                "briefing.hours",
                hours=hours_text(content.hours_minutes),
                people=content.hours_people,
            ),
        ]
    return Html("\n".join(lines))


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


def deadline_reminder(t: Translator, group_title: str, item: Due, today: date) -> Html:
    """A private reminder of a milestone or an issue deadline (tomorrow or today)."""
    day = "day" if item.due_on <= today else "eve"
    return t(
        f"reminder.{item.kind}_{day}",
        number=item.number,
        text=excerpt(item.text, EXCERPT),
        group=group_title,
        date=item.due_on.isoformat(),
    )


def deadlines_in_group(t: Translator, lines: list[Html]) -> Html:
    """The group's note for the people responsible who cannot be written to."""
    return Html("\n".join([t("reminder.group_title"), *lines, t("private.unreachable_hint")]))


def unreachable_line(t: Translator, member: Member, item: Due, today: date) -> Html:
    """``@person: milestone … is due tomorrow``."""
    return t(
        "reminder.group_line",
        who=mention(member),
        what=deadline_reminder(t, "", item, today),
    )


def birthday_greeting(t: Translator, group: Group, member: Member, years: int) -> Html:
    """The private greeting on a member's political birthday."""
    return t("reminder.birthday", name=member.display_name, years=years, group=group.title)


def calendar_note(t: Translator, group: Group, today: date) -> Html | None:
    """A warning when workdays are on and the holiday calendar does not cover this
    year (Monday–Friday is used)."""
    if group.workdays_only and not covers(today.year):
        return t("settings.calendar_uncovered", year=today.year)
    return None


def render_status(
    t: Translator,
    group: Group,
    now: datetime,
    last: Delivery | None,
    waiting: int,
    failed: list[OutboxMessage],
    failed_total: int,
    names: dict[int, str],
) -> Html:
    """``/briefing status``: the schedule, the last morning, and what could not be sent."""
    zone = ZoneInfo(group.timezone)
    today = now.astimezone(zone).date()
    lines: list[str] = [
        t("status.title"),
        t(
            "status.schedule",
            time=group.briefing_time.strftime("%H:%M"),
            zone=group.timezone,
            workdays=t.plain("status.workdays_on" if group.workdays_only else "status.every_day"),
        ),
    ]
    if last is not None:
        lines.append(
            t(
                "status.last",
                when=last.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                outcome=t.plain(f"status.outcome.{MorningOutcome(last.outcome).value}"),
            )
        )
    note = calendar_note(t, group, today)
    if note:
        lines.append(note)
    lines.append(t("status.waiting", count=waiting))
    if not failed:
        lines.append(t("status.failed_none"))
        return Html("\n".join(lines))
    lines.append(t("status.failed", count=failed_total))
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
                error=excerpt(message.error or "", EXCERPT),
                text=excerpt(plain_text(message.text), 30),
            )
        )
    return Html("\n".join(lines))
