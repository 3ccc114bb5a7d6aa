"""Volunteer hours (志愿服务时长): the minutes credited at the group's volunteer events,
summed per person over a period, and the rows of the hours register.

Minutes count once the person has checked out or the event has ended (until then the
time is still running). Only ``volunteer`` events count towards hours; the other
activities show their attendance, not hours.

The sums read ``volunteer_tallies`` (kept by triggers: every credited minute, all time
and per UTC month of the event's start), take off the minutes of events still running
(read on the events' end index) and read the part of a period that does not fill whole
UTC months (a local month, a year's first and last hours) from the sign-ups of the
events that start in it: however long a group's history, a sum reads at most a row per
person and month, the running events and a month of sign-ups at each edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Integer, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Period
from domain.kinds import EventType
from storage.members import members_by_id
from storage.models import Event, EventSignup, Member, VolunteerTally

BOARD_SIZE = 30  # people on the leaderboard
REGISTER_EVENTS = 100  # events read at once for the hours register


def _counted(group_id: int, now: datetime) -> ColumnElement[bool]:
    return and_(
        Event.group_id == group_id,
        Event.kind == EventType.VOLUNTEER.value,
        EventSignup.minutes.is_not(None),
        or_(EventSignup.checked_out_at.is_not(None), Event.ends_at <= now),
    )


def _held_in(period: Period) -> list[ColumnElement[bool]]:
    """The conditions on an event's start that keep it in the period."""
    found = []
    if period.since is not None:
        found.append(Event.starts_at >= period.since)
    if period.until is not None:
        found.append(Event.starts_at < period.until)
    return found


def month_key(moment: datetime) -> int:
    """The tally month of an event starting at ``moment``: its UTC month as YYYYMM (the
    triggers of migration 0017 compute the same)."""
    utc = moment.astimezone(UTC)
    return utc.year * 100 + utc.month


def _month_start(moment: datetime, ahead: int = 0) -> datetime:
    """The first instant of the UTC month of ``moment``, or of the ``ahead``-th after."""
    utc = moment.astimezone(UTC)
    index = utc.year * 12 + utc.month - 1 + ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Split:
    """A period as the tallies read it: the whole UTC months in it (month keys, first
    and last; (0, 0) all time; None: none), the starts they cover, and the spans left at
    its edges, read from the sign-ups."""

    months: tuple[int, int] | None
    span: Period
    edges: tuple[Period, ...]


def _split(period: Period) -> _Split:
    """Which of ``period`` the tallies answer, and what is left at its edges."""
    since, until = period.since, period.until
    if since is None and until is None:
        return _Split((0, 0), period, ())
    if since is None or until is None:
        return _Split(None, period, (period,))
    first = _month_start(since, 0 if _month_start(since) == since else 1)
    end = _month_start(until)
    if end <= first:
        return _Split(None, period, (period,))
    edges = tuple(p for p in (Period(since, first), Period(end, until)) if p.since != p.until)
    last = month_key(end - timedelta(seconds=1))
    return _Split((month_key(first), last), Period(first, end), edges)


Part = Select[int, int, int | None, int]  # (tag, user_id, minutes, events)


def _parts(
    group_id: int, period: Period, now: datetime, tag: int = 0, user_id: int | None = None
) -> list[Part]:
    """The rows whose sums per person are the minutes and events counted in the period:
    tallied months, less what still runs in them, plus the edges' sign-ups."""
    split = _split(period)
    label = literal(tag, Integer).label("tag")
    found: list[Part] = []
    person = [] if user_id is None else [EventSignup.user_id == user_id]
    if split.months is not None:
        tally = VolunteerTally
        found.append(
            select(label, tally.user_id, tally.minutes, tally.events).where(
                tally.group_id == group_id,
                tally.month.between(*split.months),
                *([] if user_id is None else [tally.user_id == user_id]),
            )
        )
        found.append(
            select(label, EventSignup.user_id, -EventSignup.minutes, literal(-1, Integer))
            .join(Event, Event.id == EventSignup.event_id)
            .where(
                Event.group_id == group_id,
                Event.ends_at > now,
                Event.kind == EventType.VOLUNTEER.value,
                EventSignup.minutes.is_not(None),
                EventSignup.checked_out_at.is_(None),
                *_held_in(split.span),
                *person,
            )
        )
    for edge in split.edges:
        found.append(
            select(label, EventSignup.user_id, EventSignup.minutes, literal(1, Integer))
            .join(Event, Event.id == EventSignup.event_id)
            .where(_counted(group_id, now), *_held_in(edge), *person)
        )
    return found


def _per_person(parts: Sequence[Part]) -> Select[int, int, int | None, int | None]:
    """(tag, user_id, minutes, events) summed per tag and person, those with events."""
    rows = union_all(*parts).subquery()
    tag, user_id, minutes, events = rows.c
    total, count = func.sum(minutes), func.sum(events)
    return (
        select(tag, user_id, total.label("minutes"), count.label("events"))
        .group_by(tag, user_id)
        .having(count > 0)
    )


@dataclass(frozen=True)
class BoardLine:
    """One person on the leaderboard."""

    member: Member
    minutes: int
    events: int


async def board(
    session: AsyncSession, group_id: int, period: Period, now: datetime, limit: int = BOARD_SIZE
) -> list[BoardLine]:
    """The group's volunteer-hours leaderboard for the period: most minutes first."""
    sums = _per_person(_parts(group_id, period, now)).subquery()
    rows = await session.execute(
        select(sums.c.user_id, sums.c.minutes, sums.c.events)
        .order_by(sums.c.minutes.desc(), sums.c.user_id)
        .limit(limit)
    )
    found = list(rows)
    people = await members_by_id(session, [uid for uid, _, _ in found])
    return [
        BoardLine(people[uid], int(total or 0), int(count or 0))
        for uid, total, count in found
        if uid in people
    ]


async def minutes_by_person(session: AsyncSession, group_id: int, now: datetime) -> dict[int, int]:
    """Everyone's volunteer minutes in the group, all time (for the roster)."""
    rows = await session.execute(_per_person(_parts(group_id, Period(), now)))
    return {uid: int(total or 0) for _, uid, total, _ in rows}


async def person_minutes(
    session: AsyncSession,
    group_id: int,
    user_id: int,
    periods: Sequence[Period],
    now: datetime,
) -> list[tuple[int, int]]:
    """The person's (minutes, events) in the group for each period, in one read."""
    parts = [
        part
        for n, period in enumerate(periods)
        for part in _parts(group_id, period, now, n, user_id)
    ]
    found = {
        tag: (int(total or 0), int(count or 0))
        for tag, _, total, count in await session.execute(_per_person(parts))
    }
    return [found.get(n, (0, 0)) for n in range(len(periods))]


RegisterRow = tuple[Event, EventSignup, Member]
EventKey = tuple[datetime, int]  # (start, id): where the next chunk of the register starts


async def register_chunk(
    session: AsyncSession, group_id: int, after: EventKey | None, events: int = REGISTER_EVENTS
) -> tuple[list[RegisterRow], EventKey | None]:
    """The next ``events`` events of the group (by start, all types) after ``after``,
    with every sign-up of each in the order people signed up: a chunk of the hours
    register, and where the next one starts (None when this was the last)."""
    query = select(Event).where(Event.group_id == group_id)
    if after is not None:
        query = query.where(
            or_(Event.starts_at > after[0], and_(Event.starts_at == after[0], Event.id > after[1]))
        )
    found = list(await session.scalars(query.order_by(Event.starts_at, Event.id).limit(events)))
    if not found:
        return [], None
    rows = await session.execute(
        select(EventSignup, Member)
        .join(Member, Member.user_id == EventSignup.user_id)
        .where(EventSignup.event_id.in_([e.id for e in found]))
        .order_by(EventSignup.event_id, EventSignup.status, EventSignup.seq)
    )
    by_event: dict[int, list[tuple[EventSignup, Member]]] = {}
    for signup, member in rows:
        by_event.setdefault(signup.event_id, []).append((signup, member))
    chunk = [(e, s, m) for e in found for s, m in by_event.get(e.id, [])]
    last = found[-1]
    return chunk, (last.starts_at, last.id) if len(found) == events else None


async def group_total(
    session: AsyncSession, group_id: int, period: Period, now: datetime
) -> tuple[int, int]:
    """The group's volunteer (minutes, people) over the period, in one read."""
    sums = _per_person(_parts(group_id, period, now)).subquery()
    total = select(func.coalesce(func.sum(sums.c.minutes), 0), func.count()).select_from(sums)
    row = (await session.execute(total)).one()
    return int(row[0] or 0), int(row[1] or 0)
