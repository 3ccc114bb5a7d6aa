"""The volunteer tallies (kept by triggers, migration 0017) on a real database (SQLite
file; PostgreSQL when configured): after every kind of write — sign-up, check-in and
out, withdrawal, 补录 added, corrected and taken back, a member leaving, an event moved
or retyped, an event or a group deleted — the tallies equal a recount of the sign-ups,
and every hours read (leaderboard, roster, a person's hours, the group's total) gives
what the sign-ups themselves give, for local months, years and all time, while an event
runs and after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, Period
from domain.kinds import CheckinMethod, EventType
from storage import attendance, hours
from storage import events as store
from storage.db import Database
from storage.groups import GroupDefaults, ensure_group
from storage.members import PersonInfo, ensure_member, leave_group
from storage.models import Event, EventSignup, Group, VolunteerTally
from tests import test_events_storage as events_storage

ZONE = "Asia/Shanghai"
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)  # when people sign up
# a Shanghai March evening that is still February in UTC, mid-March, a Shanghai April
# night that is still March in UTC, and one in May
STARTS = [
    datetime(2026, 2, 28, 20, tzinfo=UTC),
    datetime(2026, 3, 15, 1, tzinfo=UTC),
    datetime(2026, 3, 31, 17, tzinfo=UTC),
    datetime(2026, 5, 2, 1, tzinfo=UTC),
]
PERIODS = [
    Period(),
    Period.of_year(2026, ZONE),
    Period.of_year(2026, "America/New_York"),
    Period.of_year(2026, "UTC"),
    Month(2026, 2, ZONE).period,
    Month(2026, 3, ZONE).period,
    Month(2026, 4, ZONE).period,
    Month(2026, 3, "UTC").period,
    Period(datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 5, 2, 2, tzinfo=UTC)),
    Period(datetime(2026, 3, 1, tzinfo=UTC)),
    Period(None, datetime(2026, 3, 20, tzinfo=UTC)),
]
# while the third event runs (checked in, not out), and after everything
MOMENTS = [STARTS[2] + timedelta(hours=1), datetime(2026, 6, 1, tzinfo=UTC)]


async def setup(db: Database, chat_id: int) -> int:
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, "养护一班", "group", GroupDefaults(), BEFORE)
        for uid in range(1, 8):
            await ensure_member(session, PersonInfo(uid, f"队员{uid}"), BEFORE)
        return group.id


async def new_event(db: Database, group_id: int, start: datetime, kind: EventType) -> Event:
    """An event of three places that takes walk-ins."""
    return await events_storage.new_event(db, group_id, 3, kind=kind, walk_in=True, start=start)


async def tallied(session: AsyncSession, group_id: int) -> dict[tuple[int, int], tuple[int, int]]:
    """The tallies: (month, person) → (minutes, sign-ups), rows brought back to zero apart."""
    rows = await session.execute(
        select(VolunteerTally.month, VolunteerTally.user_id, VolunteerTally.minutes)
        .add_columns(VolunteerTally.events)
        .where(VolunteerTally.group_id == group_id)
    )
    return {(m, u): (minutes, n) for m, u, minutes, n in rows if (minutes, n) != (0, 0)}


async def recount(session: AsyncSession, group_id: int) -> dict[tuple[int, int], tuple[int, int]]:
    """The same, counted from the sign-ups."""
    rows = await session.execute(
        select(Event.starts_at, EventSignup.user_id, EventSignup.minutes)
        .join(Event, Event.id == EventSignup.event_id)
        .where(
            Event.group_id == group_id,
            Event.kind == EventType.VOLUNTEER.value,
            EventSignup.minutes.is_not(None),
        )
    )
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for starts, uid, minutes in rows:
        for month in (0, starts.year * 100 + starts.month):
            total, n = found.get((month, uid), (0, 0))
            found[(month, uid)] = (total + (minutes or 0), n + 1)
    return found


async def counted(
    session: AsyncSession, group_id: int, period: Period, now: datetime
) -> dict[int, tuple[int, int]]:
    """Each person's (minutes, sign-ups) over the period, read the plain way: every
    sign-up of the group's volunteer events, credited, checked out or ended by ``now``."""
    where = [
        Event.group_id == group_id,
        Event.kind == EventType.VOLUNTEER.value,
        EventSignup.minutes.is_not(None),
        or_(EventSignup.checked_out_at.is_not(None), Event.ends_at <= now),
    ]
    if period.since is not None:
        where.append(Event.starts_at >= period.since)
    if period.until is not None:
        where.append(Event.starts_at < period.until)
    rows = await session.execute(
        select(EventSignup.user_id, func.sum(EventSignup.minutes), func.count())
        .join(Event, Event.id == EventSignup.event_id)
        .where(*where)
        .group_by(EventSignup.user_id)
    )
    return {uid: (int(total or 0), int(n)) for uid, total, n in rows}


async def check(db: Database, group_id: int, reads: bool = True) -> None:
    """The tallies match the sign-ups, and (with ``reads``) every read matches the plain
    count."""
    async with db.read() as session:
        assert await tallied(session, group_id) == await recount(session, group_id)
        for now in MOMENTS if reads else []:
            expected = [await counted(session, group_id, period, now) for period in PERIODS]
            for period, wanted in zip(PERIODS, expected, strict=True):
                board = await hours.board(session, group_id, period, now, limit=100)
                assert {x.member.user_id: (x.minutes, x.events) for x in board} == wanted
                total = (sum(m for m, _ in wanted.values()), len(wanted))
                assert await hours.group_total(session, group_id, period, now) == total
            roster = await hours.minutes_by_person(session, group_id, now)
            assert roster == {uid: minutes for uid, (minutes, _) in expected[0].items()}
            for uid in range(1, 8):
                mine = await hours.person_minutes(session, group_id, uid, PERIODS, now)
                assert mine == [found.get(uid, (0, 0)) for found in expected]


Step = Callable[[AsyncSession], Awaitable[object]]


def join(event: Event, uid: int) -> Step:
    return lambda s: store.join(s, event, uid, BEFORE)


def check_in(event: Event, uid: int, at: datetime) -> Step:
    return lambda s: store.check_in(s, event, uid, at, CheckinMethod.CODE, ZONE)


def check_out(event: Event, uid: int, after: timedelta) -> Step:
    return lambda s: store.check_out(s, event, uid, event.starts_at + after, ZONE)


def record(event: Event, uids: list[int], minutes: int | None) -> Step:
    at = event.starts_at + timedelta(days=1)
    return lambda s: attendance.record_present(s, event, uids, 2, minutes, at, ZONE)


def change(event: Event, **values: object) -> Step:
    return lambda s: s.execute(update(Event).where(Event.id == event.id).values(**values))


def every_write(group_id: int, events: list[Event], lesson: Event, elsewhere: Event) -> list[Step]:
    """Sign-ups, check-ins and outs, a withdrawal, 补录 added, corrected and taken back,
    a member leaving, an event moved and retyped and back, sign-ups and an event deleted."""
    first, second, third, fourth = events
    at = [e.starts_at for e in events]
    return [
        *[join(event, uid) for event in (first, second, third, lesson) for uid in (1, 2, 3, 4)],
        join(elsewhere, 1),
        lambda s: store.leave(s, second, 4, BEFORE),  # waiting: withdrawn
        check_in(first, 1, at[0]),
        check_in(first, 2, at[0] + timedelta(minutes=20)),
        check_out(first, 1, timedelta(hours=1)),
        check_in(second, 1, at[1]),
        check_in(second, 2, at[1]),
        check_in(lesson, 1, at[1]),  # credited, but a lesson is no volunteer service
        check_in(elsewhere, 1, at[1]),
        record(second, [4, 5], 90),  # 补录: one waiting before, one new
        record(second, [5, 1], 120),  # corrected; 1 checked in on their own: kept
        lambda s: attendance.remove_record(s, second, [4], at[1] + timedelta(days=1)),
        check_in(third, 3, at[2]),  # runs at the first moment checked
        check_in(third, 6, at[2] + timedelta(minutes=5)),  # a walk-in
        check_out(third, 6, timedelta(hours=1)),
        record(fourth, [7], None),
        lambda s: leave_group(s, group_id, 2, at[3]),  # hours stay with the group
        change(first, starts_at=STARTS[3]),
        change(lesson, kind="volunteer"),
        change(lesson, kind="lesson"),
        change(first, starts_at=STARTS[0]),
        lambda s: s.execute(delete(EventSignup).where(EventSignup.event_id == fourth.id)),
        record(fourth, [7, 3], 45),
        lambda s: s.execute(delete(Event).where(Event.id == second.id)),
    ]


async def test_tallies_and_reads_match_the_sign_ups_through_every_write(database: Database) -> None:
    group_id = await setup(database, -100)
    other_id = await setup(database, -200)
    events = [await new_event(database, group_id, start, EventType.VOLUNTEER) for start in STARTS]
    lesson = await new_event(database, group_id, STARTS[1], EventType.LESSON)
    elsewhere = await new_event(database, other_id, STARTS[1], EventType.VOLUNTEER)
    steps = every_write(group_id, events, lesson, elsewhere)
    for n, step in enumerate(steps, start=1):
        async with database.transaction() as session:
            await step(session)
        await check(database, group_id, reads=n % 4 == 0 or n == len(steps))
    await check(database, other_id)
    async with database.read() as session:
        assert (await tallied(session, other_id)).keys() == {(0, 1), (202603, 1)}
    async with database.transaction() as session:
        await session.execute(delete(Group).where(Group.id == other_id))
    async with database.read() as session:
        assert await tallied(session, other_id) == {}
        assert await tallied(session, group_id) == await recount(session, group_id) != {}
