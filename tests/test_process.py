"""`vanguard run` as a real process, against the HTTP emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emulator import TelegramEmulator
from emulator.scenario import GroupChat, Person, World
from emulator.server import EmulatorServer
from storage.db import Database
from storage.models import Issue, Topic

pytestmark = pytest.mark.process


def write_config(
    tmp_path: Path, emulator: TelegramEmulator, server: EmulatorServer, db_url: str
) -> Path:
    """A config.toml for a bot process talking to ``server`` and storing in ``db_url``."""
    config = tmp_path / "config.toml"
    config.write_text(
        "[telegram]\n"
        f'token = "{emulator.token}"\n'
        f'api_base_url = "{server.api_base_url}"\n'
        f'file_base_url = "{server.file_base_url}"\n'
        "[database]\n"
        f'url = "{db_url}"\n'
        "[media]\n"
        f'dir = "{tmp_path / "media"}"\n'
        "[web]\n"
        "port = 0\n",  # /healthz and /metrics on any free port
        encoding="utf-8",
    )
    return config


async def test_vanguard_run_answers_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = write_config(tmp_path, emulator, server, db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    world = World(emulator, reply_timeout=30)
    try:
        secretary = world.person("王", last_name="书记")
        worker = world.person("张", last_name="工")
        group = world.group("养护一班", creator=secretary, members=(worker,))
        await group.add_bot(by=secretary)
        try:
            assert "本群已登记" in await group.next_reply()
        except AssertionError as error:  # say what the bot process said about it
            process.kill()
            _, stderr = await process.communicate()
            raise AssertionError(f"{error}\nbot stderr:\n{stderr.decode()[-4000:]}") from error
        await group.say(worker, "/start")
        assert "本群已登记" in await group.next_reply()
        private = worker.private()
        await private.start()
        assert "你好" in await private.next_reply()
        world.assert_all_read()
        await world.settle()
        loop = asyncio.get_running_loop()
        began = loop.time()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
        stopped_in = loop.time() - began
        assert code == 0
        assert stopped_in < 5, f"took {stopped_in:.1f}s to stop"
        print(f"\nvanguard run stopped {stopped_in:.2f}s after SIGTERM")
        _, stderr = await process.communicate()
        log = stderr.decode()
        assert "Vanguard stopped" in log
        assert emulator.token not in log
        assert emulator.token.split(":")[1] not in log
        # the last batch was confirmed before exit: nothing is left to redeliver
        assert emulator.pending_updates() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await server.stop()


async def test_refused_token_stops_with_a_clear_message(tmp_path: Path) -> None:
    emulator = TelegramEmulator(token="1000001:REAL-TOKEN-VALUE")
    server = EmulatorServer(emulator)
    await server.start()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "1000001:WRONG-TOKEN-VALUE"\napi_base_url = "{server.api_base_url}"\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "v.db"}"\n',
        encoding="utf-8",
    )
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        await server.stop()
    assert process.returncode == 2
    assert "Telegram refused this token" in stderr.decode()  # Telegram's answer, not ours
    assert "WRONG" not in stderr.decode()


async def test_db_upgrade_command_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    script = Path(sys.executable).parent / "vanguard"
    assert script.exists(), "the console script `vanguard` is installed"
    env = dict(os.environ, VANGUARD_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    env.pop("VANGUARD_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        str(script),
        "db",
        "upgrade",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "database is at revision" in stdout.decode()
    assert database.exists() and database.stat().st_size > 0


@pytest.mark.parametrize("down", ["telegram", "database"])
async def test_unreachable_telegram_or_database_is_one_line_and_retried(
    tmp_path: Path, down: str
) -> None:
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    api = "http://127.0.0.1:9/bot" if down == "telegram" else server.api_base_url
    database = (
        "postgresql+asyncpg://nobody@127.0.0.1:9/none"
        if down == "database"
        else f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env.update(
        VANGUARD_TOKEN=emulator.token,
        VANGUARD_TELEGRAM_API_BASE_URL=api,
        VANGUARD_DATABASE_URL=database,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path
    )
    reached = "Telegram" if down == "telegram" else "the database"
    assert process.stderr is not None
    lines: list[str] = []
    try:
        while sum(f"cannot reach {reached}:" in line for line in lines) < 2:  # a retry seen
            line = await asyncio.wait_for(process.stderr.readline(), 60)  # (a ceiling)
            assert line, "\n".join(lines)
            lines.append(line.decode().rstrip("\n"))
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
        log = "\n".join(lines) + "\n" + (await process.stderr.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
        await server.stop()
    assert code == 0
    attempts = [line for line in log.splitlines() if f"cannot reach {reached}:" in line]
    assert len(attempts) >= 2, log
    assert "Traceback" not in log and len(log.splitlines()) <= len(attempts) + 2, log
    assert emulator.token.split(":")[1] not in log


async def test_demo_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`vanguard demo | head` prints the head and stops without a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    command = (
        f"{shlex.quote(sys.executable)} -m bot demo --out {shlex.quote(str(tmp_path))} | head -3"
    )
    process = await asyncio.create_subprocess_shell(
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert "adds the bot" in out.decode() and len(out.decode().splitlines()) == 3
    errors = err.decode()
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors[-2000:]


async def test_the_whole_demo_plays_and_leaves_its_files(tmp_path: Path) -> None:
    """`make demo` end to end: the scripted day plays to its end (exit 0, no traceback)
    and leaves the month's report, its appendix and the three registers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--out",
        str(tmp_path / "out"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, err.decode()[-3000:]
    assert "Traceback" not in err.decode()
    assert "签到牌" in out.decode()  # the check-in sign went to the admin
    made = {p.suffix for p in (tmp_path / "out").glob("*")}
    assert {".docx", ".xlsx"} <= made
    assert len(list((tmp_path / "out" / "media").glob("*/exports/*.xlsx"))) == 3


REPORTS = 22  # per group: with the bot's greeting, past the 20 messages a minute allowed
GROUPS = 3


async def _start_bot(config: Path, tmp_path: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    with log.open("ab") as out:  # the child keeps its own copy of the file
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=out,
            env=env,
            cwd=tmp_path,
        )


async def crews(
    world: World, count: int, size: int, log: Path
) -> list[tuple[GroupChat, Person, tuple[Person, ...]]]:
    """``count`` groups, each with its secretary and a crew of ``size``, the bot added
    and registered in each (``log``: the bot's, shown if it is not)."""
    groups = []
    for n in range(count):
        chief = world.person("书记", last_name=str(n))
        crew = tuple(world.person("队员", last_name=f"{n}-{k}") for k in range(size))
        group = world.group(f"养护{n}班", creator=chief, members=crew)
        await group.add_bot(by=chief)
        assert "本群已登记" in (await group.next_reply()).text, log.read_text()
        groups.append((group, chief, crew))
    return groups


async def test_a_kill_during_a_burst_of_reports_loses_no_report_and_no_acknowledgement(
    db_url: str, tmp_path: Path
) -> None:
    """SIGKILL while acknowledgements wait in the rate limiter (20 a minute per group):
    after the restart every report exists once and every reporter got an answer."""
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = write_config(tmp_path, emulator, server, db_url)
    log = tmp_path / "bot.log"
    process = await _start_bot(config, tmp_path, log)
    database = Database(db_url)
    world = World(emulator, reply_timeout=30)
    reports: set[tuple[int, int]] = set()
    topics: set[tuple[int, int]] = set()

    def answers(to: set[tuple[int, int]]) -> list[tuple[int, int]]:
        return [
            (chat_id, int(m["reply_to_message"]["message_id"]))
            for chat_id, m in emulator.bot_output()
            if "reply_to_message" in m and (chat_id, int(m["reply_to_message"]["message_id"])) in to
        ]

    def acknowledged() -> list[tuple[int, int]]:
        return answers(reports | topics)

    async def stored(table: type[Issue | Topic]) -> int:
        async with database.read() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    try:
        groups = await crews(world, GROUPS, REPORTS, log)
        for k in range(REPORTS):  # the groups' reports interleaved, as in a busy morning
            if k == 5:  # the groups' first three are spent: answers from now on must wait
                for group, chief, _ in groups:
                    sent = await group.say(chief, f"/newtopic 路面修补{group.id}")
                    topics.add((group.id, sent["message_id"]))
            for group, _, crew in groups:
                sent = await group.say(crew[k], f"/report S272 K9{k}+100 坑槽 cat:pothole")
                reports.add((group.id, sent["message_id"]))
        for _ in range(300):  # until the topics are saved while their answers wait
            if await stored(Topic) == GROUPS and not answers(topics):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no answer ever waited in the rate limiter")
        process.kill()
        await process.wait()
        answered_before = len(set(acknowledged()))
        assert not answers(topics)  # the kill came while the topics' answers waited
        assert answered_before < len(reports)  # and before the last reports were handled
        expected = len(reports) + len(topics)
        process = await _start_bot(config, tmp_path, log)
        # (a group's answers go one every 3.5 s: 20 a minute, evenly spaced)
        ok = await emulator.wait_for(lambda: len(set(acknowledged())) == expected, 180)
        assert ok, f"{len(set(acknowledged()))} of {expected} answered\n{log.read_text()[-3000:]}"
        async with database.read() as session:
            numbers = list(await session.execute(select(Issue.group_id, Issue.number)))
            listed = list(await session.execute(select(Topic.group_id, Topic.number)))
        assert len(numbers) == len(reports) == len(set(numbers))
        assert len(listed) == GROUPS == len(set(listed))
        # the topics' own answers died with the process: the stand-ins written with them
        said = [m.get("text", "") for _, m in emulator.bot_output()]
        assert sum("已完成：/newtopic 路面修补" in t for t in said) == GROUPS
        twice = len(acknowledged()) - len(set(acknowledged()))
        print(f"\n{answered_before} of {expected} answered before the kill; {twice} answered twice")
        assert twice <= 3  # only what was in flight at the kill may go out again
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await database.dispose()
        await server.stop()
