"""`vanguard run` as a real process, against the HTTP emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
from pathlib import Path

import pytest

from emulator import TelegramEmulator
from emulator.scenario import World
from emulator.server import EmulatorServer

pytestmark = pytest.mark.process


async def test_vanguard_run_answers_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = tmp_path / "config.toml"
    config.write_text(
        "[telegram]\n"
        f'token = "{emulator.token}"\n'
        f'api_base_url = "{server.api_base_url}"\n'
        f'file_base_url = "{server.file_base_url}"\n'
        "[database]\n"
        f'url = "{db_url}"\n'
        "[media]\n"
        f'dir = "{tmp_path / "media"}"\n',
        encoding="utf-8",
    )
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
    try:
        await asyncio.sleep(4)  # attempts after 0, 1 and 3 seconds
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
        await server.stop()
    assert code == 0
    reached = "Telegram" if down == "telegram" else "the database"
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
