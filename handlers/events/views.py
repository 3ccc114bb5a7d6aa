"""Events — what people see: the announcement with its live count, the lists, one event
with its people, the attendance sheet, the hours leaderboard. Pure functions from rows to
localised Telegram HTML; no Telegram calls."""

from __future__ import annotations

from datetime import datetime

from domain.events import hours_text, hours_total_text
from domain.kinds import CheckinMethod, SignupStatus
from domain.names import name_key
from handlers.common import split_message
from handlers.event_lines import (
    TYPE_ICONS,
    counts_text,
    list_line,
    local_time,
    type_text,
    when_text,
)
from handlers.i18n import Html, Translator
from storage.hours import BoardLine
from storage.models import Event, EventSignup, Group, Member

MAX_NAMES = 60  # people named in one list of the detail
MAX_ATTENDANCE = 80  # people with a line of their own on the attendance sheet


def headline(t: Translator, event: Event) -> Html:
    """``🤝 志愿服务 #1 洁城绿生活``."""
    return t(
        "event.headline",
        icon=TYPE_ICONS.get(event.kind, "📌"),
        type=type_text(t, event.kind),
        number=event.number,
        title=event.title,
    )


def announcement(t: Translator, group: Group, event: Event, checked_in: int, now: datetime) -> Html:
    """The group's announcement of an event, as it is now: when, where, the count."""
    lines = [headline(t, event), t("event.when", when=when_text(t, group, event))]
    if event.place:
        lines.append(t("event.where", place=event.place))
    lines.append(counts_text(t, event))
    if checked_in:
        lines.append(t("event.checked_in_count", count=checked_in))
    if event.ends_at <= now:
        lines.append(t("event.ended"))
    else:
        lines.append(t("event.announce_hint", number=event.number))
    return Html("\n".join(lines))


def render_list(
    t: Translator,
    group: Group,
    events: list[Event],
    *,
    past: bool,
    attended: dict[int, int] | None = None,
    more: bool = False,
) -> list[Html]:
    """/events (upcoming, soonest first; ``more``: there are more than shown) or /events
    past (latest first)."""
    if not events:
        return [t("events.none_past" if past else "events.none")]
    title = t("events.title_past" if past else "events.title", count=len(events))
    lines: list[str] = [title]
    for event in events:
        seen = (attended or {}).get(event.id, 0) if past else None
        lines.append(list_line(t, group, event, seen))
    if more:
        lines.append(t("events.more", count=len(events)))
    if not past:
        lines.append(t("events.hint"))
    return split_message(lines)


def _names(t: Translator, people: list[Member]) -> str:
    shown = [p.display_name for p in people[:MAX_NAMES]]
    if len(people) > MAX_NAMES:
        shown.append(t.plain("list.more", count=len(people) - MAX_NAMES))
    return t.plain("list.separator").join(shown) or "—"


def render_detail(
    t: Translator,
    group: Group,
    event: Event,
    people: list[tuple[EventSignup, Member]],
    photos: int,
    now: datetime,
) -> list[Html]:
    """/event n: the event, who has a place, who waits, who checked in, its photos."""
    lines: list[str] = [headline(t, event), t("event.when", when=when_text(t, group, event))]
    if event.place:
        lines.append(t("event.where", place=event.place))
    lines.append(counts_text(t, event))
    if event.recorded:
        lines.append(t("event.recorded_note", number=event.number))
    else:
        lines.append(t("event.checkin_by", how=checkin_how(t, event)))
    joined = _by_name([m for s, m in people if s.status == SignupStatus.IN])
    waiting = [m for s, m in people if s.status == SignupStatus.WAITING]  # in queue order
    present = _by_name([m for s, m in people if s.checked_in_at is not None])
    lines.append(t("event.people_in", names=_names(t, joined)))
    if waiting:
        lines.append(t("event.people_waiting", names=_names(t, waiting)))
    if present:
        lines.append(t("event.people_present", names=_names(t, present)))
    if photos:
        lines.append(t("event.photos", count=photos))
    if event.ends_at <= now:
        lines.append(t("event.ended"))
    return split_message(lines)


def checkin_how(t: Translator, event: Event) -> str:
    """How people check in to this event: by location (radius) or by code, walk-ins."""
    if event.latitude is not None:
        key = "event.how_location_pin" if event.allow_pin else "event.how_location"
        how = t.plain(key)
        if event.code_fallback:
            how += t.plain("event.how_or_code")
    else:
        how = t.plain("event.how_code")
    if event.walk_in:
        how += t.plain("event.how_walk_in")
    return how


def _time(moment: datetime | None, group: Group) -> str:
    return local_time(moment, group).strftime("%H:%M") if moment is not None else "—"


def _present_line(
    t: Translator, group: Group, signup: EventSignup, member: Member, recorders: dict[int, Member]
) -> Html:
    """One person who came: their check-in and check-out, or who recorded them (补录)."""
    if signup.method == CheckinMethod.RECORDED:
        by = recorders.get(signup.recorded_by or 0)
        return t(
            "attendance.recorded_line",
            name=member.display_name,
            by=by.display_name if by is not None else "—",
            hours=hours_text(signup.minutes or 0),
        )
    return t(
        "attendance.line",
        name=member.display_name,
        checked_in=_time(signup.checked_in_at, group),
        checked_out=_time(signup.checked_out_at, group)
        if signup.checked_out_at is not None
        else t.plain("attendance.no_checkout"),
        hours=hours_text(signup.minutes or 0),
        method=t.plain(f"checkin.method.{signup.method}"),
    )


def render_attendance(
    t: Translator,
    group: Group,
    event: Event,
    people: list[tuple[EventSignup, Member]],
    now: datetime,
    recorders: dict[int, Member] | None = None,
) -> list[Html]:
    """/attendance n: everyone signed up with their check-in, check-out and hours (or,
    recorded after the fact, 补录 and by whom); the waiting list; the no-shows once
    check-in has closed."""
    lines: list[str] = [
        t("attendance.title", number=event.number, title=event.title),
        t("event.when", when=when_text(t, group, event)),
    ]
    present = sorted(
        ((s, m) for s, m in people if s.checked_in_at is not None),
        key=lambda row: name_key(row[1].display_name),
    )
    joined = [(s, m) for s, m in people if s.status == SignupStatus.IN]
    waiting = [m for s, m in people if s.status == SignupStatus.WAITING]
    lines.append(
        t(
            "attendance.summary",
            joined=len(joined),
            present=len(present),
            waiting=len(waiting),
            hours=hours_total_text(s.minutes or 0 for s, _ in present),
        )
    )
    recorded = sum(1 for s, _ in present if s.method == CheckinMethod.RECORDED)
    if recorded:
        lines.append(t("attendance.recorded_count", count=recorded))
    for signup, member in present[:MAX_ATTENDANCE]:
        lines.append(_present_line(t, group, signup, member, recorders or {}))
    if len(present) > MAX_ATTENDANCE:
        lines.append(t("attendance.more", count=len(present) - MAX_ATTENDANCE))
    absent = _by_name([m for s, m in joined if s.checked_in_at is None])
    if absent:
        key = "attendance.no_shows" if event.ends_at <= now else "attendance.not_yet"
        lines.append(t(key, names=_names(t, absent)))
    if waiting:
        lines.append(t("event.people_waiting", names=_names(t, waiting)))
    return split_message(lines)


def render_board(t: Translator, heading: Html, board: list[BoardLine]) -> list[Html]:
    """/hours: the leaderboard, most hours first."""
    if not board:
        return [Html(heading + "\n" + t("hours.none"))]
    lines: list[str] = [heading]
    medals = {0: "🥇", 1: "🥈", 2: "🥉"}
    for index, line in enumerate(board):
        lines.append(
            t(
                "hours.line",
                rank=medals.get(index, f"{index + 1}."),
                name=line.member.display_name,
                hours=hours_text(line.minutes),
                events=line.events,
            )
        )
    return split_message(lines)


def render_person(
    t: Translator, who: str, month: tuple[int, int], year: tuple[int, int], ever: tuple[int, int]
) -> Html:
    """/hours @user: the person's hours this month, this year and in all."""
    return t(
        "hours.person",
        name=who,
        month=hours_text(month[0]),
        month_events=month[1],
        year=hours_text(year[0]),
        year_events=year[1],
        all=hours_text(ever[0]),
        all_events=ever[1],
    )


def _by_name(members: list[Member]) -> list[Member]:
    """People in the order a Chinese reader looks for a name: by pinyin."""
    return sorted(members, key=lambda m: name_key(m.display_name))
