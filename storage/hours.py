"""Volunteer hours (志愿服务时长): the minutes credited at the group's volunteer events,
summed per person over a period, and the rows of the hours register.

Minutes count once the person has checked out or the event has ended (until then the
time is still running). Only ``volunteer`` events count towards hours; the other
activities show their attendance, not hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Period
from domain.kinds import EventType
from storage.models import Event, EventSignup, Member

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
    minutes = func.sum(EventSignup.minutes)
    rows = await session.execute(
        select(EventSignup.user_id, minutes, func.count())
        .join(Event, Event.id == EventSignup.event_id)
        .where(_counted(group_id, now), *_held_in(period))
        .group_by(EventSignup.user_id)
        .order_by(minutes.desc(), EventSignup.user_id)
        .limit(limit)
    )
    found = list(rows)
    people = {
        m.user_id: m
        for m in await session.scalars(
            select(Member).where(Member.user_id.in_([uid for uid, _, _ in found]))
        )
    }
    return [
        BoardLine(people[uid], int(total or 0), int(count))
        for uid, total, count in found
        if uid in people
    ]


async def minutes_by_person(session: AsyncSession, group_id: int, now: datetime) -> dict[int, int]:
    """Everyone's volunteer minutes in the group, all time (for the roster)."""
    rows = await session.execute(
        select(EventSignup.user_id, func.sum(EventSignup.minutes))
        .join(Event, Event.id == EventSignup.event_id)
        .where(_counted(group_id, now))
        .group_by(EventSignup.user_id)
    )
    return {uid: int(total or 0) for uid, total in rows}


async def person_minutes(
    session: AsyncSession,
    group_id: int,
    user_id: int,
    periods: Sequence[Period],
    now: datetime,
) -> list[tuple[int, int]]:
    """The person's (minutes, events) in the group for each period, in one read."""
    columns: list[ColumnElement[int]] = []
    for period in periods:
        inside = and_(true(), *_held_in(period))
        columns.append(func.coalesce(func.sum(case((inside, EventSignup.minutes), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((inside, 1), else_=0)), 0))
    row = (
        await session.execute(
            select(*columns)
            .join(Event, Event.id == EventSignup.event_id)
            .where(_counted(group_id, now), EventSignup.user_id == user_id)
        )
    ).one()
    return [(int(row[2 * n] or 0), int(row[2 * n + 1] or 0)) for n in range(len(periods))]


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
    """The group's volunteer (minutes, people) over the period: one read on the group's
    events of the period."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(EventSignup.minutes), 0),
                func.count(func.distinct(EventSignup.user_id)),
            )
            .join(Event, Event.id == EventSignup.event_id)
            .where(_counted(group_id, now), *_held_in(period))
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)
