"""At-least-once delivery: nothing is confirmed before it is processed, a redelivered
update changes nothing, webhook answers after processing and needs the secret."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.delivery import ConfirmingPoller
from bot.webhook import WebhookServer
from domain.config import Secret, WebhookConfig
from emulator import TelegramEmulator
from emulator.core import Call
from handlers.common import reply
from handlers.context import Ctx
from storage.groups import get_group, next_number
from storage.members import get_member
from storage.updates import is_processed
from tests.conftest import Cast, Harness, make_config, start_harness


class Gate:
    """A handler that waits until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, update: Update, context: Ctx) -> None:
        self.entered.set()
        await self.open.wait()


def install_gate(harness: Harness, word: str) -> Gate:
    gate = Gate()
    harness.app.add_handler(MessageHandler(filters.Regex(f"^{word}$"), gate), group=1)
    return gate


async def test_update_is_confirmed_only_after_it_was_processed(
    harness: Harness, cast: Cast
) -> None:
    gate = install_gate(harness, "稍等")
    emulator = harness.emulator
    poller = harness.runner.transport
    assert isinstance(poller, ConfirmingPoller)
    poller.park_after = 3600  # not parked here: the mark can pass it only by confirming it
    before = len(emulator.calls)
    await cast.group.say(cast.worker, "稍等")
    update_id = emulator.last_update_id()
    await asyncio.wait_for(gate.entered.wait(), 5)

    def polls_since() -> list[Call]:  # the polls after the one that brought the update
        polls = [c for c in emulator.calls[before:] if c.method == "getUpdates"]
        fetched = [
            n
            for n, c in enumerate(polls)
            if c.finished and update_id in [u["update_id"] for u in c.result]
        ]
        return polls[fetched[0] + 1 :] if fetched else []

    for _ in range(1000):  # a ceiling: the poller keeps fetching while updates run
        if polls_since():
            break
        await asyncio.sleep(0.01)
    assert polls_since(), "the poller never asked for more while the update ran"
    assert all(int(c.params.get("offset", 0)) <= update_id for c in polls_since())
    assert emulator.confirmed_offset <= update_id
    assert harness.emulator.pending_updates() >= 1
    gate.open.set()
    await harness.world.settle()
    assert harness.emulator.confirmed_offset == update_id + 1


async def test_stop_finishes_the_batch_in_hand_and_confirms_it(
    harness: Harness, cast: Cast
) -> None:
    gate = install_gate(harness, "稍等")
    await cast.group.say(cast.worker, "稍等")
    update_id = harness.emulator.last_update_id()
    await asyncio.wait_for(gate.entered.wait(), 5)
    stopping = asyncio.create_task(harness.runner.stop())
    # real time: a stop that did not wait for the update in hand ends within this
    await asyncio.sleep(0.2)
    assert not stopping.done()
    gate.open.set()
    await asyncio.wait_for(stopping, 5)
    assert harness.emulator.confirmed_offset == update_id + 1
    await harness.restart()


async def test_an_update_cut_short_by_stop_is_left_for_telegram_to_send_again(
    harness: Harness, cast: Cast
) -> None:
    gate = install_gate(harness, "稍等")
    poller = harness.runner.transport
    assert isinstance(poller, ConfirmingPoller)
    poller.stop_grace = 0.3
    await cast.group.say(cast.worker, "稍等")
    update_id = harness.emulator.last_update_id()
    await asyncio.wait_for(gate.entered.wait(), 5)
    private = cast.worker.private()
    await private.send("/help")  # another chat: it finishes, the first one does not
    await private.next_reply()
    await harness.runner.stop()
    assert harness.emulator.confirmed_offset == update_id  # not past the cut-short one
    await harness.restart()
    await harness.world.settle()  # the /help came again and was recognised as done


async def test_updates_sent_while_the_bot_was_down_are_processed_after_start(
    harness: Harness, cast: Cast
) -> None:
    await harness.runner.stop()
    await cast.group.say(cast.worker, "/help")
    await harness.restart()
    assert "/members" in await cast.group.next_reply()


async def test_redelivered_update_changes_nothing(harness: Harness, cast: Cast) -> None:
    first = await cast.group.say(cast.captain, "/settings lang en")
    first_update = harness.emulator.emitted_updates[-1]
    assert first_update["message"] is first
    assert "Saved" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/settings lang zh")
    assert "已保存" in await cast.group.next_reply()
    harness.emulator.redeliver(first_update)
    await cast.group.expect_silence()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert await is_processed(session, first_update["update_id"])
    assert group is not None and group.language == "zh"


async def test_redelivered_private_update_changes_nothing(harness: Harness, cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.send("/profile name 甲")
    first_update = harness.emulator.emitted_updates[-1]
    await chat.next_reply()
    await chat.send("/profile name 乙")
    await chat.next_reply()
    harness.emulator.redeliver(first_update)
    await chat.expect_silence()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        member = await get_member(session, cast.worker.id)
    assert member is not None and member.real_name == "乙"


async def test_handler_exception_is_logged_with_an_id_shown_to_the_person(
    harness: Harness, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: Update, context: Ctx) -> None:
        raise RuntimeError("disk on fire")

    harness.app.add_handler(MessageHandler(filters.Regex("^坏了$"), broken), group=1)
    with caplog.at_level(logging.ERROR):
        await cast.group.say(cast.worker, "坏了")
        reply = await cast.group.next_reply()
    assert "抱歉" in reply and "错误编号" in reply
    error_id = reply.text.rsplit("：", 1)[1].strip()
    assert len(error_id) == 8
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "disk on fire" in str(logged[0].exc_info[1])


async def test_failed_handler_writes_nothing_and_apologises_once(
    harness: Harness, cast: Cast
) -> None:
    async def half_written(update: Update, context: Ctx) -> None:
        assert context.group is not None
        async with context.transaction() as session:
            await next_number(session, context.group.id, "topic")
            raise RuntimeError("failed after the first write")

    harness.app.add_handler(MessageHandler(filters.Regex("^写一半$"), half_written), group=1)
    await cast.group.say(cast.worker, "写一半")
    update_id = harness.emulator.last_update_id()
    assert "错误编号" in await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        assert await next_number(session, group.id, "topic") == 1  # the failed one left no trace
        assert await is_processed(session, update_id)  # answered: a redelivery is silent
    await harness.world.settle()  # confirmed first, or the redelivery would just be dropped
    harness.emulator.redeliver(harness.emulator.emitted_updates[-1])
    await cast.group.expect_silence()


async def test_flood_limit_is_waited_out(harness: Harness, cast: Cast) -> None:
    harness.emulator.fail("sendMessage", 429, retry_after=1)
    await cast.group.say(cast.worker, "/help")
    assert "/members" in await cast.group.next_reply()
    failed = [c for c in harness.emulator.calls if c.error is not None and c.error.code == 429]
    assert len(failed) == 1


async def test_blocked_person_does_not_break_the_bot(harness: Harness, cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.send("/help")
    await chat.next_reply()
    harness.emulator.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await chat.send("/help")
    await chat.expect_silence()
    await cast.group.say(cast.worker, "/help")
    assert "/members" in await cast.group.next_reply()


async def test_webhook_needs_the_secret_and_answers_after_processing(
    db_url: str, tmp_path: Path
) -> None:
    emulator = TelegramEmulator()
    config = make_config(db_url, tmp_path, emulator)
    config = replace(
        config,
        telegram=replace(config.telegram, mode="webhook"),
        webhook=WebhookConfig(
            url="https://example.org/tg/hook",
            listen="127.0.0.1",
            port=0,
            secret_token=Secret("s3cret-webhook"),
        ),
    )
    harness = await start_harness(config, emulator)
    try:
        transport = harness.runner.transport
        assert isinstance(transport, WebhookServer)
        assert emulator.webhook_url == "https://example.org/tg/hook"
        assert "s3cret-webhook" not in repr(transport)
        set_hook = next(c for c in emulator.calls if c.method == "setWebhook")
        assert set_hook.params["secret_token"] == "s3cret-webhook"
        owner = harness.world.person("王", last_name="书记")
        chat = harness.world.group("养护一班", creator=owner)
        chat.chat.members[emulator.bot.id] = "member"
        message = emulator.user_message(chat.chat, owner.user, text="/help")
        body = {"update_id": 9001, "message": message}
        url = f"http://127.0.0.1:{transport.port}/tg/hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=body) as response:
                assert response.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 403
            assert emulator.take_unread(chat.id) is None
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"}
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 200
                reply = emulator.take_unread(chat.id)  # already there: answered after processing
                assert reply is not None and "/members" in reply["text"]
            body2 = {
                "update_id": 9002,
                "message": emulator.user_message(chat.chat, owner.user, text="/settings lang en"),
            }
            async with http.post(url, json=body2, headers=headers) as response:
                assert response.status == 200
            assert emulator.take_unread(chat.id) is not None
            async with http.post(url, json=body2, headers=headers) as response:
                assert response.status == 200  # a redelivery: accepted, changes nothing
            assert emulator.take_unread(chat.id) is None
    finally:
        await harness.runner.stop()


async def test_a_second_transaction_in_one_update_reuses_its_claim(
    harness: Harness, cast: Cast
) -> None:
    async def two_steps(update: Update, context: Ctx) -> None:
        assert context.group is not None
        async with context.read() as session:  # a read claims nothing
            await get_group(session, cast.group.id)
        async with context.transaction() as session:
            await next_number(session, context.group.id, "topic")
        async with context.transaction() as session:  # no DuplicateUpdate: the same update
            await next_number(session, context.group.id, "topic")
        await reply(update, context, "两步都写了")

    harness.app.add_handler(MessageHandler(filters.Regex("^两步$"), two_steps), group=1)
    await cast.group.say(cast.worker, "两步")
    assert "两步都写了" in await cast.group.next_reply()
    await harness.world.settle()
    harness.emulator.redeliver(harness.emulator.emitted_updates[-1])
    await cast.group.expect_silence()  # the redelivery is recognised: nothing runs again
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        assert await next_number(session, group.id, "topic") == 3  # two taken, not four


async def test_an_update_the_bot_cannot_read_does_not_stop_the_others(
    harness: Harness, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    harness.emulator.push("message", {"message_id": 1, "text": "/help"})  # no chat, no date
    broken = harness.emulator.last_update_id()
    await cast.group.say(cast.worker, "/help")
    assert "/members" in await cast.group.next_reply()
    await harness.world.settle()
    assert harness.emulator.confirmed_offset > broken
    assert any("cannot be read" in r.getMessage() for r in caplog.records)
