"""Case ``morning``: the 1,000-group morning with 1, 2 and 3 bot processes on one
PostgreSQL database, at Telegram's limits.

For each number of processes, on a fresh schema: ``morning_groups`` registered groups
whose briefing is due (:mod:`bench.morning_world`), an HTTP emulator in this process that
enforces Telegram's flood limits (30 messages a second overall, 20 a minute per group,
1 a second per private chat) and answers 429 past them, and N real ``python -m bot run``
processes with one config (token, database, media folder) and the production rate
limiter. Once every process is up (one polls, the others stand by), the briefing time is
set to the next minute boundary; the processes' own minute sweeps write the briefings to
the outbox and send them through the shared limiter. Measured from that minute: the
time until the emulator has received every briefing (against the physical minimum,
groups ÷ 30 per second), the 429s it answered, and the latency of a ``/help`` sent every
second in another group during the rush (worst, median, answered), with the load
average beside them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.databases import database
from bench.figures import outcome
from bench.morning_world import (
    MorningWorld,
    brief_at,
    build_emulator,
    make_world,
    seed_world,
    write_config,
)
from bench.processes import child_env
from bench.settings import Settings
from emulator.core import TelegramEmulator
from emulator.core.objects import Call
from emulator.limits import FloodLimits, is_limited
from emulator.server import EmulatorServer
from storage.db import create_engine

OVERALL_PER_SECOND = 30
HELP_EVERY = 1.0  # seconds between the /help commands during the rush
HELP_GROUPS = 60  # groups that take turns asking (one a minute each at most)
IDLE_SAMPLES = 3  # /help before the rush, for comparison
LEAD = 8.0  # at least this many seconds between setting the briefing time and the minute
READY = "Vanguard is running"


@dataclass
class Watch:
    """What the emulator saw: when each briefing arrived, each /help's latency."""

    briefed: set[int]
    arrived: dict[int, float] = field(default_factory=dict)  # chat → when its briefing came
    asked: dict[int, tuple[float, str]] = field(default_factory=dict)  # chat → (when, phase)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # phase → seconds
    sent: dict[str, int] = field(default_factory=dict)  # phase → /help commands sent
    loads: list[float] = field(default_factory=list)  # 1-minute load averages

    def on_call(self, call: Call) -> None:
        """The emulator's hook: a message delivered to a chat the case waits on."""
        if not call.finished or not is_limited(call.method) or "chat_id" not in call.params:
            return
        try:
            chat = int(call.params["chat_id"])
        except ValueError:
            return
        now = time.time()
        if chat in self.briefed:
            self.arrived.setdefault(chat, now)
        elif chat in self.asked:
            began, phase = self.asked.pop(chat)
            self.latencies.setdefault(phase, []).append(now - began)


async def start_processes(count: int, config: Path, folder: Path) -> list[Any]:
    """``count`` ``python -m bot run --config`` processes, each logging to its own file."""
    command = (sys.executable, "-m", "bot", "run", "--config", str(config))
    processes = []
    for index in range(count):
        with (folder / f"bot{index}.log").open("ab") as log:  # the child keeps a copy
            started = asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=log, env=child_env(), cwd=folder
            )
            processes.append(await started)
    return processes


async def wait_ready(processes: list[Any], folder: Path, timeout: float) -> float:
    """Wait until every process logged that it runs (polling or standing by); seconds."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        logs = [(folder / f"bot{i}.log").read_text(errors="replace") for i in range(len(processes))]
        if all(READY in log for log in logs):
            return time.perf_counter() - began
        dead = [p.returncode for p in processes if p.returncode is not None]
        if dead:
            raise RuntimeError(f"a bot process ended ({dead}): {logs[0][-400:]}")
        await asyncio.sleep(0.2)
    raise TimeoutError("the bot processes did not start")


async def stop_processes(processes: list[Any]) -> None:
    """SIGTERM each process, SIGKILL what has not stopped after 20 s."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


def ask_help(
    emulator: TelegramEmulator, watch: Watch, helpers: list[tuple[int, int]], phase: str
) -> None:
    """One /help by the worker of the next group in turn (``phase``: idle or rush)."""
    turn = sum(watch.sent.values())
    chat_id, worker = helpers[turn % len(helpers)]
    watch.asked[chat_id] = (time.time(), phase)
    watch.sent[phase] = watch.sent.get(phase, 0) + 1
    chat, person = emulator.chats[chat_id], emulator.users[worker]
    emulator.push("message", emulator.user_message(chat, person, text="/help"))
    watch.loads.append(os.getloadavg()[0])


WRITTEN = text("SELECT count(*) FROM outbox WHERE key LIKE 'briefing:%'")


async def watch_outbox(url: str, groups: int, start: float, found: dict[str, float]) -> None:
    """Where the time goes: seconds from the minute until the sweeps had written the
    first and the last briefing to the outbox (polled every half second)."""
    engine = create_engine(url)
    try:
        while True:
            async with engine.connect() as conn:
                written = int(await conn.scalar(WRITTEN) or 0)
            moment = round(time.time() - start, 1)
            if written:
                found.setdefault("first_written_s", moment)
            if written >= groups:
                found["all_written_s"] = moment
                return
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


def next_minute(lead: float) -> datetime:
    """The first minute boundary at least ``lead`` seconds from now."""
    moment = datetime.now(UTC) + timedelta(seconds=lead + 60)
    return moment.replace(second=0, microsecond=0)


async def sleep_until(moment: float) -> None:
    """Sleep until the wall-clock time ``moment``."""
    await asyncio.sleep(max(0.0, moment - time.time()))


async def rush(
    url: str, world: MorningWorld, emulator: TelegramEmulator, watch: Watch, limits: FloodLimits
) -> dict[str, Any]:
    """Set the briefing minute, ask /help before it and every second from it until every
    briefing has arrived; the figures of the morning."""
    moment = next_minute(LEAD)
    await brief_at(url, world, moment)
    start = moment.timestamp()
    for _ in range(IDLE_SAMPLES):  # the idle latency, answered well before the minute
        if start - time.time() < 3 * HELP_EVERY:
            break
        ask_help(emulator, watch, world.helpers, "idle")
        await asyncio.sleep(HELP_EVERY)
    await sleep_until(start)
    refused, loads = limits.refused, len(watch.loads)
    groups = len(world.briefed)
    written: dict[str, float] = {}
    writing = asyncio.create_task(watch_outbox(url, groups, start, written))
    deadline = start + max(120.0, 6 * groups / OVERALL_PER_SECOND)
    while len(watch.arrived) < groups and time.time() < deadline:
        ask_help(emulator, watch, world.helpers, "rush")
        await asyncio.sleep(HELP_EVERY)
    r429 = limits.refused - refused
    writing.cancel()
    rush_loads = watch.loads[loads:]
    await emulator.wait_for(lambda: not watch.asked, 30)  # the last answers
    last = max(watch.arrived.values(), default=time.time())
    first = min(watch.arrived.values(), default=last)
    minimum = groups / OVERALL_PER_SECOND
    return {
        "briefed": len(watch.arrived),
        "seconds": round(last - start, 2),
        "ratio_to_minimum": round((last - start) / minimum, 3),
        "first_arrived_s": round(first - start, 2),
        **written,
        "r429": r429,
        "r429_after": limits.refused - refused - r429,
        "load_peak": round(max(rush_loads, default=0.0), 2),
        "load_end": round(os.getloadavg()[0], 2),
        "help": {phase: _latency(watch, phase) for phase in ("idle", "rush")},
    }


def _latency(watch: Watch, phase: str) -> dict[str, Any]:
    """The /help figures of one phase: asked, answered, worst and median seconds."""
    got = watch.latencies.get(phase, [])
    return {
        "asked": watch.sent.get(phase, 0),
        "answered": len(got),
        "worst_s": round(max(got), 3) if got else None,
        "median_s": round(statistics.median(got), 3) if got else None,
    }


def log_findings(folder: Path, count: int) -> dict[str, Any]:
    """What the processes' logs say: pollers, standbys, errors (the first one)."""
    logs = [(folder / f"bot{i}.log").read_text(errors="replace") for i in range(count)]
    errors = [line for log in logs for line in log.splitlines() if "ERROR" in line]
    return {
        "standby": sum("stands by to take over" in log for log in logs),
        "errors": len(errors),
        "first_error": errors[0][:300] if errors else None,
    }


async def one_round(settings: Settings, count: int) -> dict[str, Any]:
    """The morning with ``count`` processes on a fresh schema and a fresh emulator."""
    now = datetime.now(UTC)
    world = make_world(settings.morning_groups, HELP_GROUPS, now)
    emulator = TelegramEmulator()
    limits = FloodLimits()
    emulator.limits = limits
    build_emulator(emulator, world)
    watch = Watch(set(world.briefed))
    emulator.on_call = watch.on_call
    server = EmulatorServer(emulator)
    await server.start()
    folder = settings.work / f"morning-{count}-{int(time.time())}"
    folder.mkdir(parents=True)
    try:
        async with database("postgresql", settings, f"morning{count}") as url:
            await seed_world(url, world, now)
            config = write_config(folder, emulator, server, url)
            bots = await start_processes(count, config, folder)
            try:
                up = await wait_ready(bots, folder, 180)
                figures = await rush(url, world, emulator, watch, limits)
            finally:
                await stop_processes(bots)
    finally:
        await server.stop()
    return {"processes": count, "startup_s": round(up, 1), **figures, **log_findings(folder, count)}


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The case on PostgreSQL with 1 … ``morning_processes`` processes (SQLite is one
    process: skipped)."""
    if kind != "postgresql":
        reason = "SQLite is one process; the case is about several on PostgreSQL"
        return [{"case": "morning", "database": kind, "status": "skipped", "reason": reason}]
    rows = []
    for count in range(1, settings.morning_processes + 1):
        row: dict[str, Any] = {
            "case": "morning",
            "database": kind,
            "groups": settings.morning_groups,
        }
        row["minimum_s"] = round(settings.morning_groups / OVERALL_PER_SECOND, 1)
        try:
            row.update(await one_round(settings, count))
        except Exception as exc:
            row.update({"processes": count, **outcome(exc)})
        print(f"  morning ×{count}: {row}", flush=True)
        rows.append(row)
    return rows
