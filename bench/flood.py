"""Case: a flood. One group sends ``flood`` commands at once (1,200 by default: its
people each sending ``/help`` and ``/topics`` in turn); half a second later, and then
every ``flood_every`` seconds, another group asks ``/help`` (``flood_samples`` times,
each in a group of its own: Vanguard spaces one group's messages out). The figure is
their wait, against the same scenario on the bare echo bot with python-telegram-bot's
``AIORateLimiter`` (:mod:`bench.limited`), in the same run; a reply that has not come
``flood_timeout`` seconds after its ``/help`` counts as not answered. Both emulators
enforce Telegram's limits, so the flooding group's replies trickle out at 20 a minute
(1,200 would take an hour): the bot is stopped once the samples are in, without waiting
for them. Each round has a fresh bot (and for Vanguard a fresh database: the updates it
parks would be taken up by the next bot).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.databases import database
from bench.figures import LoadWatch, ratio, spread
from bench.limited import Side, echo_side, vanguard_side
from bench.settings import Settings

DELAY = 0.5  # seconds between the flood and the first /help elsewhere
TEXTS = ("/help", "/topics")


async def flood_round(side: Side, settings: Settings, index: int) -> dict[str, Any]:
    """One flood in a fresh group A with ``/help`` sampled in fresh groups B."""
    a = side.group(f"刷屏{index}班", settings.flood_members)
    bs = [side.group(f"旁观{index}-{n}班", 1, admins=0) for n in range(settings.flood_samples)]
    await side.ready([a, *bs], bs, settings.sample_timeout)
    tracker, refused = side.tracker, side.limits.refused
    senders = a.people
    async with LoadWatch() as load:
        began = time.perf_counter()
        keys = [
            tracker.say(a.chat, senders[i % len(senders)], TEXTS[i % len(TEXTS)])
            for i in range(settings.flood)
        ]
        pushed = time.perf_counter() - began
        samples = []
        for n, b in enumerate(bs):
            await asyncio.sleep(settings.flood_every if n else DELAY)
            samples.append(tracker.say(b.chat, b.members[0], "/help"))
        await tracker.wait(samples, settings.flood_timeout)
    waits = [tracker.latency(k) for k in samples]
    answered = [w for w in waits if w is not None and w <= settings.flood_timeout]
    return {
        "help_s": [round(w, 4) for w in answered],
        "asked": len(samples),
        "not_answered": len(samples) - len(answered),
        "flood_answered": sum(1 for k in keys if k in tracker.answered_at),
        "pushed_in_s": round(pushed, 3),
        "r429": side.limits.refused - refused,
        "loads": load.samples,
    }


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One bot's rounds: every answered sample's wait, the samples not answered, the
    flood's replies sent by the end of the samples, 429s, load averages."""
    return {
        "help_s": spread([w for r in rounds for w in r["help_s"]], 3),
        "asked": sum(r["asked"] for r in rounds),
        "not_answered": sum(r["not_answered"] for r in rounds),
        "flood_answered": spread([r["flood_answered"] for r in rounds]),
        "r429": spread([r["r429"] for r in rounds]),
        "load": spread([x for r in rounds for x in r["loads"]], 2),
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The flood on one database: Vanguard and the echo bot taking turns."""
    rounds: dict[str, list[dict[str, Any]]] = {"vanguard": [], "echo": []}
    for index in range(1 if settings.quick else settings.repeats):
        async with database(kind, settings, "flood") as url:
            with tempfile.TemporaryDirectory(dir=settings.work) as media:
                async with vanguard_side(url, Path(media), timeout=settings.sample_timeout) as side:
                    rounds["vanguard"].append(await flood_round(side, settings, index))
        async with echo_side() as side:
            rounds["echo"].append(await flood_round(side, settings, index))
    ours, echo = summary(rounds["vanguard"]), summary(rounds["echo"])
    loads = [x for found in rounds.values() for r in found for x in r["loads"]]
    return [
        {
            "case": "flood",
            "database": kind,
            "commands": settings.flood,
            "people": settings.flood_members + 2,
            "samples": settings.flood_samples,
            "every_s": settings.flood_every,
            "timeout_s": settings.flood_timeout,
            "vanguard": ours,
            "echo": echo,
            "help_vs_echo": ratio(ours["help_s"], echo["help_s"]),
            "load": spread(loads, 2),
            "rounds": rounds,
        }
    ]
