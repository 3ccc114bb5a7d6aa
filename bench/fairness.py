"""Case 3: one busy group must not stall the others.

Group A sends a burst of commands at once (its people writing for the first time); half
a second later group B sends ``/help``. B's wait is the figure. The bot runs with its
production rate limiter against an emulator that enforces Telegram's flood limits, so
A's replies past 20 a minute must wait; B's need not. Also counted: the
``getChatAdministrators`` calls the burst caused and the 429s the bot received.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bots import OffsetClock, start_vanguard, stop_quietly
from bench.databases import database
from bench.figures import spread
from bench.settings import Settings
from bench.tracking import Tracker
from bench.world import make_group, push_add_bot
from emulator.core import TelegramEmulator
from emulator.limits import FloodLimits

DELAY_B = 0.5  # seconds between A's burst and B's /help


async def one_round(
    tracker: Tracker, limits: FloodLimits, clock: OffsetClock, settings: Settings, index: int
) -> dict[str, Any]:
    """One burst in a fresh group A and one ``/help`` in a fresh group B; by then the
    groups' admin lists are stale (eleven minutes pass on the bot's clock)."""
    emulator = tracker.emulator
    a = make_group(emulator, f"忙碌{index}班", settings.burst_members, admins=1)
    b = make_group(emulator, f"安静{index}班", 1, admins=0)
    tracker.unquoted = "oldest"
    greet = [tracker.expect(push_add_bot(emulator, g)) for g in (a, b)]
    if not await tracker.wait(greet, settings.sample_timeout):
        raise TimeoutError("the bot did not greet the groups")
    first = tracker.say(b.chat, b.members[0], "/start")
    if not await tracker.wait([first], settings.sample_timeout):
        raise TimeoutError("the bot did not answer B's first message")
    await tracker.wait_quiet(None, 0.3)
    tracker.pending.clear()
    tracker.unquoted = "trailing"
    clock.advance(timedelta(minutes=11))
    calls_before = len(emulator.calls)
    refused_before = limits.refused
    senders = [*a.admins, *a.members]
    began = time.perf_counter()
    keys = [
        tracker.say(a.chat, senders[i % len(senders)], "/help" if i % 2 == 0 else "/topics")
        for i in range(settings.burst)
    ]
    await asyncio.sleep(DELAY_B)
    b_key = tracker.say(b.chat, b.members[0], "/help")
    b_answered = await tracker.wait([b_key], settings.sample_timeout)
    b_latency = tracker.latency(b_key)
    # past 20 a minute a group's replies must wait for Telegram's window: ≥ 60 s
    drained = await tracker.wait(keys, max(settings.sample_timeout * 1.5, 75.0))
    answered = [tracker.answered_at[k] for k in keys if k in tracker.answered_at]
    await tracker.wait_quiet(None, 0.5, cap=settings.sample_timeout)
    tracker.pending.clear()
    return {
        "b_latency": b_latency if b_answered else None,
        "burst_answered": len(answered),
        "burst_drained": drained,
        "burst_seconds": (max(answered) - began) if drained else None,
        "get_chat_administrators": sum(
            1
            for call in emulator.calls[calls_before:]
            if call.method == "getChatAdministrators" and call.params.get("chat_id") == str(a.id)
        ),
        "r429": limits.refused - refused_before,
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Case 3 on one database."""
    rounds: list[dict[str, Any]] = []
    async with database(kind, settings, "fair") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as media:
            emulator = TelegramEmulator()
            limits = FloodLimits()
            emulator.limits = limits
            tracker = Tracker(emulator)
            clock = OffsetClock()
            _app, runner = await start_vanguard(
                emulator, url, Path(media), production_limits=True, clock=clock
            )
            try:
                for index in range(1 if settings.quick else settings.repeats):
                    rounds.append(await one_round(tracker, limits, clock, settings, index))
            finally:
                await stop_quietly(runner, timeout=settings.sample_timeout)
    latencies = [r["b_latency"] for r in rounds if r["b_latency"] is not None]
    timeouts = sum(1 for r in rounds if r["b_latency"] is None)
    return [
        {
            "case": "fairness",
            "database": kind,
            "burst": settings.burst,
            "burst_people": settings.burst_members + 1,
            "b_help_latency_s": spread(latencies, 3),
            "b_timeouts": timeouts,
            "timeout_s": settings.sample_timeout,
            "burst_seconds": spread([r["burst_seconds"] for r in rounds if r["burst_seconds"]], 2),
            "burst_answered_min": min(r["burst_answered"] for r in rounds),
            "burst_drained": sum(1 for r in rounds if r["burst_drained"]),
            "get_chat_administrators": spread([r["get_chat_administrators"] for r in rounds]),
            "r429": spread([r["r429"] for r in rounds]),
            "rounds": rounds,
        }
    ]
