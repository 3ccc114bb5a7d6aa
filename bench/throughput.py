"""Cases 1 and 2: throughput and latency per command in-process without rate limits,
against the echo bot in the same run (alternating), and SQL statements per command.

Many groups, each already registered (the bot added, every member has written once, a
topic and an issue exist). Case 2 sends one command at a time and counts the statements
from the push until the bot has gone quiet; case 1 pushes a burst of updates and times
each reply, Vanguard and the echo bot taking turns.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bots import start_vanguard, stop_quietly
from bench.databases import database
from bench.echo import ECHO_TOKEN, start_echo, stop_echo
from bench.figures import LoadWatch, percentile, ratio, spread
from bench.settings import Settings
from bench.tracking import SqlCounter, Tracker
from bench.world import Group, make_group, push_add_bot
from emulator.core import EChat, EUser, TelegramEmulator

TextOf = Callable[[int], str]


def report_text(index: int) -> str:
    """A text report at a different stake each time (no pile of possible duplicates)."""
    stake = 93_520 + 100 * index
    return f"/report S272 K{stake // 1000}+{stake % 1000:03d} 坑槽"


COMMANDS: dict[str, TextOf] = {
    "/help": lambda i: "/help",
    "/topics": lambda i: "/topics",
    "/issues": lambda i: "/issues",
    "/report": report_text,
    "/issue 1": lambda i: "/issue 1",
}


async def register(tracker: Tracker, groups: list[Group], timeout: float) -> None:
    """Add the bot to every group, let everyone write once, create a topic and an issue;
    waits for every answer."""
    tracker.unquoted = "oldest"
    keys = [tracker.expect(push_add_bot(tracker.emulator, g)) for g in groups]
    if not await tracker.wait(keys, timeout):
        raise TimeoutError("the bot did not greet every group")
    keys = [tracker.say(g.chat, person, "/start") for g in groups for person in g.people]
    keys += [
        tracker.say(g.chat, g.creator, "/newtopic 中东桥加固工程 | 说明 due:2030-12-31 slots:3")
        for g in groups
    ]
    keys += [tracker.say(g.chat, g.members[0], "/report S272 K93+520 坑槽") for g in groups]
    if not await tracker.wait(keys, timeout):
        raise TimeoutError("the bot did not answer the set-up messages")
    await tracker.wait_quiet(None, 0.3)
    tracker.pending.clear()


async def one_by_one(
    tracker: Tracker, sql: SqlCounter, chat: EChat, person: EUser, text: str, timeout: float
) -> dict[str, Any]:
    """One command, alone: latency to the first answer, statements until quiet,
    how many messages answered it and whether the first one quotes the command."""
    emulator = tracker.emulator
    before = sql.count
    began = time.perf_counter()
    message = emulator.user_message(chat, person, text=text)
    emulator.push("message", message)
    got = await emulator.wait_for(lambda: bool(tracker.outputs_in(chat.id, began)), timeout)
    if not got:
        raise TimeoutError(f"no answer to {text!r} within {timeout:.0f} s")
    await tracker.wait_quiet(sql)
    outputs = tracker.outputs_in(chat.id, began)
    first = outputs[0][2]
    quoted = (first.get("reply_to_message") or {}).get("message_id") == message["message_id"]
    return {
        "latency": outputs[0][0] - began,
        "statements": sql.count - before,
        "messages": len(outputs),
        "quoted": quoted,
        "methods": [method for _, method, _ in outputs],
    }


async def burst(
    tracker: Tracker, groups: list[Group], text_of: TextOf, count: int, timeout: float
) -> dict[str, Any]:
    """Push ``count`` updates at once over the groups and their people; throughput
    (answered ÷ time to the last first answer) and latency percentiles."""
    keys = []
    began = time.perf_counter()
    for index in range(count):
        group = groups[index % len(groups)]
        person = group.people[(index // len(groups)) % len(group.people)]
        keys.append(tracker.say(group.chat, person, text_of(index)))
    await tracker.wait(keys, timeout)
    latencies = [x for x in (tracker.latency(k) for k in keys) if x is not None]
    if not latencies:
        raise TimeoutError("no update of the burst was answered")
    makespan = max(tracker.answered_at[k] for k in keys if k in tracker.answered_at) - began
    await tracker.wait_quiet(None, 0.3)
    for key in keys:  # forget what was never answered, so the next burst starts clean
        queue = tracker.pending.get(key[0])
        if queue is not None and key in queue:
            queue.remove(key)
    return {
        "answered": len(latencies),
        "throughput": len(latencies) / makespan,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Cases 1 and 2 on one database."""
    results: list[dict[str, Any]] = []
    async with database(kind, settings, "tp") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as media:
            vanguard_emu = TelegramEmulator()
            echo_emu = TelegramEmulator(token=ECHO_TOKEN, bot_username="echo_bot")
            _app, runner = await start_vanguard(vanguard_emu, url, Path(media))
            echo = await start_echo(echo_emu)
            try:
                results = await _measure(settings, kind, vanguard_emu, echo_emu)
            finally:
                await stop_echo(echo)
                await stop_quietly(runner)
    return results


async def _measure(
    settings: Settings, kind: str, vanguard_emu: TelegramEmulator, echo_emu: TelegramEmulator
) -> list[dict[str, Any]]:
    """Set up both worlds, then case 2 (one by one), then case 1 (bursts)."""
    tracker, echo_tracker = Tracker(vanguard_emu), Tracker(echo_emu)
    echo_tracker.unquoted = "trailing"
    groups = [
        make_group(vanguard_emu, f"养护{i}班", settings.members) for i in range(settings.groups)
    ]
    echo_groups = [
        make_group(echo_emu, f"echo{i}", settings.members, bot_in=True)
        for i in range(settings.groups)
    ]
    await register(tracker, groups, settings.sample_timeout * 3)
    results, quoted = await _alone(settings, kind, (tracker, groups), (echo_tracker, echo_groups))
    for name, text_of in COMMANDS.items():
        tracker.unquoted = "trailing" if quoted.get(name, True) else "oldest"
        runs: dict[str, list[dict[str, Any]]] = {"vanguard": [], "echo": []}
        offset = 10_000
        async with LoadWatch() as load:
            for _ in range(settings.repeats):
                for who, t, g in (
                    ("vanguard", tracker, groups),
                    ("echo", echo_tracker, echo_groups),
                ):
                    shifted = _shifted(text_of, offset)
                    runs[who].append(
                        await burst(t, g, shifted, settings.updates, settings.sample_timeout * 5)
                    )
                    await asyncio.sleep(0.2)
                offset += settings.updates
        row = _throughput_result(kind, name, settings.updates, runs)
        results.append({**row, "load": load.figure()})
    return results


World = tuple[Tracker, list[Group]]


async def _alone(
    settings: Settings, kind: str, ours: World, echo: World
) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Case 2: each command alone, ``sql_samples`` times, Vanguard's statements counted,
    the echo bot answering the same text in turn; the rows, and whether Vanguard's
    answer quoted each command."""
    results: list[dict[str, Any]] = []
    quoted: dict[str, bool] = {}
    sql, nothing = SqlCounter(), SqlCounter()  # the echo bot runs no SQL: never installed
    for name, text_of in COMMANDS.items():
        samples: list[dict[str, Any]] = []
        anchors: list[dict[str, Any]] = []
        async with LoadWatch() as load:
            for index in range(settings.sql_samples):
                text = text_of(1000 + index)
                for (tracker, groups), counter, found in (
                    (ours, sql, samples),
                    (echo, nothing, anchors),
                ):
                    group = groups[index % len(groups)]
                    person = group.people[index % len(group.people)]
                    chat, timeout = group.chat, settings.sample_timeout
                    with sql.installed():
                        found.append(
                            await one_by_one(tracker, counter, chat, person, text, timeout)
                        )
        quoted[name] = samples[0]["quoted"]
        latency = spread([s["latency"] * 1000 for s in samples], 2)
        echo_latency = spread([s["latency"] * 1000 for s in anchors], 2)
        results.append(
            {
                "case": "sql_per_command",
                "database": kind,
                "command": name,
                "statements": spread([s["statements"] for s in samples]),
                "idle_latency_ms": latency,
                "echo_idle_latency_ms": echo_latency,
                "idle_vs_echo": ratio(latency, echo_latency),
                "messages": spread([s["messages"] for s in samples]),
                "load": load.figure(),
            }
        )
    return results, quoted


def _shifted(text_of: TextOf, offset: int) -> TextOf:
    """``text_of`` numbered from ``offset`` (each report at its own stake)."""
    return lambda index: text_of(offset + index)


def _throughput_result(
    kind: str, name: str, updates: int, runs: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """One row of case 1: both bots' figures and Vanguard's ratio to the echo bot."""
    summary: dict[str, Any] = {}
    for who, found in runs.items():
        summary[who] = {
            "throughput": spread([r["throughput"] for r in found], 1),
            "p50_ms": spread([r["p50"] * 1000 for r in found], 1),
            "p95_ms": spread([r["p95"] * 1000 for r in found], 1),
            "answered_min": min(r["answered"] for r in found),
        }
    pairs = [
        v["throughput"] / e["throughput"]
        for v, e in zip(runs["vanguard"], runs["echo"], strict=True)
    ]
    ours, echo = summary["vanguard"], summary["echo"]
    return {
        "case": "throughput",
        "database": kind,
        "command": name,
        "updates": updates,
        **summary,
        "ratio_to_echo": spread(pairs, 4),
        "p50_vs_echo": ratio(ours["p50_ms"], echo["p50_ms"]),
        "p95_vs_echo": ratio(ours["p95_ms"], echo["p95_ms"]),
    }
