"""Wrong check-in codes in storage, on a real database (SQLite file; PostgreSQL when
configured): counted per person and event within the window, all counted when two
processes record at once, forgotten on success, pruned once they no longer count."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.checkin import WRONG_CODE_WINDOW, wrong_codes_since
from storage.db import Database
from storage.updates import prune_stale
from storage.wrong_codes import (
    count_wrong_codes,
    forget_wrong_codes,
    prune_wrong_codes,
    record_wrong_code,
)
from tests.test_events_storage import NOW, new_event, setup_group


async def record(db: Database, event_id: int, uid: int, minutes_ago: float) -> None:
    async with db.transaction() as session:
        await record_wrong_code(session, event_id, uid, NOW - timedelta(minutes=minutes_ago))


async def count(db: Database, event_id: int, uid: int) -> int:
    async with db.read() as session:
        return await count_wrong_codes(session, event_id, uid, wrong_codes_since(NOW))


async def test_only_the_persons_wrong_codes_for_the_event_within_the_window_count(
    database: Database,
) -> None:
    group = await setup_group(database)
    event, other = (await new_event(database, group)).id, (await new_event(database, group)).id
    await record(database, event, 1, 0)
    await record(database, event, 1, 29.9)
    await record(database, event, 1, 30)  # exactly the window ago: no longer counts
    await record(database, event, 1, 45)
    await record(database, event, 2, 1)
    await record(database, other, 1, 1)
    assert await count(database, event, 1) == 2
    assert await count(database, event, 2) == 1
    assert await count(database, other, 1) == 1
    assert await count(database, other, 2) == 0


async def test_wrong_codes_recorded_at_once_by_two_processes_all_count(
    database: Database,
) -> None:
    group = await setup_group(database)
    event = (await new_event(database, group)).id
    second = Database(database.url)  # another bot process on the same database
    try:
        await asyncio.gather(
            *(record(db, event, 1, 0) for _ in range(6) for db in (database, second))
        )
        assert await count(database, event, 1) == 12
        assert await count(second, event, 1) == 12
    finally:
        await second.dispose()


async def test_a_right_code_forgets_the_persons_wrong_ones_only(database: Database) -> None:
    group = await setup_group(database)
    event = (await new_event(database, group)).id
    for uid in (1, 1, 2):
        await record(database, event, uid, 1)
    async with database.transaction() as session:
        await forget_wrong_codes(session, event, 1)
    assert await count(database, event, 1) == 0
    assert await count(database, event, 2) == 1


async def test_wrong_codes_that_no_longer_count_are_pruned_hourly(database: Database) -> None:
    group = await setup_group(database)
    event = (await new_event(database, group)).id
    for minutes in (1, 29, 31, 600):
        await record(database, event, 1, minutes)
    async with database.transaction() as session:
        assert await prune_wrong_codes(session, NOW) == 2
    assert await count(database, event, 1) == 2
    async with database.transaction() as session:  # the housekeeping prunes them too
        await prune_stale(session, NOW + WRONG_CODE_WINDOW)
    async with database.read() as session:
        assert await count_wrong_codes(session, event, 1, NOW - timedelta(days=1)) == 0
