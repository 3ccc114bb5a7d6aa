"""Case 3: one busy group must not stall the others.

Group A sends a burst of commands at once (its people writing for the first time); half
a second later group B sends ``/help``. B's wait is the figure. The bot runs with its
production rate limiter against an emulator that enforces Telegram's flood limits, so
A's replies past 20 a minute must wait; B's need not. Also counted: the
``getChatAdministrators`` calls the burst caused and the 429s the bot received. The
anchor: the same scenario on the bare echo bot with python-telegram-bot's
``AIORateLimiter`` (:mod:`bench.limited`), in the same run, taking turns. A's burst is
waited for (``drain_timeout``) only on Vanguard; the echo bot drops the replies
Telegram refuses.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bots import OffsetClock
from bench.databases import database
from bench.figures import LoadWatch, ratio, spread
from bench.limited import Side, echo_side, vanguard_side
from bench.settings import Settings

DELAY_B = 0.5  # seconds between A's burst and B's /help


async def one_round(
    side: Side, clock: OffsetClock | None, settings: Settings, index: int
) -> dict[str, Any]:
    """One burst in a fresh group A and one ``/help`` in a fresh group B; by then the
    groups' admin lists are stale (with a ``clock``: eleven minutes pass on it)."""
    emulator, tracker, limits = side.emulator, side.tracker, side.limits
    a = side.group(f"忙碌{index}班", settings.burst_members, admins=1)
    b = side.group(f"安静{index}班", 1, admins=0)
    await side.ready([a, b], [b], settings.sample_timeout)
    if clock is not None:
        clock.advance(timedelta(minutes=11))
    calls_before = len(emulator.calls)
    refused_before = limits.refused
    senders = [*a.admins, *a.members]
    async with LoadWatch() as load:
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
        drain = settings.drain_timeout if side.who == "vanguard" else 0.0
        drained = drain > 0 and await tracker.wait(keys, drain)
    answered = [tracker.answered_at[k] for k in keys if k in tracker.answered_at]
    if drained:
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
        "loads": load.samples,
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Case 3 on one database: Vanguard (one bot for every round) and a fresh echo bot
    taking turns."""
    rounds: list[dict[str, Any]] = []
    echoes: list[dict[str, Any]] = []
    async with database(kind, settings, "fair") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as media:
            clock = OffsetClock()
            timeout = settings.sample_timeout
            async with vanguard_side(url, Path(media), clock=clock, timeout=timeout) as side:
                for index in range(1 if settings.quick else settings.repeats):
                    rounds.append(await one_round(side, clock, settings, index))
                    async with echo_side() as echo:
                        echoes.append(await one_round(echo, None, settings, index))
    return [_row(settings, kind, rounds, echoes)]


def _latencies(rounds: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """B's waits (a spread) and how many were not answered in time."""
    found = [r["b_latency"] for r in rounds if r["b_latency"] is not None]
    return spread(found, 3), len(rounds) - len(found)


def _row(
    settings: Settings, kind: str, rounds: list[dict[str, Any]], echoes: list[dict[str, Any]]
) -> dict[str, Any]:
    """The case's result row: Vanguard's figures, the echo bot's, the ratio."""
    ours, timeouts = _latencies(rounds)
    echo, echo_timeouts = _latencies(echoes)
    return {
        "case": "fairness",
        "database": kind,
        "burst": settings.burst,
        "burst_people": settings.burst_members + 1,
        "b_help_latency_s": ours,
        "b_timeouts": timeouts,
        "timeout_s": settings.sample_timeout,
        "burst_seconds": spread([r["burst_seconds"] for r in rounds if r["burst_seconds"]], 2),
        "burst_answered_min": min(r["burst_answered"] for r in rounds),
        "burst_drained": sum(1 for r in rounds if r["burst_drained"]),
        "get_chat_administrators": spread([r["get_chat_administrators"] for r in rounds]),
        "r429": spread([r["r429"] for r in rounds]),
        "echo": {
            "b_help_latency_s": echo,
            "b_timeouts": echo_timeouts,
            "r429": spread([r["r429"] for r in echoes]),
        },
        "b_help_vs_echo": ratio(ours, echo),
        "load": spread([x for r in [*rounds, *echoes] for x in r["loads"]], 2),
        "rounds": rounds,
        "echo_rounds": echoes,
    }
