"""One chat never holds up another: fetching goes on while a chat's updates wait, a 429
or a full minute's allowance in one group delays only that group, replies overtake
bulk sends, and a burst of newcomers reads the admin list once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.app import build_application
from bot.budget import LocalBudget, Rate
from bot.delivery import ConfirmingPoller
from bot.limits import BULK, ChatRateLimiter, Limits
from bot.runner import Runner
from domain.clock import FrozenClock
from emulator.scenario import GroupChat, World
from emulator.transport import EmulatorRequest
from handlers.context import Ctx
from storage.updates import parked_updates
from tests.conftest import START, Cast, Harness, make_config, new_emulator


async def hold_the_group(harness: Harness, cast: Cast) -> asyncio.Event:
    """The worker says something whose handling waits until the returned event is set:
    the group's later updates wait behind it."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(update: Update, context: Ctx) -> None:
        entered.set()
        await release.wait()

    harness.app.add_handler(MessageHandler(filters.Regex("^稍等$"), slow), group=1)
    await cast.group.say(cast.worker, "稍等")
    await asyncio.wait_for(entered.wait(), 5)
    return release


async def test_another_group_is_answered_while_one_update_is_still_running(
    harness: Harness, cast: Cast
) -> None:
    release = await hold_the_group(harness, cast)
    held = harness.emulator.last_update_id()
    other = harness.world.group("养护二班", creator=cast.captain, members=(cast.driver,))
    await other.add_bot(by=cast.captain)
    await other.next_reply()
    await other.say(cast.driver, "/help")
    assert "/members" in await other.next_reply(timeout=5)
    # the held update is not confirmed: a crash now would have Telegram send it again
    assert harness.emulator.confirmed_offset <= held
    release.set()
    await harness.world.settle()
    assert harness.emulator.confirmed_offset > harness.emulator.last_update_id()


async def test_updates_of_one_chat_still_run_in_order_while_others_pass(
    harness: Harness, cast: Cast
) -> None:
    release = await hold_the_group(harness, cast)
    await cast.group.say(cast.secretary, "/newtopic 中东桥加固")  # queued behind it
    await cast.group.say(cast.worker, "/claim 1")  # … and behind the topic it claims
    other = harness.world.group("养护二班", creator=cast.captain, members=(cast.driver,))
    await other.add_bot(by=cast.captain)
    await other.next_reply()
    await other.say(cast.driver, "/help")
    assert "/members" in await other.next_reply()  # the other group passes
    assert harness.emulator.take_unread(cast.group.id) is None  # this one waits its turn
    release.set()
    assert "新题目" in await cast.group.next_reply()  # in the order they were said
    assert "认领" in await cast.group.next_reply()


async def test_a_button_press_does_not_wait_behind_the_groups_messages(
    harness: Harness, cast: Cast
) -> None:
    day = (harness.clock.now() + timedelta(days=1)).date().isoformat()
    await cast.group.say(cast.captain, f"/newevent volunteer {day} 09:00 清扫")
    post = await cast.group.next_reply()
    release = await hold_the_group(harness, cast)  # the group's messages wait behind it
    answer = await cast.group.press(cast.driver, post, "✋ 报名")
    assert "已报名活动 #1" in answer["text"]
    release.set()
    await harness.world.settle()


async def _group(world: World, title: str) -> tuple[GroupChat, Any]:
    boss = world.person("王", last_name=title)
    member = world.person("张", last_name=title)
    group = world.group(title, creator=boss, members=(member,))
    await group.add_bot(by=boss)
    await group.next_reply()  # the welcome: one of the group's two messages
    return group, member


async def test_a_429_pauses_only_the_chat_it_was_about(harness: Harness, cast: Cast) -> None:
    other = harness.world.group("养护二班", creator=cast.captain, members=(cast.driver,))
    await other.add_bot(by=cast.captain)
    await other.next_reply()
    harness.emulator.fail("sendMessage", 429, retry_after=3)
    await cast.group.say(cast.worker, "/help")
    await harness.emulator.wait_for(
        lambda: any(c.error is not None and c.error.code == 429 for c in harness.emulator.calls),
        5,
    )
    await other.say(cast.driver, "/help")
    assert "/members" in await other.next_reply(timeout=2)
    assert harness.emulator.take_unread(cast.group.id) is None  # still waiting out its 429
    assert "/members" in await cast.group.next_reply(timeout=6)


async def test_a_burst_of_newcomers_reads_the_admin_list_once(harness: Harness) -> None:
    world = harness.world
    boss = world.person("王")
    crew = [world.person(f"队员{i}") for i in range(14)]
    group = world.group("养护三班", creator=boss, members=tuple(crew))
    await group.add_bot(by=boss)
    await group.next_reply()
    before = sum(1 for c in harness.emulator.calls if c.method == "getChatAdministrators")
    for person in crew:
        await group.say(person, "/help")
    await group.replies(len(crew))
    after = sum(1 for c in harness.emulator.calls if c.method == "getChatAdministrators")
    assert after - before == 0  # read when the bot joined; fresh for ten minutes


async def _send(
    limiter: ChatRateLimiter, chat_id: int, order: list[str], label: str, bulk: bool = False
) -> None:
    async def callback(*args: Any, **kwargs: Any) -> bool:
        order.append(label)
        return True

    await limiter.process_request(
        callback, (), {}, "sendMessage", {"chat_id": chat_id}, BULK if bulk else None
    )


async def _went(order: list[str], count: int) -> None:
    """Wait until ``count`` sends went (a ceiling of 10 s, never the point)."""
    for _ in range(1000):
        if len(order) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(order)} sends went")


async def test_replies_to_people_overtake_waiting_bulk_sends() -> None:
    limiter = ChatRateLimiter(Limits(overall=(2, 0.3)))
    order: list[str] = []
    bulk = [
        asyncio.create_task(_send(limiter, 1000 + i, order, f"bulk{i}", bulk=True))
        for i in range(6)
    ]
    await _went(order, 2)  # two bulk sends went; the rest wait for the next window
    await _send(limiter, 1, order, "reply")
    await asyncio.gather(*bulk)
    assert order.index("reply") in (2, 3)  # at most the one bulk slot booked ahead of it


async def test_a_reply_during_a_broadcast_goes_next_and_the_broadcast_keeps_the_whole_rate() -> (
    None
):
    limiter = ChatRateLimiter(Limits(overall=(10, 1.0)))  # a slot every 0.104 s
    order: list[str] = []
    bulk = [
        asyncio.create_task(_send(limiter, 1000 + i, order, f"bulk{i}", bulk=True))
        for i in range(12)
    ]
    try:
        await _went(order, 3)
        await asyncio.wait_for(_send(limiter, 1, order, "reply"), 10)
        assert order.index("reply") in (3, 4)  # at most the one slot booked ahead before it
        await asyncio.gather(*bulk)
    finally:
        for task in bulk:
            task.cancel()
        await asyncio.gather(*bulk, return_exceptions=True)
    budget = limiter.budget
    assert isinstance(budget, LocalBudget)
    assert len(order) == 13


def test_a_rate_never_lets_more_than_the_limit_into_any_window() -> None:
    rate = Rate.of(20, 60.0, 1.04, burst=3)  # a group: 3 at once, then evenly spaced
    sent: list[float] = []
    tat, now = 0.0, 0.0
    while now < 600:  # ten minutes of a group that always has something to send
        slot = max(now, tat - rate.tolerance)
        sent.append(slot)
        tat = max(tat, now) + rate.interval
        now = slot
    assert sent[:3] == [0.0, 0.0, 0.0]
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(sent[3:])}
    assert gaps == {round(rate.interval, 6)}  # evenly spaced after the burst
    assert max(sum(1 for t in sent if s <= t < s + 60) for s in sent) == 20


async def test_the_local_budget_refuses_a_bulk_send_while_replies_are_booked_ahead() -> None:
    budget = LocalBudget()
    rate = Rate.of(1, 1.0, 1.0)  # one a second
    assert await budget.book("-5", rate, 1, True) == (True, 0.0)
    booked, wait = await budget.book("-5", rate, 1, True)  # a second reply: next second
    assert booked and wait == pytest.approx(1.0, abs=0.05)
    booked, wait = await budget.book("-5", rate, 1, False)  # a bulk send: ask again when
    assert not booked and wait == pytest.approx(1.0, abs=0.05)  # one slot is left ahead
    await budget.hold("-5", rate, 30.0)  # a 429 with retry_after 30
    booked, wait = await budget.book("-5", rate, 1, True)
    assert booked and wait == pytest.approx(30.0, abs=0.05)


@pytest_asyncio.fixture
async def parking_bot(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[World, Runner]]:
    """A throttled bot (2 messages per 30 s in a group) that parks updates after 0.3 s."""
    clock = FrozenClock(START)
    emulator = new_emulator(clock)
    config = make_config(db_url, tmp_path, emulator)
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=clock,
        rate_limiter=ChatRateLimiter(Limits(group=(2, 30.0)), max_retries=2),
    )
    app.bot_data.options.scheduling = False
    runner = Runner(app, config, poll_timeout=5)
    world = World(emulator)
    await runner.start()
    assert isinstance(runner.transport, ConfirmingPoller)
    runner.transport.park_after = 0.3
    runner.transport.stop_grace = 0.2
    try:
        yield world, runner
    finally:
        await runner.stop()


async def parked_ids(runner: Runner) -> list[int]:
    db = runner.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        return [update_id for update_id, _ in await parked_updates(session)]


async def test_a_group_at_its_minute_limit_delays_no_other_group_and_its_wait_is_parked(
    parking_bot: tuple[World, Runner],
) -> None:
    world, runner = parking_bot
    busy, busy_member = await _group(world, "一班")
    quiet, quiet_member = await _group(world, "二班")
    for _ in range(3):
        await busy.say(busy_member, "/help")
    waiting = world.emulator.last_update_id()
    assert "/members" in await busy.next_reply()  # the second of two allowed
    await quiet.say(quiet_member, "/help")
    assert "/members" in await quiet.next_reply(timeout=3)
    # the busy group's other replies wait for its half minute; once parked, Telegram
    # may forget their updates, and later ones are fetched past them
    assert await world.emulator.wait_for(lambda: world.emulator.confirmed_offset > waiting, 5)
    assert await parked_ids(runner) == [waiting - 1, waiting]
    late, late_member = await _group(world, "三班")  # a group that comes in after that
    await late.say(late_member, "/topics")
    assert "还没有题目" in await late.next_reply(timeout=3)
    assert world.emulator.take_unread(busy.id) is None


async def test_a_parked_update_still_running_here_is_not_taken_up_again_when_its_lease_runs_out(
    parking_bot: tuple[World, Runner],
) -> None:
    world, runner = parking_bot
    busy, busy_member = await _group(world, "一班")
    for _ in range(3):
        await busy.say(busy_member, "/help")
    waiting = world.emulator.last_update_id()
    assert "/members" in await busy.next_reply()
    assert await world.emulator.wait_for(lambda: world.emulator.confirmed_offset > waiting, 5)
    assert await parked_ids(runner) == [waiting - 1, waiting]
    clock = runner.app.bot_data.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(minutes=5))  # its lease ran out before the next renewal
    assert await runner.parked_work.take_up() == 0  # it is still running here
    assert not runner.parked_work.running


async def test_a_parked_update_is_processed_after_a_restart(
    parking_bot: tuple[World, Runner], db_url: str, tmp_path: Path
) -> None:
    world, runner = parking_bot
    busy, busy_member = await _group(world, "一班")
    await busy.say(busy_member, "/help")
    await busy.next_reply()  # the group's second message this half minute
    await busy.say(busy_member, "/topics")
    waiting = world.emulator.last_update_id()
    assert await world.emulator.wait_for(lambda: world.emulator.confirmed_offset > waiting, 5)
    await runner.stop()  # killed while the reply waited: the update is not lost
    assert world.emulator.take_unread(busy.id) is None
    emulator = world.emulator
    config = make_config(db_url, tmp_path, emulator)
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=runner.app.bot_data.clock,
        rate_limiter=ChatRateLimiter(None),
    )
    app.bot_data.options.scheduling = False
    again = Runner(app, config, poll_timeout=5)
    await again.start()
    try:
        assert "还没有题目" in await busy.next_reply()
        for _ in range(50):  # released at the poller's next round
            if not await parked_ids(again):
                break
            await asyncio.sleep(0.1)
        assert await parked_ids(again) == []
    finally:
        await again.stop()


async def test_a_flood_of_bad_commands_in_one_group_does_not_stall_another(
    parking_bot: tuple[World, Runner],
) -> None:
    world, runner = parking_bot
    busy, busy_member = await _group(world, "一班")
    quiet, quiet_member = await _group(world, "二班")
    emulator = world.emulator
    for _ in range(1200):  # more than the poller once held in flight (1,000)
        message = emulator.user_message(busy.chat, busy_member.user, text="/issue abc")
        emulator.push("message", message)
    await quiet.say(quiet_member, "/help")
    assert "/members" in await quiet.next_reply(timeout=20)
    assert isinstance(runner.transport, ConfirmingPoller)
    assert runner.transport.in_flight > 1000  # all still queued behind the group's limit
    emulator.mark_all_read()
