"""Topic rules in storage, on a real database (SQLite file; PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import (
    AlreadyClaimant,
    NotClaimant,
    Refused,
    TopicFull,
    UnknownNumber,
    WrongStatus,
)
from storage import milestones as milestone_store
from storage import topic_reads, wall_reads
from storage import topics as store
from storage.db import Database
from storage.groups import GroupDefaults, ensure_group
from storage.members import PersonInfo, ensure_member
from storage.photos import PhotoInfo

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


async def setup_group(db: Database, people: int = 3, chat_id: int = -100) -> int:
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, "养护一班", "group", GroupDefaults(), NOW)
        for uid in range(1, people + 1):
            await ensure_member(session, PersonInfo(uid, f"队员{uid}"), NOW)
        return group.id


async def new_topic(
    db: Database, group_id: int, slots: int = 1, title: str = "中东桥加固工程"
) -> int:
    async with db.transaction() as session:
        topic = await store.create_topic(session, group_id, 1, title, NOW, slots=slots)
        return topic.number


async def claim(db: Database, group_id: int, number: int, uid: int) -> None:
    async with db.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        await store.claim(session, topic, uid, NOW)


async def test_numbers_are_per_group(database: Database) -> None:
    a = await setup_group(database, chat_id=-1)
    b = await setup_group(database, chat_id=-2)
    assert [
        await new_topic(database, a),
        await new_topic(database, a),
        await new_topic(database, b),
    ] == [1, 2, 1]
    async with database.transaction() as session:
        with pytest.raises(UnknownNumber):
            await store.get_topic(session, b, 2)


async def test_claim_full_and_already_yours(database: Database) -> None:
    group_id = await setup_group(database)
    number = await new_topic(database, group_id, slots=1)
    await claim(database, group_id, number, 2)
    with pytest.raises(AlreadyClaimant):
        await claim(database, group_id, number, 2)
    with pytest.raises(TopicFull):
        await claim(database, group_id, number, 3)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        assert (topic.status, topic.claimed_count) == ("claimed", 1)


@pytest.mark.parametrize(("slots", "claimants"), [(1, 50), (3, 20)])
async def test_concurrent_claims_never_exceed_the_slots(
    database: Database, slots: int, claimants: int
) -> None:
    group_id = await setup_group(database, people=claimants)
    number = await new_topic(database, group_id, slots=slots)

    async def attempt(uid: int) -> str:
        try:
            await claim(database, group_id, number, uid)
        except TopicFull:
            return "full"
        return "won"

    results = await asyncio.gather(*(attempt(uid) for uid in range(1, claimants + 1)))
    assert results.count("won") == slots
    assert results.count("full") == claimants - slots
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        holders = (await store.claimants(session, [topic.id]))[topic.id]
    assert topic.claimed_count == slots == len(holders)


async def test_same_person_claiming_twice_at_once_gets_one_claim(database: Database) -> None:
    group_id = await setup_group(database)
    number = await new_topic(database, group_id, slots=3)
    results = await asyncio.gather(
        *(claim(database, group_id, number, 2) for _ in range(5)), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, AlreadyClaimant) for r in results if r is not None)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
    assert topic.claimed_count == 1


async def test_release_reopens_and_frees_the_slot(database: Database) -> None:
    group_id = await setup_group(database)
    number = await new_topic(database, group_id)
    await claim(database, group_id, number, 2)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        with pytest.raises(NotClaimant):
            await store.release(session, topic, 3, 3, NOW)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        topic = await store.release(session, topic, 2, 1, NOW)
    assert (topic.status, topic.claimed_count) == ("open", 0)
    await claim(database, group_id, number, 3)


async def test_life_cycle_and_history(database: Database) -> None:
    group_id = await setup_group(database, people=4)
    number = await new_topic(database, group_id, slots=2)
    await claim(database, group_id, number, 2)
    photo = PhotoInfo("file-1", "uniq-1", 1280, 960, 1000, 77)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        await milestone_store.add_milestone(session, topic, date(2026, 12, 5), "完成标线", 2, NOW)
        with pytest.raises(NotClaimant):
            await store.add_progress(session, topic, 3, 50, "", [], NOW)
        await store.add_progress(
            session, topic, 2, 60, "完成一半", [photo], NOW + timedelta(hours=1)
        )
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        with pytest.raises(WrongStatus):
            await store.approve(session, topic, 1, "", NOW)
        await store.submit_result(session, topic, 2, "全部完成", [], NOW + timedelta(hours=2))
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        with pytest.raises(Refused, match="own_rating"):
            await store.rate(session, topic, 2, 5, NOW)
        assert (await store.rate(session, topic, 3, 5, NOW))[0] is None
        previous, summary = await store.rate(session, topic, 3, 3, NOW)
        assert previous == 5 and summary.count == 1 and summary.average == 3.0
        _, summary = await store.rate(session, topic, 4, 4, NOW)
        assert summary.count == 2 and summary.average == 3.5
        topic = await store.reject(session, topic, 1, "照片不清楚", NOW + timedelta(hours=3))
        assert topic.status == "claimed"
        await store.submit_result(session, topic, 2, "补充了照片", [], NOW + timedelta(hours=4))
        topic = await store.get_topic(session, group_id, number)
        assert (await store.rating_summaries(session, [topic.id])) == {}  # old ratings cleared
        await store.rate(session, topic, 3, 4, NOW)
        topic = await store.approve(session, topic, 1, "很好", NOW + timedelta(hours=5))
        with pytest.raises(Refused, match="rating_closed"):
            await store.rate(session, topic, 4, 5, NOW)
        detail = await topic_reads.topic_detail(session, topic)
        wall = await wall_reads.results(session, group_id)
    kinds = [e.kind for e in detail.events]
    assert kinds == [
        "created",
        "claimed",
        "milestone",
        "progress",
        "submitted",
        "rejected",
        "submitted",
        "approved",
    ]
    assert [m.text for m in detail.milestones] == ["完成标线"]
    progress = next(e for e in detail.events if e.kind == "progress")
    assert [p.file_unique_id for p in detail.photos[progress.id]] == ["uniq-1"]
    assert topic.status == "done" and topic.approved_at is not None
    assert [w.topic.number for w in wall] == [number]
    assert wall[0].rating.count == 1 and [m.user_id for m in wall[0].claimants] == [2]


async def test_progress_requires_an_active_topic(database: Database) -> None:
    group_id = await setup_group(database)
    number = await new_topic(database, group_id)
    await claim(database, group_id, number, 2)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        await store.submit_result(session, topic, 2, "完成", [], NOW)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, number)
        with pytest.raises(WrongStatus):
            await store.add_progress(session, topic, 2, 70, "", [], NOW)
        with pytest.raises(WrongStatus):
            await store.release(session, topic, 2, 2, NOW)


async def test_the_board_lists_the_groups_topics_with_claimants_and_ratings(
    database: Database,
) -> None:
    group_id = await setup_group(database, people=4)
    other = await setup_group(database, chat_id=-200)
    rated = await new_topic(database, group_id, slots=2, title="S272 路口改造")
    claimed = await new_topic(database, group_id, slots=2)
    idle = await new_topic(database, group_id, title="路灯")
    await new_topic(database, other, title="别的组的题目")
    await claim(database, group_id, rated, 3)
    await claim(database, group_id, rated, 2)
    await claim(database, group_id, claimed, 4)
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, rated)
        await store.submit_result(session, topic, 3, "完成", [], NOW + timedelta(hours=1))
    async with database.transaction() as session:
        topic = await store.get_topic(session, group_id, rated)
        await store.rate(session, topic, 1, 5, NOW)
        await store.rate(session, topic, 4, 4, NOW)
    async with database.read() as session:
        board = await topic_reads.topic_board(session, group_id)
    numbers = [t.number for t in board.topics]
    assert numbers == [idle, claimed, rated]  # open, claimed, in review
    ids = {t.number: t.id for t in board.topics}
    assert [m.user_id for m in board.claimants[ids[rated]]] == [2, 3]  # claimed at NOW: by id
    assert [m.user_id for m in board.claimants[ids[claimed]]] == [4]
    assert ids[idle] not in board.claimants
    assert board.ratings == {ids[rated]: store.RatingSummary(4.5, 2)}
