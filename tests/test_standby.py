"""Two `vanguard run` processes on one PostgreSQL database: one polls, the other stands
by; SIGKILL of the poller in the middle of a burst loses nothing and answers everyone.
The emulator answers overlapping getUpdates with 409 Conflict, as Telegram does."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emulator import TelegramEmulator
from emulator.scenario import World
from emulator.server import EmulatorServer
from storage.db import Database, is_sqlite
from storage.models import Issue, ParkedUpdate
from tests.test_process import _start_bot, crews, write_config

pytestmark = pytest.mark.process

GROUPS = 15
REPORTS = 10  # per group: 150 in all
TAKEOVER = 10.0  # seconds: another process polls within this after the poller dies


def _polls_since(emulator: TelegramEmulator, index: int) -> int:
    return sum(1 for call in emulator.calls[index:] if call.method == "getUpdates")


async def _wait_for_log(path: Path, text: str, timeout: float) -> bool:
    for _ in range(int(timeout * 10)):
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_standby_takes_over_a_killed_poller_and_every_report_is_answered(
    db_url: str, tmp_path: Path
) -> None:
    if is_sqlite(db_url):
        pytest.skip("several processes share PostgreSQL only (SQLite is one process)")
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = write_config(tmp_path, emulator, server, db_url)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = await _start_bot(config, tmp_path, first_log)
    second = None
    database = Database(db_url)
    world = World(emulator, reply_timeout=30)
    reports: set[tuple[int, int]] = set()

    def acknowledged() -> set[tuple[int, int]]:
        return {
            (chat_id, int(m["reply_to_message"]["message_id"]))
            for chat_id, m in emulator.bot_output()
            if "reply_to_message" in m
            and (chat_id, int(m["reply_to_message"]["message_id"])) in reports
        }

    async def stored() -> int:
        async with database.read() as session:
            return int(await session.scalar(select(func.count()).select_from(Issue)) or 0)

    try:
        groups = await crews(world, GROUPS, REPORTS, first_log)
        second = await _start_bot(config, tmp_path, second_log)
        assert await _wait_for_log(second_log, "stands by to take over", 30), second_log.read_text()
        for k in range(REPORTS):  # the groups' reports interleaved, as in a busy morning
            for group, _, crew in groups:
                sent = await group.say(crew[k], f"/report S272 K9{k}+100 坑槽 cat:pothole")
                reports.add((group.id, sent["message_id"]))
        for _ in range(300):  # the kill comes in the middle: some handled, not all
            if await stored() >= 30:
                break
            await asyncio.sleep(0.05)
        first.kill()
        await first.wait()
        killed_at, calls_at_kill = asyncio.get_running_loop().time(), len(emulator.calls)
        answered_before = len(acknowledged())
        assert answered_before < len(reports)
        took_over = await emulator.wait_for(
            lambda: _polls_since(emulator, calls_at_kill) > 0, TAKEOVER
        )
        takeover = asyncio.get_running_loop().time() - killed_at
        assert took_over, second_log.read_text()[-3000:]
        assert "this process polls Telegram now" in second_log.read_text()
        ok = await emulator.wait_for(lambda: len(acknowledged()) == len(reports), 120)
        assert ok, f"{len(acknowledged())} of {len(reports)}\n{second_log.read_text()[-3000:]}"
        async with database.read() as session:
            numbers = list(await session.execute(select(Issue.group_id, Issue.number)))
        for _ in range(200):  # a parked update is released at the poller's next round
            async with database.read() as session:
                left = await session.scalar(select(func.count()).select_from(ParkedUpdate))
            if not left:
                break
            await asyncio.sleep(0.1)
        assert len(numbers) == len(reports) == len(set(numbers))  # each report once
        for group_id in {g for g, _ in numbers}:  # numbered 1..10 in every group
            assert sorted(n for g, n in numbers if g == group_id) == list(range(1, REPORTS + 1))
        assert left == 0
        assert emulator.conflicts == 0  # never two pollers at once
        print(
            f"\n{answered_before} of {len(reports)} answered before the kill; polling again "
            f"{takeover:.1f} s after it"
        )
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await database.dispose()
        await server.stop()
