"""Storage against a real database (SQLite file; PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select, text

from storage.db import Database
from storage.groups import GroupDefaults, ensure_group, get_group, migrate_group, next_number
from storage.members import (
    PersonInfo,
    ensure_member,
    find_by_username,
    groups_of,
    is_admin,
    leave_group,
    roster,
    set_admins,
    set_party_joined,
    touch_membership,
)
from storage.models import Counter, Member
from storage.updates import is_processed, prune_updates, record_update

NOW = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
DEFAULTS = GroupDefaults()


async def make_group(db: Database, chat_id: int = -100, title: str = "养护一班") -> int:
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, title, "group", DEFAULTS, NOW)
        return group.id


async def test_group_is_registered_once_and_keeps_its_settings(database: Database) -> None:
    first = await make_group(database)
    async with database.transaction() as session:
        group = await get_group(session, -100)
        assert group is not None
        group.language = "en"
    again = await make_group(database, title="养护一班（新）")
    async with database.transaction() as session:
        group = await get_group(session, -100)
    assert again == first
    assert group is not None
    assert group.title == "养护一班（新）"
    assert group.language == "en"
    assert group.briefing_time == time(8, 0)


async def test_numbers_are_per_group_and_kind(database: Database) -> None:
    a = await make_group(database, -1)
    b = await make_group(database, -2)
    async with database.transaction() as session:
        got = [
            await next_number(session, a, "topic"),
            await next_number(session, a, "topic"),
            await next_number(session, b, "topic"),
            await next_number(session, a, "issue"),
        ]
    assert got == [1, 2, 1, 1]


async def test_concurrent_numbers_never_repeat(database: Database) -> None:
    group_id = await make_group(database)

    async def take() -> int:
        async with database.transaction() as session:
            return await next_number(session, group_id, "issue")

    numbers = await asyncio.gather(*(take() for _ in range(30)))
    assert sorted(numbers) == list(range(1, 31))


async def test_rolled_back_transaction_leaves_nothing(database: Database) -> None:
    group_id = await make_group(database)
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await next_number(session, group_id, "topic")
            raise RuntimeError("handler failed half-way")
    async with database.transaction() as session:
        counter = await session.scalar(
            select(Counter).where(Counter.group_id == group_id, Counter.kind == "topic")
        )
    assert counter is None


async def test_utc_datetimes_round_trip_aware(database: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 7, 1, 8, 0, tzinfo=shanghai)
    async with database.transaction() as session:
        member = await ensure_member(session, PersonInfo(7, "张"), NOW)
        member.started_at = local
    async with database.transaction() as session:
        stored = await session.get(Member, 7)
    assert stored is not None and stored.started_at is not None
    assert stored.started_at.tzinfo is not None
    assert stored.started_at == local
    assert stored.started_at.hour == 0


async def test_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            member = await ensure_member(session, PersonInfo(8, "李"), NOW)
            member.started_at = datetime(2026, 1, 1)
            await session.flush()


async def test_member_profile_and_username_lookup(database: Database) -> None:
    async with database.transaction() as session:
        member = await ensure_member(session, PersonInfo(9, "Wang", username="Wang_SJ"), NOW)
        await set_party_joined(session, member.user_id, date(2008, 7, 1), NOW)
    async with database.transaction() as session:
        found = await find_by_username(session, "@wang_sj")
        renamed = await ensure_member(session, PersonInfo(9, "王", username="wang_sj"), NOW)
    assert found is not None and found.user_id == 9
    assert renamed.first_name == "王"
    assert renamed.party_joined_on == date(2008, 7, 1)


async def test_roster_admins_and_leaving(database: Database) -> None:
    group_id = await make_group(database)
    people = [PersonInfo(1, "甲"), PersonInfo(2, "乙"), PersonInfo(3, "丙")]
    async with database.transaction() as session:
        for p in people:
            await ensure_member(session, p, NOW)
            await touch_membership(session, group_id, p.user_id, NOW)
        group = await get_group(session, -100)
        assert group is not None
        await set_admins(session, group, [(people[2], "creator"), (people[1], "admin")], NOW)
    async with database.transaction() as session:
        rows = await roster(session, group_id)
        assert [(m.user_id, ms.role) for m, ms in rows] == [
            (3, "creator"),
            (2, "admin"),
            (1, "member"),
        ]
        assert await is_admin(session, group_id, 2)
        assert not await is_admin(session, group_id, 1)
        await set_admins(session, group, [(people[2], "creator")], NOW)
        await leave_group(session, group_id, 3, NOW)
    async with database.transaction() as session:
        assert not await is_admin(session, group_id, 2)
        assert not await is_admin(session, group_id, 3)
        assert [m.user_id for m, _ in await roster(session, group_id)] == [1, 2]  # jia, yi
        assert [g.id for g in await groups_of(session, 3)] == []
        assert [g.id for g in await groups_of(session, 1)] == [group_id]


async def test_migration_to_supergroup_keeps_the_rows(database: Database) -> None:
    group_id = await make_group(database, -100)
    async with database.transaction() as session:
        await next_number(session, group_id, "topic")
        # the new supergroup was seen first (its first message raced the migration)
        await ensure_group(session, -1009, "养护一班", "supergroup", DEFAULTS, NOW)
        moved = await migrate_group(session, -100, -1009, NOW)
    async with database.transaction() as session:
        assert moved is not None and moved.id == group_id
        assert await get_group(session, -100) is None
        group = await get_group(session, -1009)
        assert group is not None and group.id == group_id and group.chat_type == "supergroup"
        assert await next_number(session, group_id, "topic") == 2
        again = await migrate_group(session, -100, -1009, NOW)
    assert again is not None and again.id == group_id


async def test_processed_updates_are_recorded_once_and_pruned(database: Database) -> None:
    async with database.transaction() as session:
        assert await record_update(session, 501, NOW)
        assert not await record_update(session, 501, NOW)
        assert await record_update(session, 502, NOW + timedelta(days=3))
    async with database.transaction() as session:
        assert await is_processed(session, 501)
        assert await prune_updates(session, NOW + timedelta(days=1)) == 1
        assert not await is_processed(session, 501)
        assert await is_processed(session, 502)


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with database.transaction() as session:
            await session.execute(
                text("INSERT INTO counters (group_id, kind, last_number) VALUES (999, 'x', 1)")
            )


async def test_housekeeping_prunes_only_what_is_stale(database: Database) -> None:
    from domain.kinds import PromptKind
    from storage.albums import get_pending, save_pending
    from storage.prompts import get_prompt, set_prompt
    from storage.updates import prune_stale

    async with database.transaction() as session:
        await ensure_member(session, PersonInfo(5, "甲"), NOW)
        await record_update(session, 1, NOW - timedelta(days=4))
        await record_update(session, 2, NOW - timedelta(hours=20))
        old = await save_pending(session, 5, 10, {"command": "claim"}, NOW - timedelta(days=2))
        await set_prompt(
            session, 5, 5, PromptKind.REPORT, {"step": "photos"}, NOW - timedelta(hours=2)
        )
        await set_prompt(
            session, 6, 6, PromptKind.REPORT, {"step": "place"}, NOW - timedelta(days=2)
        )
    async with database.transaction() as session:
        await prune_stale(session, NOW)
    async with database.transaction() as session:
        assert not await is_processed(session, 1)
        assert await is_processed(session, 2)
        assert await get_pending(session, old) is None
        assert await get_prompt(session, 5, 5) is not None
        assert await get_prompt(session, 6, 6) is None


async def test_nested_transactions_fail_at_once(database: Database) -> None:
    async with database.transaction():
        with pytest.raises(RuntimeError, match="already open"):
            async with database.transaction():
                pass
    async with database.transaction() as session:  # and the outer one was not harmed
        assert await session.scalar(text("SELECT 1")) == 1
