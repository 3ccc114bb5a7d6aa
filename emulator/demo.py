"""``vanguard demo``: a scripted day in a work group, played through the HTTP emulator.

The bot runs exactly as in production (python-telegram-bot over real HTTP to 127.0.0.1,
our poller, a SQLite file); the script plays the people; the transcript is printed.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from bot.app import build_application
from bot.limits import ChatRateLimiter
from bot.runner import Runner
from domain.config import BotConfig, Config, DatabaseConfig, MediaConfig, Secret, TelegramConfig
from emulator import TelegramEmulator
from emulator.scenario import Chat, Person, World
from emulator.server import EmulatorServer


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
    await topic_life(world, group, secretary, captain, worker, driver)
    await inspection_life(world, group, secretary, captain, worker)
    world.assert_all_read()


async def inspection_life(
    world: World, group: Chat, secretary: Person, captain: Person, worker: Person
) -> None:
    """An inspection issue from the roadside photo to the register (台账)."""
    deadline = (date.today() + timedelta(days=3)).isoformat()
    await group.send_album(worker, 2, "/report S272 K93+520 护栏缺损，立柱松动 cat:guardrail sev:2")
    await group.next_reply()
    await group.send_location(worker, 23.0215, 113.7518)
    await group.next_reply()
    await _step(group, worker, "/report s272 k93+540 护栏附近路面坑槽 cat:坑槽 sev:3")
    await _step(group, captain, f"/assign 1 @zhang_gong {deadline}")
    await _step(group, worker, "/issues")
    await _step(group, worker, "/fixed 1 已更换立柱并紧固")
    await group.send_photo(worker)  # the "after" photo the bot asked for
    await group.next_reply()
    await _step(group, secretary, "/verify 1")
    await _step(group, secretary, "/verify 2 dup:1")
    await _step(group, captain, "/reopen 1 立柱仍有晃动")
    await group.send_photo(worker, "/fixed 1 加装斜撑，重新紧固")
    await group.next_reply()
    await _step(group, secretary, "/verify 1")
    await group.say(worker, "/issue 1")
    await group.replies(5)  # the issue, two "before" photos, two "after" photos
    await _step(group, secretary, "/export issues")
    private = worker.private()
    await _step(private, worker, "/report")  # the guided report, then changing one's mind
    await _step(private, worker, "/cancel")


async def topic_life(
    world: World, group: Chat, secretary: Person, captain: Person, worker: Person, driver: Person
) -> None:
    """A topic from listing to the results wall."""
    soon = (date.today() + timedelta(days=10)).isoformat()
    due = (date.today() + timedelta(days=30)).isoformat()
    await _step(
        group,
        captain,
        "/newtopic 省道S272线K93+520平交非机动车道整治工程 | 施划非机动车道标线，修复护栏"
        f" due:{due} slots:2",
    )
    await _step(group, secretary, "/newtopic 中东桥加固工程")
    await group.say(worker, "/topics")
    listing = await group.next_reply()
    await group.press(worker, listing, "#1")
    await group.replies(1)
    await _step(group, driver, "/claim 1")
    await _step(group, secretary, "/claim 1")
    await _step(group, worker, f"/milestone 1 {soon} 完成标线施划")
    await group.send_photo(worker, "/progress 1 60% 标线已完成一半")
    await group.next_reply()
    await _step(group, driver, "/claim 2")
    await _step(group, driver, "/release 2")
    await group.send_album(worker, 2, "/done 1 非机动车道标线已施划")
    await group.next_reply()
    await _step(group, secretary, "/reject 1 护栏尚未修复，请补充")
    for claimant in (worker, driver):  # both pressed Start, so the reason reaches them
        await claimant.private().next_reply()
    await group.send_album(worker, 2, "/done 1 非机动车道标线、护栏全部完成，通行秩序明显改善")
    result = await group.next_reply()
    await group.press(captain, result, "5")
    await group.press(driver, result, "4")
    await group.press(secretary, result, "4")
    await _step(group, secretary, "/approve 1 成效明显，上墙")
    await _step(group, worker, "/wall", replies=2)  # the wall, then its first photo
    await group.say(worker, "/topic 1")
    await group.replies(6)  # the topic, then its five photos as an album
    await _step(group, secretary, "/export topics")


async def run_demo(db_path: Path | None = None, out: Path = Path("demo-output")) -> None:
    """Run the scripted day and print the transcript; photos and exported registers are
    left in ``out``."""
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
            media=MediaConfig(dir=out / "media"),
        )
        # our own emulator does not throttle, so the demo need not wait on Telegram's limits
        unthrottled = ChatRateLimiter(None, max_retries=2)
        app = build_application(config, rate_limiter=unthrottled)
        runner = Runner(app, config, poll_timeout=2)
        world = World(emulator, echo=True)
        try:
            await runner.start()
            await play_day(world)
        finally:
            await runner.stop()
            await server.stop()
        for path in sorted((out / "media").glob("*/exports/*.xlsx")):
            print(f"\nexport file written: {path} ({path.stat().st_size} bytes)")
