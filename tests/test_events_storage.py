"""Event rules in storage, on a real database (SQLite file; PostgreSQL when configured):
places and the waiting list under concurrency, check-in rules, credited minutes and the
hours leaderboard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import Period
from domain.errors import Refused, UnknownNumber
from domain.events import LONGEST
from domain.kinds import CheckinMethod, EventType, SignupStatus
from storage import event_reads as reads
from storage import events as store
from storage import hours
from storage.db import Database
from storage.groups import GroupDefaults, ensure_group
from storage.members import PersonInfo, ensure_member
from storage.models import Event

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
END = START + timedelta(hours=2, minutes=30)
ZONE = "Asia/Shanghai"


async def setup_group(db: Database, people: int = 30, chat_id: int = -100) -> int:
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, "养护一班", "group", GroupDefaults(), NOW)
        for uid in range(1, people + 1):
            await ensure_member(session, PersonInfo(uid, f"队员{uid}"), NOW)
        return group.id


async def new_event(
    db: Database,
    group_id: int,
    cap: int | None = 12,
    *,
    kind: EventType = EventType.VOLUNTEER,
    walk_in: bool = False,
    start: datetime = START,
    length: timedelta = END - START,
) -> Event:
    draft = store.EventDraft(
        kind=kind,
        title="洁城绿生活",
        place="明翠社区",
        starts_at=start,
        ends_at=start + length,
        end_given=True,
        cap=cap,
        latitude=None,
        longitude=None,
        walk_in=walk_in,
    )
    async with db.transaction() as session:
        return await store.create_event(session, group_id, 1, draft, NOW)


async def join(db: Database, event: Event, uid: int) -> store.Joined:
    async with db.transaction() as session:
        return await store.join(session, event, uid, NOW)


async def leave(db: Database, event: Event, uid: int) -> store.Left:
    async with db.transaction() as session:
        return await store.leave(session, event, uid, NOW)


async def check_in(db: Database, event: Event, uid: int, when: datetime) -> None:
    async with db.transaction() as session:
        await store.check_in(session, event, uid, when, CheckinMethod.CODE, ZONE)


async def reread(db: Database, event: Event) -> Event:
    async with db.read() as session:
        return await store.get_event(session, event.group_id, event.number)


async def test_numbers_tokens_and_codes(database: Database) -> None:
    a = await setup_group(database, chat_id=-1)
    b = await setup_group(database, chat_id=-2)
    first, second, other = (
        await new_event(database, a),
        await new_event(database, a),
        await new_event(database, b),
    )
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert len({first.link_token, first.qr_token, second.link_token, other.link_token}) == 4
    assert len(first.checkin_code) == 6 and first.checkin_code.isalnum()
    async with database.read() as session:
        assert (await reads.event_by_token(session, first.qr_token, qr=True)) is not None
        assert (await reads.event_by_token(session, first.qr_token, qr=False)) is None
        with pytest.raises(UnknownNumber):
            await store.get_event(session, b, 2)
        with pytest.raises(UnknownNumber):
            await store.get_event(session, a, 2**63)


async def test_waiting_list_order_and_moving_up(database: Database) -> None:
    group = await setup_group(database)
    event = await new_event(database, group, cap=2)
    assert (await join(database, event, 1)).status == SignupStatus.IN
    assert (await join(database, event, 2)).status == SignupStatus.IN
    assert await join(database, event, 3) == store.Joined(SignupStatus.WAITING, 1)
    assert await join(database, event, 4) == store.Joined(SignupStatus.WAITING, 2)
    with pytest.raises(Refused) as refused:
        await join(database, event, 4)
    assert refused.value.key == "event.already_waiting" and refused.value.params["place"] == 2
    assert await leave(database, event, 3) == store.Left(3, False, None)
    assert await leave(database, event, 1) == store.Left(1, True, 4)
    current = await reread(database, event)
    assert (current.joined_count, current.waiting_count) == (2, 0)
    assert await leave(database, event, 2) == store.Left(2, True, None)
    current = await reread(database, event)
    assert (current.joined_count, current.waiting_count) == (1, 0)
    with pytest.raises(Refused) as refused:
        await leave(database, event, 2)
    assert refused.value.key == "event.not_signed_up"


async def test_twenty_concurrent_joins_fill_exactly_twelve_places(database: Database) -> None:
    group = await setup_group(database)
    event = await new_event(database, group, cap=12)
    results = await asyncio.gather(*(join(database, event, uid) for uid in range(1, 21)))
    assert sum(r.status == SignupStatus.IN for r in results) == 12
    assert sorted(r.place for r in results if r.status == SignupStatus.WAITING) == list(range(1, 9))
    current = await reread(database, event)
    assert (current.joined_count, current.waiting_count) == (12, 8)
    # ten with a place leave at once: all eight waiting move up, each once
    placed = [uid for uid, r in zip(range(1, 21), results, strict=True) if r.status == "in"]
    waiting = set(range(1, 21)) - set(placed)
    left = await asyncio.gather(*(leave(database, event, uid) for uid in placed[:10]))
    promoted = [x.promoted for x in left if x.promoted is not None]
    assert len(promoted) == 8 and set(promoted) == waiting
    current = await reread(database, event)
    assert (current.joined_count, current.waiting_count) == (10, 0)


async def test_checkin_rules(database: Database) -> None:
    group = await setup_group(database)
    event = await new_event(database, group, cap=1)
    await join(database, event, 1)
    await join(database, event, 2)  # waiting
    opens = START - timedelta(minutes=30)
    with pytest.raises(Refused) as refused:
        await check_in(database, event, 1, opens - timedelta(seconds=1))
    assert refused.value.key == "event.checkin_not_yet"
    assert refused.value.params["opens"] == "03-12 08:30"
    await check_in(database, event, 1, opens)
    with pytest.raises(Refused) as refused:
        await check_in(database, event, 1, START)
    assert refused.value.key == "event.already_checked_in"
    with pytest.raises(Refused) as refused:
        await check_in(database, event, 2, START)
    assert refused.value.key == "event.checkin_waiting"
    with pytest.raises(Refused) as refused:
        await check_in(database, event, 3, START)
    assert refused.value.key == "event.checkin_not_signed_up"
    with pytest.raises(Refused) as refused:
        await check_in(database, event, 1, END + timedelta(seconds=1))
    assert refused.value.key == "event.checkin_closed"
    with pytest.raises(Refused) as refused:
        await leave(database, event, 1)
    assert refused.value.key == "event.leave_checked_in"


async def test_walk_ins_are_added_past_the_cap(database: Database) -> None:
    group = await setup_group(database)
    event = await new_event(database, group, cap=1, walk_in=True)
    await join(database, event, 1)
    await join(database, event, 2)  # waiting
    await check_in(database, event, 2, START)
    await check_in(database, event, 3, START)
    current = await reread(database, event)
    assert (current.joined_count, current.waiting_count) == (3, 0)


async def test_checkout_minutes_and_the_leaderboard(database: Database) -> None:
    group = await setup_group(database)
    volunteer = await new_event(database, group, cap=None)
    lesson = await new_event(database, group, cap=None, kind=EventType.LESSON)
    for event in (volunteer, lesson):
        for uid in (1, 2, 3):
            await join(database, event, uid)
            await check_in(database, event, uid, START)
    async with database.transaction() as session:
        signup = await store.check_out(session, volunteer, 1, START + timedelta(hours=1), ZONE)
        assert signup.minutes == 60
        with pytest.raises(Refused):
            await store.check_out(session, volunteer, 1, START + timedelta(hours=2), ZONE)
        with pytest.raises(Refused) as refused:
            await store.check_out(session, volunteer, 3, END + timedelta(hours=2), ZONE)
        assert refused.value.key == "event.checkout_closed"
    march = Period(datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC))
    async with database.read() as session:
        during = await hours.board(session, group, march, START + timedelta(hours=2))
        after = await hours.board(session, group, march, END)
        april = await hours.board(
            session, group, Period(datetime(2026, 3, 31, 16, tzinfo=UTC)), END
        )
        mine = await hours.person_minutes(session, group, 2, [march, Period()], END)
    # while the event runs only the checked-out count; lessons never count as hours
    assert [(line.member.user_id, line.minutes) for line in during] == [(1, 60)]
    assert [(line.member.user_id, line.minutes) for line in after] == [(2, 150), (3, 150), (1, 60)]
    assert april == [] and mine == [(150, 1), (150, 1)]
    async with database.read() as session:
        rows, following = await hours.register_chunk(session, group, None)
    assert len(rows) == 6 and following is None


async def test_another_groups_event_is_invisible(database: Database) -> None:
    a = await setup_group(database, chat_id=-1)
    b = await setup_group(database, chat_id=-2)
    event = await new_event(database, a)
    await join(database, event, 1)
    async with database.read() as session:
        assert await reads.list_upcoming(session, b, NOW) == []
        assert await hours.register_chunk(session, b, None) == ([], None)
        assert [e.number for e in await reads.list_upcoming(session, a, NOW)] == [1]


async def test_the_hours_register_is_read_in_chunks_of_events(database: Database) -> None:
    group = await setup_group(database)
    events = [await new_event(database, group, cap=None) for _ in range(5)]  # same start
    events.append(await new_event(database, group, cap=None, start=START - timedelta(days=1)))
    for event in events:
        for uid in (1, 2):
            await join(database, event, uid)
    seen: list[tuple[int, int]] = []
    after: hours.EventKey | None = None
    chunks = 0
    while True:
        async with database.read() as session:
            rows, after = await hours.register_chunk(session, group, after, events=2)
        seen += [(e.number, s.user_id) for e, s, _ in rows]
        chunks += 1
        if after is None:
            break
    assert chunks == 4  # 2 + 2 + 2 events, then an empty read
    assert seen[:2] == [(6, 1), (6, 2)]  # the earliest first
    assert sorted(seen) == sorted((e.number, uid) for e in events for uid in (1, 2))


async def test_the_upcoming_list_reaches_back_as_far_as_an_event_can_last(
    database: Database,
) -> None:
    group = await setup_group(database)
    # the longest there is: still running a minute before its end
    await new_event(database, group, None, kind=EventType.STUDY, length=LONGEST)
    with pytest.raises(ValueError):  # longer: the list would not see it run
        await new_event(database, group, None, kind=EventType.STUDY, length=LONGEST * 2)
    async with database.read() as session:
        running = await reads.list_upcoming(session, group, START + LONGEST - timedelta(minutes=1))
        assert [e.number for e in running] == [1]
        assert await reads.list_upcoming(session, group, START + LONGEST) == []
