"""``vanguard demo``: a scripted day in a work group, played through the HTTP emulator.

The bot runs exactly as in production (python-telegram-bot over real HTTP to 127.0.0.1,
our poller, a SQLite file); the script plays the people; the transcript is printed.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_application
from bot.limits import ChatRateLimiter
from bot.runner import Runner
from domain.clock import FrozenClock
from domain.config import BotConfig, Config, DatabaseConfig, MediaConfig, Secret, TelegramConfig
from domain.workdays import PLAIN, missing_makeup_year
from emulator import TelegramEmulator
from emulator.demo_wall import write_wall
from emulator.scenario import Chat, GroupChat, Person, World
from emulator.server import EmulatorServer
from handlers.context import Ctx
from handlers.schedule.sweep import run_sweep


async def _step(chat: Chat, person: Person, text: str, replies: int = 1) -> None:
    await chat.say(person, text)
    await chat.replies(replies)


async def _report(chat: Chat, person: Person, text: str) -> None:
    """A /summary: its file (after an "on its way" note when it takes a moment)."""
    await chat.say(person, text)
    while "document" not in (await chat.next_reply(timeout=120)).raw:
        pass


Sweep = Callable[[], Awaitable[None]]


async def play_day(world: World, clock: FrozenClock, sweep: Sweep) -> None:
    """The script: people, a group, and what they say to the bot; ``sweep`` runs the
    schedule's minute sweep at the clock's time."""
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
    await event_life(world, clock, sweep, group, secretary, captain, worker, driver)
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
    await group.replies(4)  # the issue, two "before" photos, the second fix's "after" photo
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


SHANGHAI = ZoneInfo("Asia/Shanghai")
VENUE = (22.5431, 113.9344)  # 明翠社区
METRES_PER_DEGREE = 111_195.0  # of latitude


def _north(metres: float) -> tuple[float, float]:
    return VENUE[0] + metres / METRES_PER_DEGREE, VENUE[1]


@dataclass
class _Event:
    """The volunteer event of :func:`event_life`: where it is played, its day, its people."""

    world: World
    clock: FrozenClock
    group: GroupChat
    day: date
    secretary: Person
    captain: Person
    worker: Person
    driver: Person

    def at(self, hhmm: str) -> datetime:
        """``hhmm`` on the event's day, in Shanghai."""
        return datetime.fromisoformat(f"{self.day}T{hhmm}:00").replace(tzinfo=SHANGHAI)


async def event_life(
    world: World,
    clock: FrozenClock,
    sweep: Sweep,
    group: GroupChat,
    secretary: Person,
    captain: Person,
    worker: Person,
    driver: Person,
) -> None:
    """A volunteer event (志愿服务) on the next working day: 12 places, a 13th on the
    waiting list who moves up; that morning's briefing (with the captain's political
    birthday) and the reminders an hour before; check-in in private by live location,
    by code and by QR code, one refused just outside the radius, check-out, attendance
    and hours; /briefing as a preview and its status; the month's work report (/summary)
    as a Word document and its .xlsx appendix."""
    day = clock.now().astimezone(SHANGHAI).date() + timedelta(days=1)
    while not PLAIN.is_workday(day):  # the group has its briefing on workdays only (no corrections)
        day += timedelta(days=1)
    event = _Event(world, clock, group, day, secretary, captain, worker, driver)
    crew, late = await _sign_up(event)
    await _morning(event, sweep, late)
    await _check_in(event, crew, late)
    await _afterwards(event)


async def _sign_up(event: _Event) -> tuple[list[Person], Person]:
    """The day before: the event announced, 12 sign up and a 13th waits, one leaves and
    the 13th moves up; the captain's QR code and check-in code. Returns the crew who
    joined the group and the 13th."""
    world, group, captain, worker = event.world, event.group, event.captain, event.worker
    # announced less than a day ahead, whatever the hour the demo runs at: the script
    # shows the reminder an hour before (one a day before would be a catch-up at 07:30)
    day_before = (event.at("10:00") - timedelta(days=1)).astimezone(UTC)
    event.clock.set(max(event.clock.now(), day_before))
    await group.say(
        captain,
        f"/newevent 志愿服务 {event.day} 09:00-11:30 洁城绿生活 @ 明翠社区 cap:12"
        f" geo:{VENUE[0]},{VENUE[1]}",
    )
    post = await group.next_reply()
    names = ["刘", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡"]
    crew = [world.person(n, last_name="队员", username=f"crew_{i}") for i, n in enumerate(names)]
    for person in crew:
        await group.join(person)
        await group.next_reply()  # the welcome
    volunteers = [worker, event.driver, event.secretary, *crew]  # 12 people, then a 13th
    late = world.person("郑", last_name="队员", username="crew_late")
    await group.join(late)
    await group.next_reply()
    await late.private().start()
    await late.private().next_reply()
    for person in volunteers:
        await group.press(person, post, "✋ 报名")
    await _step(group, late, "/join 1")  # typed, as the 13th: the waiting list
    await asyncio.sleep(1.5)  # the announcement's count is edited once the presses stop
    await _step(group, worker, "/events")
    await _step(group, crew[-1], "/leave 1")  # the 13th moves up and hears it privately
    await late.private().next_reply()
    await captain.private().start()
    await captain.private().next_reply()
    await _step(captain.private(), captain, f"/profile joined 1996-{event.day:%m-%d}")
    await _step(group, captain, "/event 1 qr")
    await captain.private().next_reply()  # the QR code, sent privately
    await _step(group, captain, "/event 1 code on")
    await group.send_photo(event.secretary, None, reply_to=post.raw)  # the venue, the day before
    await group.next_reply()
    return crew, late


async def _morning(event: _Event, sweep: Sweep, late: Person) -> None:
    """The morning: the group's briefing (and the captain's greeting), then the reminders
    an hour before."""
    clock, group = event.clock, event.group
    clock.set(event.at("07:30").astimezone(UTC))  # the group's briefing time
    await sweep()
    await group.next_reply()  # the morning briefing
    # a greeting on his political birthday; from November, while next year's makeup days
    # are unknown, the week's reminder to enter them (he is an admin who pressed Start)
    asked = missing_makeup_year(PLAIN, event.day) is not None
    await event.captain.private().replies(2 if asked else 1)
    clock.set(event.at("08:00").astimezone(UTC))  # an hour before: the reminders
    await sweep()
    await group.next_reply()
    for person in (event.worker, event.driver, late):  # the ones with a place who pressed Start
        await person.private().next_reply()


async def _check_in(event: _Event, crew: list[Person], late: Person) -> None:
    """Check-in: by live location (one just outside the radius walks in), by code, by
    the QR code."""
    clock, worker = event.clock, event.worker
    clock.set(event.at("08:45").astimezone(UTC))
    await _step(event.group, worker, "/checkin 1")
    for person, metres in ((worker, 120), (event.secretary, 40), (late, 260)):
        clock.advance(timedelta(minutes=4))
        chat = person.private()
        await _step(chat, person, "/checkin 1")
        await chat.send_location(person, *_north(metres), live_period=3600, accuracy=15)
        await chat.next_reply()
    # one shares a live location just outside the radius, then walks in
    chat = crew[0].private()
    await crew[0].private().start()
    await chat.next_reply()
    await _step(chat, crew[0], "/checkin 1")
    live = await chat.send_location(crew[0], *_north(320), live_period=3600, accuracy=10)
    await chat.next_reply()
    await chat.move_location(crew[0], live, *_north(150))
    await chat.next_reply()
    caption = _qr_caption(event.world, event.captain)
    code = caption.split("签到码：")[1].split()[0]
    for person in crew[1:4]:
        clock.advance(timedelta(minutes=3))
        await person.private().start()
        await person.private().next_reply()
        await _step(person.private(), person, f"/checkin 1 {code}")
    await event.driver.private().start(caption.split("start=")[1].split()[0])  # scans the QR
    await event.driver.private().next_reply()


async def _afterwards(event: _Event) -> None:
    """Check-out, the photos, attendance, an activity recorded afterwards (补录), hours,
    the export, /briefing, the month's report."""
    group, secretary, captain, worker = event.group, event.secretary, event.captain, event.worker
    event.clock.set(event.at("11:10").astimezone(UTC))
    for person in (worker, secretary):
        await _step(person.private(), person, "/checkout 1")
        event.clock.advance(timedelta(minutes=7))
    event.clock.set(event.at("12:00").astimezone(UTC))
    await group.send_album(worker, 2, "/event 1 清扫前后")
    await group.next_reply()
    await group.say(worker, "/event 1")
    await group.replies(4)  # the event, then its three photos as an album
    await _step(group, captain, "/attendance 1")
    # 补录: yesterday's river clean-up, entered afterwards with the people who came
    yesterday = event.day - timedelta(days=1)
    await _step(group, secretary, f"/newevent 志愿服务 {yesterday} 14:00-16:00 河道清理 @ 龙华河")
    await _step(group, secretary, "/attendance 2 add @zhang_gong @li_duizhang @crew_0")
    await _step(group, secretary, "/attendance 2 add @crew_1 1.5h")
    await _step(group, captain, "/attendance 2")
    # the State Council's notice is out: next year's makeup working day entered and listed
    year = event.day.year + 1
    await _step(group, captain, f"/settings holiday {year}-02-14 work")
    await _step(group, captain, f"/settings holidays {year}")
    await _step(group, worker, "/hours")
    await _step(group, worker, "/hours @zhang_gong")
    await _step(group, event.driver, "/members")
    await _step(group, captain, "/events past")
    await _step(group, secretary, "/export hours")
    await _step(worker.private(), worker, "/briefing")  # a preview, privately
    await _step(group, captain, "/briefing status")
    month = f"{event.day:%Y-%m}"
    await _report(group, secretary, f"/summary {month}")  # the month's work report (Word)
    await _report(group, secretary, f"/summary {month} xlsx")  # its appendix with charts


def _qr_caption(world: World, admin: Person) -> str:
    """The caption of the last check-in sign (or bare QR code) the admin received in
    private chat."""
    photos = [
        m
        for (chat_id, _), m in world.emulator.messages.items()
        if chat_id == admin.id and ("photo" in m or "document" in m) and "caption" in m
    ]
    return str(max(photos, key=lambda m: int(m["message_id"]))["caption"])


def _start() -> datetime:
    """Now; or, in a month's last days, the next month's first morning, so that the whole
    scripted day (up to its event on the next working day) falls in one month, the month
    /summary reports on."""
    now = datetime.now(UTC)
    local = now.astimezone(SHANGHAI)
    if (local.date() + timedelta(days=10)).month == local.month:
        return now
    first = (local.date().replace(day=1) + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(9), SHANGHAI).astimezone(UTC)


async def run_demo(db_path: Path | None = None, out: Path = Path("demo-output")) -> None:
    """Run the scripted day and print the transcript; photos, exported registers and the
    results wall (wall.html; with Chromium wall-poster.pdf and wall.png) are left in
    ``out``."""
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
        # a transcript: no /healthz or /metrics to watch, no port taken
        config = replace(config, web=replace(config.web, health=False))
        # our own emulator does not throttle, so the demo need not wait on Telegram's limits
        unthrottled = ChatRateLimiter(None, max_retries=2)
        clock = FrozenClock(_start())  # the events scene moves it to the event
        app = build_application(config, rate_limiter=unthrottled, clock=clock)
        app.bot_data.options.scheduling = False  # the script sweeps at the moments it shows
        # its morning may be a month's first working day: the report is shown by /summary
        app.bot_data.options.monthly_reports = False
        runner = Runner(app, config, poll_timeout=2)
        world = World(emulator, echo=True)
        try:
            await runner.start()
            await play_day(world, clock, lambda: run_sweep(Ctx(app)))
            wall = await write_wall(app, out)
        finally:
            await runner.stop()
            await server.stop()
        for path in sorted((out / "media").glob("*/exports/*.xlsx")):
            print(f"\nexport file written: {path} ({path.stat().st_size} bytes)")
        for path in sorted((out / "media").glob("*/reports/*")):
            copy = out / path.name  # the month's report, where a newcomer looks first
            shutil.copyfile(path, copy)
            print(f"\nreport file written: {copy} ({copy.stat().st_size} bytes)")
        for path in wall:
            print(f"\nresults wall written: {path} ({path.stat().st_size} bytes)")
