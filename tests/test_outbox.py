"""The outbox: a message that follows from a change is written with it and sent by one
sender — once, after a restart too; flood waits and network errors are retried, a chat
the bot may not write to is recorded and not retried; two senders never take one message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runner import Runner
from handlers.outbox import outgoing
from storage import outbox as store
from storage.db import Database
from storage.groups import get_group
from storage.members import get_member
from storage.models import OutboxMessage
from tests.conftest import Cast, Harness, build_test_app, topic_and_a_second_group


async def rows(harness: Harness) -> list[OutboxMessage]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def first_row_when(harness: Harness, ready: Callable[[OutboxMessage], bool]) -> OutboxMessage:
    """The outbox's first message for which ``ready`` holds once the bot is idle and
    the outbox swept at the clock's time (the sender's background sweep is not waited
    for)."""
    await harness.sweep_outbox()
    found = [r for r in await rows(harness) if ready(r)]
    assert found, f"no outbox message is so: {await rows(harness)!r}"
    return found[0]


async def write(harness: Harness, chat_id: int, text: str, key: str | None = None) -> None:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        await store.enqueue(session, store.Outgoing(chat_id, text, key=key), harness.clock.now())


async def test_a_report_is_acknowledged_through_the_outbox(harness: Harness, cast: Cast) -> None:
    sent = await cast.group.say(cast.worker, "/report S272 K93+520 护栏缺损 cat:guardrail")
    ack = await cast.group.next_reply()
    assert "#1" in ack and ack.raw["reply_to_message"]["message_id"] == sent["message_id"]
    await harness.world.settle()
    [row] = await rows(harness)
    assert row.chat_id == cast.group.id and row.reply_to == sent["message_id"]
    row = await first_row_when(harness, lambda r: r.sent_at is not None)
    assert row.message_id == ack.message_id


async def test_what_a_stop_left_unsent_goes_out_after_the_restart(
    harness: Harness, cast: Cast
) -> None:
    await harness.runner.stop()
    offline = Database(harness.config.database.url)  # written while no bot runs
    async with offline.transaction() as session:
        await store.enqueue(
            session, store.Outgoing(cast.group.id, "⏰ 停机时写下的消息"), harness.clock.now()
        )
    await offline.dispose()
    harness.app = build_test_app(harness.config, harness.emulator, harness.clock)
    harness.runner = Runner(harness.app, harness.config, poll_timeout=5)
    await harness.runner.start()
    assert "停机时写下的消息" in await cast.group.next_reply(timeout=10)
    row = await first_row_when(harness, lambda r: r.sent_at is not None)
    assert row.attempts == 1


async def test_a_network_error_is_retried_and_a_flood_wait_honoured(
    harness: Harness, cast: Cast
) -> None:
    harness.emulator.fail("sendMessage", 500)
    await write(harness, cast.group.id, "第一次会失败")
    row = await first_row_when(harness, lambda r: r.error is not None)
    assert row.sent_at is None and row.attempts == 1
    assert row.error == "Internal Server Error"  # the emulated failure, nothing else
    assert harness.emulator.take_unread(cast.group.id) is None
    harness.clock.advance(timedelta(seconds=11))  # its back-off has passed
    await harness.sweep_outbox()
    assert "第一次会失败" in await cast.group.next_reply()
    row = await first_row_when(harness, lambda r: r.sent_at is not None)
    assert row.attempts == 2


async def test_a_person_who_never_pressed_start_is_recorded_and_not_retried(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")  # seen in the group, never in private
    await cast.group.next_reply()
    await write(harness, cast.worker.id, "私信")
    row = await first_row_when(harness, lambda r: r.failed_at is not None)
    assert "initiate" in (row.error or "")
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        member = await get_member(session, cast.worker.id)
        group = await get_group(session, cast.group.id)
    assert member is not None and member.blocked_at is not None and group is not None
    harness.clock.advance(timedelta(hours=1))
    await harness.sweep_outbox()
    [row] = await rows(harness)
    assert row.attempts == 1  # failed for good: never tried again


async def test_a_key_is_written_once_and_a_message_leased_once(database: Database) -> None:
    now = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
    async with database.transaction() as session:
        first = await store.enqueue(
            session, store.Outgoing(-1, "晨报", key="briefing:1:2026-03-12"), now
        )
        second = await store.enqueue(
            session, store.Outgoing(-1, "晨报", key="briefing:1:2026-03-12"), now
        )
        for n in range(10):
            await store.enqueue(session, store.Outgoing(-1, f"回复 {n}"), now)
    assert first is not None and second is None  # a second briefing cannot be written
    async with database.read() as session:
        ids = await store.due_ids(session, now, 100, set())
    assert len(ids) == 11

    async def take() -> list[int]:
        async with database.transaction() as session:
            return [m.id for m in await store.lease(session, ids, now)]

    a, b = await asyncio.gather(take(), take())
    assert sorted(a + b) == sorted(ids) and not set(a) & set(b)
    async with database.read() as session:
        assert await store.due_ids(session, now, 100, set()) == []  # leased
        later = now + store.LEASE + timedelta(seconds=1)
        assert len(await store.due_ids(session, later, 100, set())) == 11  # lease ran out
        assert await store.pending_count(session) == 11


async def test_a_message_written_to_send_now_is_taken_by_its_insert(database: Database) -> None:
    # the answer a command writes with its change is leased to its process by the
    # insert itself; if that process dies before sending it, the sweep (of any
    # process) sends it once the lease has run out, and not before
    now = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
    async with database.transaction() as session:
        taken = await store.enqueue_to_send(session, store.Outgoing(-1, "✅ 已记录"), now)
        again = await store.enqueue_to_send(session, store.Outgoing(-1, "x", key="k"), now)
        twice = await store.enqueue_to_send(session, store.Outgoing(-1, "x", key="k"), now)
    assert taken is not None and taken.text == "✅ 已记录" and taken.attempts == 1
    assert again is not None and twice is None
    async with database.read() as session:
        assert await store.due_ids(session, now, 100, set()) == []
        later = now + store.LEASE + timedelta(seconds=1)
        assert await store.due_ids(session, later, 100, set()) == [taken.id, again.id]
    async with database.transaction() as session:
        assert await store.lease(session, [taken.id], now) == []  # not twice meanwhile


async def test_a_message_put_off_by_one_sender_is_not_taken_by_another_that_saw_it_due(
    database: Database,
) -> None:
    """Two senders read the same due message; the first's try fails and puts it off for
    its back-off; the second, leasing what it read, must not send it before then."""
    now = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
    async with database.transaction() as session:
        written = await store.enqueue(session, store.Outgoing(-1, "晨报"), now)
    assert written is not None
    async with database.read() as session:
        seen_by_second = await store.due_ids(session, now, 100, set())
    assert seen_by_second == [written]
    async with database.transaction() as session:  # the first sender: taken, failed
        assert [m.id for m in await store.lease(session, [written], now)] == [written]
        await store.mark_retry(session, written, "Bad Gateway", now + timedelta(seconds=10))
    async with database.transaction() as session:  # the second sender, a moment later
        assert await store.lease(session, seen_by_second, now + timedelta(seconds=1)) == []
    async with database.transaction() as session:  # its back-off over: taken again
        later = now + timedelta(seconds=10)
        assert [m.id for m in await store.lease(session, [written], later)] == [written]


async def test_a_change_that_rolls_back_sends_nothing(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.inspections.report as report

    real = report.send_later  # type: ignore[attr-defined]

    async def then_fail(*args: Any, **kwargs: Any) -> bool:
        await real(*args, **kwargs)  # written to the outbox, then the change fails
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "send_later", then_fail)
    await cast.group.say(cast.worker, "/report S272 K93+520 护栏缺损")
    assert "出了点问题" in await cast.group.next_reply()
    await cast.group.expect_silence()
    assert await rows(harness) == []


async def test_a_command_that_changed_something_leaves_a_stand_in_settled_after_its_answer(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/topics")  # reads only: owes nothing
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    assert "#1" in await cast.group.next_reply()
    row = await first_row_when(harness, lambda r: r.sent_at is not None)
    assert (row.key or "").startswith("ack:") and row.message_id is None  # settled, not sent
    assert len(await rows(harness)) == 1
    harness.clock.advance(timedelta(minutes=5))  # long past its lease
    await harness.sweep_outbox()
    await cast.group.expect_silence()


async def test_a_message_in_pages_keeps_its_order_through_a_retry(
    harness: Harness, cast: Cast
) -> None:
    db = harness.app.bot_data.db
    assert db is not None
    harness.emulator.fail("sendMessage", 502, after=1)  # the second page fails once
    async with db.transaction() as session:
        await store.enqueue(
            session, outgoing(cast.group.id, ["第一页", "第二页", "第三页"]), harness.clock.now()
        )
    assert "第一页" in await cast.group.next_reply(timeout=10)
    row = await first_row_when(harness, lambda r: r.error is not None)
    assert row.pages_sent == 1 and row.sent_at is None
    harness.clock.advance(timedelta(minutes=1))  # its back-off and any lease have passed
    await harness.sweep_outbox()
    assert "第二页" in await cast.group.next_reply(timeout=10)
    assert "第三页" in await cast.group.next_reply(timeout=10)
    row = await first_row_when(harness, lambda r: r.sent_at is not None)
    await cast.group.expect_silence()  # the first page was not sent again


async def test_an_answer_that_fails_after_its_change_is_replaced_by_its_stand_in(
    harness: Harness, cast: Cast
) -> None:
    harness.emulator.fail("sendMessage", 502)
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    said = await cast.group.next_reply(timeout=10)  # no apology: the topic was made
    assert "已完成：/newtopic 中东桥加固" in said.text
    await cast.group.say(cast.captain, "/topics")
    assert "中东桥加固" in await cast.group.next_reply()


async def test_a_command_waiting_for_its_group_owes_nothing_until_the_pick(
    harness: Harness, cast: Cast
) -> None:
    await topic_and_a_second_group(harness, cast)
    private = cast.worker.private()
    await private.start()
    await private.next_reply()
    await private.send("/claim 1")
    question = await private.next_reply()
    await harness.world.settle()
    assert not [r for r in await rows(harness) if r.chat_id == cast.worker.id]
    await private.press(cast.worker, question, "养护一班")
    assert "认领" in (await cast.group.next_reply()).text
    assert "已发到" in (await private.next_reply()).text
    await harness.world.settle()
    mine = [r for r in await rows(harness) if r.chat_id == cast.worker.id]
    assert len(mine) == 1 and (mine[0].key or "").startswith("ack:")
    row = await first_row_when(
        harness, lambda r: r.chat_id == cast.worker.id and r.sent_at is not None
    )
    assert row.message_id is None  # settled: the real answer went out
