"""Webhook workers sharing one database take each chat's updates in turn (bot/turns.py),
and an album split between two workers is acted on once, after its last part."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event
from telegram import Update

from bot.delivery import process
from bot.turns import SharedTurns
from domain.clock import Clock
from storage.db import Database
from storage.updates import record_update
from tests.conftest import Cast, Harness, second_application


def update(update_id: int, chat_id: int = -100) -> Update:
    """A message in a group."""
    message = {
        "message_id": update_id,
        "date": 1_800_000_000,
        "chat": {"id": chat_id, "type": "group", "title": "班组"},
        "text": "/help",
    }
    return Update.de_json({"update_id": update_id, "message": message})


@pytest.fixture
def shared(database: Database, backend: str) -> Database:
    """The test's database, PostgreSQL only: turns are shared through it (a SQLite
    database belongs to one process)."""
    if backend != "postgresql":
        pytest.skip("webhook workers share a PostgreSQL database; SQLite is one process's")
    return database


@pytest_asyncio.fixture
async def workers(shared: Database) -> AsyncIterator[tuple[SharedTurns, SharedTurns]]:
    """Two workers' turns on one database, looking every 10 ms."""
    first = SharedTurns(shared, Clock(), poll_every=0.01)
    second = SharedTurns(shared, Clock(), poll_every=0.01)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def pending(task: asyncio.Task[bool]) -> bool:
    """Whether the task still waits after a few looks at the database."""
    await asyncio.sleep(0.2)
    return not task.done()


async def test_a_chats_update_waits_for_the_earlier_one_another_worker_holds(
    workers: tuple[SharedTurns, SharedTurns],
) -> None:
    first, second = workers
    assert await first.arrive(update(1))
    later = asyncio.create_task(second.arrive(update(2)))
    assert await pending(later)
    assert await asyncio.wait_for(second.arrive(update(3, chat_id=-200)), 5)  # another chat
    await first.leave(1, finished=True)
    assert await asyncio.wait_for(later, 5)
    await second.leave(2, finished=True)
    await second.leave(3, finished=True)


async def test_a_copy_waits_for_its_original_and_is_not_run_again(
    workers: tuple[SharedTurns, SharedTurns],
) -> None:
    first, second = workers
    assert await first.arrive(update(1))
    copy = asyncio.create_task(second.arrive(update(1)))
    again = asyncio.create_task(first.arrive(update(1)))  # a copy to the same worker
    assert await pending(copy) and not again.done()
    await first.leave(1, finished=True)
    assert await asyncio.wait_for(copy, 5) is False
    assert await asyncio.wait_for(again, 5) is False


async def test_an_update_given_back_is_taken_by_its_copy(
    workers: tuple[SharedTurns, SharedTurns],
) -> None:
    first, second = workers
    assert await first.arrive(update(1))
    copy = asyncio.create_task(second.arrive(update(1)))
    assert await pending(copy)
    await first.leave(1, finished=False)  # it failed: Telegram sends it again
    assert await asyncio.wait_for(copy, 5) is True
    await second.leave(1, finished=True)


async def test_a_dead_workers_update_stops_holding_its_chat(shared: Database) -> None:
    dead = SharedTurns(shared, Clock(), hold=timedelta(seconds=0.5))
    alive = SharedTurns(shared, Clock(), poll_every=0.01)
    try:
        assert await dead.arrive(update(1))
        began = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(alive.arrive(update(2)), 5)
        assert asyncio.get_running_loop().time() - began >= 0.3
        assert await asyncio.wait_for(alive.arrive(update(1)), 5)  # Telegram sends it again
    finally:
        await alive.close()


async def test_with_reorder_wait_an_update_waits_for_the_lower_ids(shared: Database) -> None:
    async with shared.transaction() as session:
        await record_update(session, 10, Clock().now())  # what came before
    waiting = SharedTurns(shared, Clock(), reorder_wait=5.0, poll_every=0.01)
    other = SharedTurns(shared, Clock(), poll_every=0.01)
    try:
        later = asyncio.create_task(waiting.arrive(update(12)))
        assert await pending(later)  # 11 has not arrived
        assert await other.arrive(update(11))  # it arrives elsewhere, and is held
        assert await pending(later)
        async with shared.transaction() as session:  # processed (as after_process records)
            await record_update(session, 11, Clock().now())
        await other.leave(11, finished=True)
        assert await asyncio.wait_for(later, 4)  # before its reorder_wait
        await waiting.leave(12, finished=True)
        gap = SharedTurns(shared, Clock(), reorder_wait=0.3, poll_every=0.01)
        try:  # 13 never comes: 14 waits the reorder_wait, then goes on
            assert await asyncio.wait_for(gap.arrive(update(14)), 5)
        finally:
            await gap.close()
    finally:
        await waiting.close()
        await other.close()


async def test_one_worker_pays_two_statements_an_update(shared: Database) -> None:
    turns = SharedTurns(shared, Clock())
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(shared.engine.sync_engine, "before_cursor_execute", count)
    try:
        for update_id in (1, 2, 3):
            assert await turns.arrive(update(update_id))
            await turns.leave(update_id, finished=True)
    finally:
        event.remove(shared.engine.sync_engine, "before_cursor_execute", count)
        await turns.close()
    assert statements == ["INSERT", "DELETE"] * 3


async def test_an_album_split_between_two_workers_is_acted_on_after_its_last_part(
    harness: Harness, cast: Cast
) -> None:
    """The first worker's quiet time passes while the second still gets photos: the
    album is acted on once, by the worker with its last photo, with all of them."""
    emulator = harness.emulator
    photos = [emulator.photo_payload(harness.world.fake_jpeg()) for _ in range(3)]

    def part(n: int, caption: str | None = None) -> dict[str, Any]:
        chat, user = cast.group.chat, cast.worker.user
        return emulator.user_message(
            chat, user, caption=caption, photo=photos[n], media_group_id="split-77"
        )

    async with second_application(harness) as other:
        emulator.push("message", part(0, "/report S272 K93+520 护栏缺损"))  # the first worker
        for n, update_id in ((1, 90_001), (2, 90_002)):
            await asyncio.sleep(1.0)  # 2 s between the first and last: past the quiet time
            await process(
                other, Update.de_json({"update_id": update_id, "message": part(n)}, other.bot)
            )
        reply = await cast.group.next_reply()
        assert "#1" in reply and "📷 3 张" in reply
        await cast.group.expect_silence()
