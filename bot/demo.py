"""``vanguard demo``: a scripted day in a work group, played through the HTTP emulator.

The bot runs exactly as in production (python-telegram-bot over real HTTP to 127.0.0.1,
our poller, a SQLite file); the script plays the people; the transcript is printed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.app import build_application
from bot.config import BotConfig, Config, DatabaseConfig, MediaConfig, Secret, TelegramConfig
from bot.emulator import TelegramEmulator
from bot.emulator.scenario import Chat, Person, World
from bot.emulator.server import EmulatorServer
from bot.runner import Runner


async def _step(chat: Chat, person: Person, text: str, replies: int = 1) -> None:
    await chat.say(person, text)
    await chat.replies(replies)


async def play_day(world: World) -> None:
    """The script: people, a group, and what they say to the bot."""
    secretary = world.person("王", last_name="书记", username="wang_shuji")
    captain = world.person("李", last_name="队长", username="li_duizhang")
    worker = world.person("张", last_name="工", username="zhang_gong")
    driver = world.person("陈", last_name="师傅", language_code="en")
    group = world.group(
        "养护中心党员先锋工作室",
        creator=secretary,
        admins=(captain,),
        members=(worker, driver),
    )
    await group.add_bot(by=secretary)
    await group.next_reply()
    await _step(group, worker, "/help")
    await _step(group, captain, "/help")
    await _step(group, worker, "/settings")
    await _step(group, captain, "/settings")
    await _step(group, captain, "/settings briefing 07:30")
    await _step(group, captain, "/settings workdays on")
    await _step(group, secretary, "/settings timezone Mars/Olympus")
    await group.join(world.person("赵", last_name="新", username="zhao_xin"))
    await group.next_reply()
    await _step(group, driver, "/members")

    private = worker.private()
    await private.start()
    await private.next_reply()
    await _step(private, worker, "/profile")
    await _step(private, worker, "/profile name 张卫国")
    await _step(private, worker, "/profile joined 2008-07-01")
    await _step(private, worker, "/profile joined 2008-13-01")
    await _step(group, worker, "/profile")
    english = driver.private()
    await english.start()
    await english.next_reply()
    await _step(english, driver, "/help")
    world.assert_all_read()


async def run_demo(db_path: Path | None = None) -> None:
    """Run the scripted day and print the transcript."""
    with tempfile.TemporaryDirectory(prefix="vanguard-demo-") as tmp:
        emulator = TelegramEmulator()
        server = EmulatorServer(emulator)
        await server.start()
        database = db_path or Path(tmp) / "demo.db"
        config = Config(
            telegram=TelegramConfig(
                token=Secret(emulator.token),
                api_base_url=server.api_base_url,
                file_base_url=server.file_base_url,
            ),
            database=DatabaseConfig(url=f"sqlite+aiosqlite:///{database}"),
            bot=BotConfig(),
            media=MediaConfig(dir=Path(tmp) / "media"),
        )
        app = build_application(config)
        runner = Runner(app, config, poll_timeout=2)
        world = World(emulator)
        try:
            await runner.start()
            await play_day(world)
        finally:
            await runner.stop()
            await server.stop()
            print("\n".join(world.transcript))
