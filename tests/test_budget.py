"""Telegram's limits shared by several processes on one PostgreSQL database: two rate
limiters, each with its own engine as two processes have, book from the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.budget import SharedBudget
from bot.limits import BULK, ChatRateLimiter, Limits
from storage.db import create_engine, is_sqlite

LIMITS = Limits(overall=(20, 1.0))  # a slot every 0.052 s for the bot as a whole


@pytest_asyncio.fixture
async def two_limiters(db_url: str) -> AsyncIterator[tuple[ChatRateLimiter, ChatRateLimiter]]:
    """Two processes' limiters on one PostgreSQL database."""
    if is_sqlite(db_url):
        pytest.skip("the budget is shared on PostgreSQL (SQLite runs one process)")
    engines = [create_engine(db_url, pool_size=2) for _ in range(2)]
    first, second = (ChatRateLimiter(LIMITS, budget=SharedBudget(e)) for e in engines)
    try:
        yield first, second
    finally:
        for engine in engines:
            await engine.dispose()


async def _send(
    limiter: ChatRateLimiter, chat_id: int, sent: list[str], label: str, bulk: bool
) -> None:
    async def callback(*args: Any, **kwargs: Any) -> bool:
        sent.append(label)
        return True

    await limiter.process_request(
        callback, (), {}, "sendMessage", {"chat_id": chat_id}, BULK if bulk else None
    )


async def test_two_processes_together_keep_to_one_overall_rate(
    two_limiters: tuple[ChatRateLimiter, ChatRateLimiter],
) -> None:
    first, second = two_limiters
    sent: list[str] = []
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(
        *(
            _send(limiter, -1000 - i, sent, f"{name}{i}", bulk=True)
            for name, limiter in (("a", first), ("b", second))
            for i in range(30)
        )
    )
    took = loop.time() - began
    interval = 1.0 * LIMITS.margin / 20
    assert len(sent) == 60
    # 60 messages at one rate take 59 intervals at least (each alone would take 29)
    assert took >= 59 * interval * 0.98, took
    assert {s[0] for s in sent[:20]} == {"a", "b"}  # both sent all along, neither starved


async def test_a_reply_in_one_process_overtakes_the_other_process_broadcast(
    two_limiters: tuple[ChatRateLimiter, ChatRateLimiter],
) -> None:
    first, second = two_limiters
    sent: list[str] = []
    broadcast = [
        asyncio.create_task(_send(first, -2000 - i, sent, f"bulk{i}", bulk=True)) for i in range(40)
    ]
    try:
        for _ in range(1000):  # a ceiling of 10 s, never the point
            if len(sent) >= 5:
                break
            await asyncio.sleep(0.01)
        went = len(sent)
        await asyncio.wait_for(_send(second, 42, sent, "reply", bulk=False), 10)
        assert sent.index("reply") <= went + 2  # behind what was already booked, not 35 more
        await asyncio.gather(*broadcast)
    finally:
        for task in broadcast:
            task.cancel()
        await asyncio.gather(*broadcast, return_exceptions=True)
    assert len(sent) == 41


async def test_a_429_in_one_process_holds_the_chat_in_the_other(
    two_limiters: tuple[ChatRateLimiter, ChatRateLimiter],
) -> None:
    first, second = two_limiters
    await first.budget.hold(
        "-77", LIMITS.rates()[1], 1.5
    )  # Telegram told the first process to wait 1.5 s
    booked, wait = await second.budget.book("-77", LIMITS.rates()[1], 1, True)
    assert booked and wait == pytest.approx(1.5, abs=0.3)
    booked, wait = await second.budget.book("-78", LIMITS.rates()[1], 1, True)
    assert booked and wait == 0.0  # another group is not held
