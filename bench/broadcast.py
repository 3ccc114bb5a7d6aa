"""Case 6: reminders and briefings at Telegram's own limits.

The emulator enforces Telegram's flood limits (:mod:`emulator.limits`). The bot, built by
``build_application`` with its default (production) rate limiter, sends one message to
each of ``private_messages`` people and ``group_messages`` groups through
``app.bot.send_message``, all started at once. The figure is the total time divided by
the least the limits allow (messages ÷ 30 per second), and the 429s the bot received.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bots import start_vanguard, stop_quietly
from bench.databases import database
from bench.figures import spread
from bench.settings import Settings
from bench.world import make_group
from emulator.core import TelegramEmulator
from emulator.limits import FloodLimits

OVERALL_PER_SECOND = 30


async def one_round(settings: Settings, index: int) -> dict[str, Any]:
    """One broadcast on a fresh emulator and a fresh bot."""
    emulator = TelegramEmulator()
    limits = FloodLimits()
    emulator.limits = limits
    people = []
    for n in range(settings.private_messages):
        user = emulator.add_user("成员", last_name=str(n), username=f"p{index}_{n}")
        emulator.private_chat(user).bot_started = True  # they pressed Start long ago
        people.append(user.id)
    groups = [
        make_group(emulator, f"班组{n}", 0, admins=0, bot_in=True).id
        for n in range(settings.group_messages)
    ]
    async with database("sqlite", settings, "cast") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as media:
            app, runner = await start_vanguard(emulator, url, Path(media), production_limits=True)
            try:
                began = time.perf_counter()
                sends = [
                    app.bot.send_message(
                        chat_id, "早安！今日简报：3 项待整改问题，1 个课题待验收。"
                    )
                    for chat_id in groups
                ] + [
                    app.bot.send_message(chat_id, "提醒：您认领的问题 #12 今天到期。")
                    for chat_id in people
                ]
                outcomes = await asyncio.wait_for(
                    asyncio.gather(*sends, return_exceptions=True), settings.case_timeout
                )
                elapsed = time.perf_counter() - began
            finally:
                await stop_quietly(runner)
    failures: dict[str, int] = {}
    for result in outcomes:
        if isinstance(result, BaseException):
            name = type(result).__name__
            failures[name] = failures.get(name, 0) + 1
    total = len(sends)
    least = total / OVERALL_PER_SECOND
    return {
        "messages": total,
        "seconds": elapsed,
        "ratio_to_minimum": elapsed / least,
        "r429": limits.refused,
        "delivered": total - sum(failures.values()),
        "failures": failures,
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Case 6 (the database does not matter here: SQLite)."""
    rounds = [await one_round(settings, index) for index in range(settings.repeats)]
    total = rounds[0]["messages"]
    return [
        {
            "case": "broadcast",
            "database": "sqlite",
            "private": settings.private_messages,
            "groups": settings.group_messages,
            "minimum_s": round(total / OVERALL_PER_SECOND, 2),
            "seconds": spread([r["seconds"] for r in rounds], 2),
            "ratio_to_minimum": spread([r["ratio_to_minimum"] for r in rounds], 3),
            "r429": spread([r["r429"] for r in rounds]),
            "delivered_min": min(r["delivered"] for r in rounds),
            "rounds": rounds,
        }
    ]
