"""The schedule, by moving the clock: the morning briefing at its minute and once, the
catch-up after a downtime, workdays, reminders of events, milestones, deadlines and
political birthdays, /briefing, and two bot processes sweeping one database."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from domain.holiday_sources import year_days
from domain.text import visible_len
from domain.workdays import PLAIN
from emulator.core.objects import Call
from emulator.scenario import Chat, Person, PrivateChat
from emulator.server import EmulatorServer
from handlers.context import Ctx
from handlers.features import MorningHook
from handlers.i18n import for_language
from handlers.outbox import JOB_NAME as OUTBOX_JOB
from handlers.schedule.sweep import run_sweep
from handlers.schedule.views import render_briefing
from storage.briefing import Briefing, Progress
from storage.db import Database, is_sqlite
from storage.deadlines import Due
from storage.groups import get_group
from storage.issue_reads import IssueCounts
from storage.models import Delivery, Event, Group, Member, OutboxMessage
from storage.schedule import take_morning
from tests.conftest import Cast, Harness, build_test_app
from tests.test_process import write_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hhmm: str, seconds: int = 0) -> datetime:
    """A moment in the group's time zone."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute, seconds), SHANGHAI)


def tomorrow(harness: Harness, days: int = 1) -> date:
    return harness.clock.now().astimezone(SHANGHAI).date() + timedelta(days=days)


def morning_tomorrow(harness: Harness) -> date:
    """Tomorrow in Shanghai, the clock set to 10:00 on it."""
    base = tomorrow(harness)
    harness.clock.set(local(base, "10:00"))
    return base


async def pressed_start(person: Person) -> PrivateChat:
    """The person's private chat with the bot, after they pressed Start."""
    private = person.private()
    await private.start()
    await private.next_reply()
    return private


async def steps(chat: Chat, said: list[tuple[Person, str]]) -> None:
    """Each person says their line, and the bot answers each."""
    for person, text in said:
        await chat.say(person, text)
        await chat.next_reply()


async def issues_due(cast: Cast, deadlines: list[date]) -> None:
    """The worker reports one issue for each deadline; the captain takes each, due then."""
    for n, deadline in enumerate(deadlines):
        await cast.group.say(cast.worker, f"/report S272 K9{n}+520 坑槽 cat:pothole")
        await cast.group.next_reply()
        await cast.group.say(cast.captain, f"/assign {n + 1} me {deadline.isoformat()}")
        await cast.group.next_reply()


async def swept_pages(harness: Harness, chat: Chat) -> list[str]:
    """Sweep at the clock's time; the texts the group got from it, in order."""
    await harness.sweep()
    await harness.world.settle()
    pages = []
    while (page := harness.emulator.take_unread(chat.id)) is not None:
        pages.append(str(page.get("text", "")))
    return pages


async def outbox(harness: Harness, prefix: str = "") -> list[OutboxMessage]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r for r in rows if (r.key or "").startswith(prefix)]


async def mornings(harness: Harness) -> list[Delivery]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.at, Delivery.key))
        return [r for r in rows if r.key.startswith("morning:")]


async def test_the_briefing_comes_at_its_minute_not_before_and_once(
    harness: Harness, cast: Cast
) -> None:
    day = tomorrow(harness)
    harness.clock.set(local(day, "07:59", 59))
    await harness.sweep()
    await cast.group.expect_silence()
    harness.clock.set(local(day, "08:00"))
    await harness.sweep()
    briefing = await cast.group.next_reply()
    assert "养护一班 晨报" in briefing.text and day.isoformat() in briefing.text
    harness.clock.set(local(day, "08:00", 30))  # the same minute, swept again
    await harness.sweep()
    await harness.sweep()
    await cast.group.expect_silence()
    [row] = await outbox(harness, "briefing:")
    assert row.sent_at is not None and row.message_id == briefing.message_id
    [done] = await mornings(harness)
    assert done.outcome == "sent"


async def test_a_briefing_missed_while_down_goes_out_before_noon(
    harness: Harness, cast: Cast
) -> None:
    day = tomorrow(harness)
    await harness.runner.stop()  # down from before 08:00 …
    harness.clock.set(local(day, "09:30"))
    harness.app = build_test_app(harness.config, harness.emulator, harness.clock)
    from bot.runner import Runner

    harness.runner = Runner(harness.app, harness.config, poll_timeout=5)
    await harness.runner.start()  # … back at 09:30
    await harness.sweep()
    assert "晨报" in (await cast.group.next_reply()).text
    await harness.restart()  # and a restart after it sends nothing again
    await harness.sweep()
    await cast.group.expect_silence()


async def test_a_briefing_missed_until_after_noon_is_skipped_and_logged(
    harness: Harness, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    day = tomorrow(harness)
    harness.clock.set(local(day, "12:30"))
    with caplog.at_level(logging.WARNING):
        await harness.sweep()
    await cast.group.expect_silence()
    assert any("skipped" in r.getMessage() and "12:30" in r.getMessage() for r in caplog.records)
    [done] = await mornings(harness)
    assert done.outcome == "late"
    await cast.group.say(cast.captain, "/briefing status")
    status = await cast.group.next_reply()
    assert "晨报未发" in status.text
    harness.clock.set(local(day, "13:00"))
    await harness.sweep()  # logged once, not every minute
    await cast.group.expect_silence()
    assert len(await mornings(harness)) == 1


async def test_the_briefing_says_what_the_day_holds(harness: Harness, cast: Cast) -> None:
    base = tomorrow(harness)
    harness.clock.set(local(base, "10:00"))  # the day before
    day = base + timedelta(days=1)
    group = cast.group
    await group.say(
        cast.captain, f"/newevent volunteer {day.isoformat()} 10:00-11:00 护路宣传 @ 明翠社区"
    )
    await group.next_reply()
    await steps(
        group,
        [
            (cast.captain, "/newtopic S272 K93+520 路口非机动车道改造"),
            (cast.worker, "/claim 1"),
            (cast.worker, f"/milestone 1 {day.isoformat()} 完成方案设计"),
            (cast.worker, "/report S272 K93+600 护栏缺损 cat:guardrail"),
            (cast.captain, f"/assign 1 @zhang_gong {base.isoformat()}"),
        ],
    )
    private = await pressed_start(cast.worker)
    await private.say(cast.worker, "/profile joined 2001-" + day.strftime("%m-%d"))
    await private.next_reply()
    harness.clock.set(local(day, "08:00"))
    await harness.sweep()
    # the event was announced exactly a day ahead: its reminder (a day late) comes too
    posted = sorted((m.text for m in await group.replies(2)), key=lambda t: "晨报" not in t)
    text = posted[0]
    assert "活动提醒" in posted[1]
    assert "今明两天的活动" in text and "护路宣传" in text
    assert "政治生日" in text and f"入党 {day.year - 2001} 周年" in text
    assert "里程碑「完成方案设计」· 今天到期" in text
    assert "问题 #1" in text and "已逾期 1 天" in text and "张工" in text
    assert "待整改 1" in text and "新增 1" in text
    assert "领题进展" in text and "被认领" in text
    # the worker also hears privately: the milestone due today, the greeting
    got = [m.text for m in await private.replies(2)]
    assert any("今天到期" in t and "完成方案设计" in t for t in got)
    assert any("政治生日" in t for t in got)
    await private.expect_silence()


async def test_an_empty_day_says_so_in_one_line(harness: Harness, cast: Cast) -> None:
    day = tomorrow(harness)
    harness.clock.set(local(day, "08:00"))
    await harness.sweep()
    text = (await cast.group.next_reply()).text
    assert text.count("\n") == 1 and "今天没有活动" in text


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # a Sunday worked for the Spring Festival (调休)
        (date(2025, 1, 29), False),  # Spring Festival, a Wednesday
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 11), True),  # a Saturday worked for National Day
        (date(2026, 2, 14), True),  # a Saturday worked for the Spring Festival
        (date(2026, 2, 16), False),  # the Spring Festival, a Monday
        (date(2026, 10, 1), False),
        (date(2026, 10, 10), True),  # a Saturday worked
        (date(2026, 12, 5), False),  # a plain Saturday
        (date(2026, 12, 7), True),  # a plain Monday
    ],
)
def test_the_workday_calendar(day: date, working: bool) -> None:
    assert PLAIN.is_workday(day) is working


def test_a_year_no_calendar_has_is_the_statutory_holidays_by_rule_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    year_days.cache_clear()  # another test in this worker may have asked about 2031
    with caplog.at_level(logging.WARNING):
        assert PLAIN.is_workday(date(2031, 1, 6)) is True  # a Monday
        assert PLAIN.is_workday(date(2031, 1, 4)) is False  # a Saturday
        assert PLAIN.is_workday(date(2031, 1, 1)) is False  # New Year's Day, by rule
    warned = [r.getMessage() for r in caplog.records if "2031" in r.getMessage()]
    assert len(warned) == 1 and "chinese-calendar" not in warned[0]


@pytest.mark.start(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))  # the week before National Day
async def test_workdays_only_skips_holidays_and_keeps_adjusted_workdays(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/settings workdays on")
    await cast.group.next_reply()
    harness.clock.set(local(date(2026, 10, 1), "08:00"))  # National Day
    await harness.sweep()
    await cast.group.expect_silence()
    harness.clock.set(local(date(2026, 10, 10), "08:00"))  # a Saturday worked (调休)
    await harness.sweep()
    assert "2026-10-10" in (await cast.group.next_reply()).text
    outcomes = [d.outcome for d in await mornings(harness)]
    assert outcomes == ["day_off", "sent"]


async def test_briefing_status_asks_for_next_years_makeup_days_from_november(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/settings workdays on")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/briefing status")  # 10 November 2026
    text = (await cast.group.next_reply()).text
    assert "2027 年的调休上班日还不知道" in text and "/settings holiday 2027-MM-DD work" in text
    assert "升级" not in text and "chinese-calendar" not in text


async def test_event_reminders_a_day_and_an_hour_before(harness: Harness, cast: Cast) -> None:
    group = cast.group
    day = tomorrow(harness, 3)
    await group.say(cast.captain, "/settings briefing 23:30")  # no briefing in the way
    await group.next_reply()
    await group.say(
        cast.captain, f"/newevent lesson {day.isoformat()} 09:00-11:00 主题党课 @ 党员活动室"
    )
    await group.next_reply()
    private = await pressed_start(cast.worker)
    await group.say(cast.worker, "/join 1")
    await group.next_reply()
    await group.say(cast.driver, "/join 1")  # never pressed Start: the group's reminder
    await group.next_reply()
    start = local(day, "09:00")
    harness.clock.set(start - timedelta(hours=24, seconds=1))
    await harness.sweep()
    await group.expect_silence()
    harness.clock.set(start - timedelta(hours=24))
    await harness.sweep()
    assert "活动提醒" in (await group.next_reply()).text
    assert "主题党课" in (await private.next_reply()).text
    harness.clock.set(start - timedelta(hours=1, seconds=1))
    await harness.sweep()
    await group.expect_silence()
    await private.expect_silence()
    harness.clock.set(start - timedelta(minutes=59))
    await harness.sweep()
    await harness.sweep()
    assert "即将开始" in (await group.next_reply()).text
    assert "/checkin 1" in (await private.next_reply()).text
    await group.expect_silence()
    await private.expect_silence()
    keys = sorted(r.key or "" for r in await outbox(harness, "event:"))
    assert len(keys) == 4


async def test_an_event_announced_less_than_a_day_ahead_gets_only_the_hour(
    harness: Harness, cast: Cast
) -> None:
    day = tomorrow(harness)
    harness.clock.set(local(day, "00:00"))
    await cast.group.say(cast.captain, "/settings briefing 23:30")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/newevent study {day.isoformat()} 20:00-21:00 学习会")
    await cast.group.next_reply()
    harness.clock.set(local(day, "19:00"))
    await harness.sweep()
    assert "即将开始" in (await cast.group.next_reply()).text
    await cast.group.expect_silence()


async def test_two_bot_processes_sweeping_one_database_brief_each_group_once(
    harness: Harness, cast: Cast, tmp_path: Path
) -> None:
    world = harness.world
    others = []
    for n in range(3):
        chief = world.person(f"队长{n}")
        other = world.group(f"养护{n + 2}班", creator=chief)
        await other.add_bot(by=chief)
        await other.next_reply()
        others.append(other)
    server = EmulatorServer(harness.emulator)  # the same Telegram, over HTTP for the other
    await server.start()
    try:
        config = write_config(tmp_path, harness.emulator, server, harness.config.database.url)
        morning = local(tomorrow(harness), "08:00")
        harness.clock.set(morning)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.sweeper",
            str(config),
            morning.isoformat(),
            "2",
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=Path(__file__).parent.parent,
        )
        await asyncio.gather(run_sweep(Ctx(harness.app)), run_sweep(Ctx(harness.app)))
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0 and b"swept" in out
        await harness.idle()
        for chat in (cast.group, *others):
            assert "晨报" in (await chat.next_reply()).text
            await chat.expect_silence()
        assert len(await outbox(harness, "briefing:")) == 4
        assert len(await mornings(harness)) == 4
    finally:
        await server.stop()


async def test_sweeping_processes_split_the_groups_instead_of_queueing_for_one(
    harness: Harness,
) -> None:
    """While one process writes a group's morning, another passes over that group at
    once (PostgreSQL's advisory lock) and takes the next; once it is done the group is
    free again (and already claimed, so skipped by the slot)."""
    url = harness.config.database.url
    if is_sqlite(url):
        pytest.skip("one process per SQLite database")
    first, second = Database(url), Database(url)
    try:
        async with first.sessionmaker() as one, one.begin():  # two processes' sweeps
            assert await take_morning(one, 5)
            async with second.sessionmaker() as other, other.begin():
                assert not await take_morning(other, 5)
                assert await take_morning(other, 6)
        async with second.sessionmaker() as other, other.begin():
            assert await take_morning(other, 5)
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_group_the_bot_left_gets_nothing(harness: Harness, cast: Cast) -> None:
    await cast.group.remove_bot(by=cast.secretary)
    await harness.world.settle()
    harness.clock.set(local(tomorrow(harness), "08:00"))
    await harness.sweep()
    await cast.group.expect_silence()
    assert await outbox(harness, "briefing:") == []


async def test_briefing_posts_for_an_admin_and_previews_privately_for_others(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    await group.say(cast.captain, "/briefing")
    assert "晨报" in (await group.next_reply()).text
    await group.say(cast.worker, "/briefing")  # never pressed Start
    assert "私信" in (await group.next_reply()).text
    private = await pressed_start(cast.worker)
    await group.say(cast.worker, "/briefing")
    assert "预览已私信" in (await group.next_reply()).text
    assert "预览" in (await private.next_reply()).text
    await private.say(cast.worker, "/briefing")
    assert "预览" in (await private.next_reply()).text
    await group.say(cast.worker, "/briefing now please")
    assert "/briefing [状态]" in (await group.next_reply()).text
    await group.say(cast.worker, "/briefing status")
    assert "管理员" in (await group.next_reply()).text
    assert await mornings(harness) == []  # posting now does not stand in for the morning


async def test_group_time_zone_and_briefing_time_apply_on_the_next_sweep(
    harness: Harness, cast: Cast
) -> None:
    day = tomorrow(harness)
    await cast.group.say(cast.captain, "/settings briefing 07:30")
    await cast.group.next_reply()
    harness.clock.set(local(day, "07:30"))
    await harness.sweep()
    assert "晨报" in (await cast.group.next_reply()).text
    await cast.group.say(cast.captain, "/settings timezone Asia/Urumqi")  # two hours behind
    await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        row = await get_group(session, cast.group.id)
    assert row is not None and row.timezone == "Asia/Urumqi"
    urumqi = ZoneInfo("Asia/Urumqi")
    next_day = day + timedelta(days=1)
    harness.clock.set(datetime.combine(next_day, time(7, 29), urumqi))
    await harness.sweep()
    await cast.group.expect_silence()
    harness.clock.set(datetime.combine(next_day, time(7, 30), urumqi))
    await harness.sweep()
    assert next_day.isoformat() in (await cast.group.next_reply()).text


async def test_deadlines_are_reminded_the_day_before_and_on_the_day(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    base = morning_tomorrow(harness)
    due = base + timedelta(days=2)
    await group.say(cast.captain, "/settings briefing 07:00")
    await group.next_reply()
    private = await pressed_start(cast.worker)
    await steps(
        group,
        [
            (cast.captain, "/newtopic 中东桥加固"),
            (cast.worker, "/claim 1"),
            (cast.worker, f"/milestone 1 {due.isoformat()} 提交加固方案"),
            (cast.worker, "/report S272 K93+520 坑槽 cat:pothole"),
        ],
    )
    await group.say(cast.driver, "/help")  # known to the bot, but never pressed Start
    await group.next_reply()
    await group.say(cast.captain, f"/assign 1 @chen_d {due.isoformat()}")
    assert "Chen Driver" in (await group.next_reply()).text

    harness.clock.set(local(due - timedelta(days=1), "07:00"))
    await harness.sweep()
    posted = {("晨报" in m.text): m for m in await group.replies(2)}
    note = posted[False]
    assert "到期提醒" in note.text and "Chen Driver" in note.text and "#1" in note.text
    assert note.buttons  # a Start button for the one who never pressed Start
    reminder = await private.next_reply()
    assert "明天" in reminder.text and "提交加固方案" in reminder.text

    harness.clock.set(local(due, "07:00"))
    await harness.sweep()
    posted = {("晨报" in m.text): m for m in await group.replies(2)}
    assert "today" in posted[False].text or "今天" in posted[False].text
    assert "今天到期" in (await private.next_reply()).text
    await private.expect_silence()


async def test_someone_who_blocked_the_bot_is_named_in_the_group_the_next_morning(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    base = morning_tomorrow(harness)
    due = base + timedelta(days=2)
    private = await pressed_start(cast.worker)
    await group.say(cast.worker, "/report S272 K93+520 坑槽 cat:pothole")
    await group.next_reply()
    await group.say(cast.captain, f"/assign 1 @zhang_gong {due.isoformat()}")
    await group.next_reply()
    private.block()
    harness.clock.set(local(due - timedelta(days=1), "08:00"))
    await harness.sweep()  # the private reminder is refused: recorded, shown to admins
    assert "晨报" in (await group.next_reply()).text
    await group.say(cast.captain, "/briefing status")
    status = (await group.next_reply()).text
    assert "发送失败 1 条" in status and "张工" in status and "对方已屏蔽机器人" in status
    harness.clock.set(local(due, "08:00"))
    await harness.sweep()  # now known unreachable: named in one note in the group
    posted = {("晨报" in m.text): m for m in await group.replies(2)}
    assert "到期提醒" in posted[False].text and "张工" in posted[False].text
    await private.expect_silence()


async def test_a_flood_wait_in_the_middle_of_a_broadcast_loses_nothing(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    world = harness.world
    day = tomorrow(harness, 3)
    await group.say(cast.captain, "/settings briefing 23:30")
    await group.next_reply()
    await group.say(cast.captain, f"/newevent volunteer {day.isoformat()} 09:00-11:00 护路宣传")
    await group.next_reply()
    people = [world.person(f"队员{n}") for n in range(20)]
    chats = []
    for person in people:
        await group.join(person)
        await group.next_reply()  # the welcome
        chat = person.private()
        await chat.start()
        await chat.next_reply()
        await group.say(person, "/join 1")
        await group.next_reply()
        chats.append(chat)
    harness.emulator.fail("sendMessage", 429, retry_after=1, after=8, times=3)
    harness.clock.set(local(day, "09:00") - timedelta(hours=24))
    await harness.sweep()
    for _ in range(4):  # each flood wait passes on the clock; the sender picks the rest up
        harness.clock.advance(timedelta(seconds=3))
        await harness.sweep_outbox()
    assert "活动提醒" in (await group.next_reply()).text
    for chat in chats:
        assert "护路宣传" in (await chat.next_reply(timeout=10)).text
        await chat.expect_silence()
    await group.expect_silence()
    rows = await outbox(harness, "event:")
    assert len(rows) == 21 and all(r.sent_at is not None for r in rows)
    floods = [c for c in harness.emulator.calls if c.error is not None and c.error.code == 429]
    assert len(floods) == 3  # the flood waits did happen, in the middle of the broadcast


async def test_a_briefing_waiting_when_the_group_becomes_a_supergroup_goes_there(
    harness: Harness, cast: Cast
) -> None:
    harness.emulator.fail("sendMessage", 500)  # the first try fails: it waits for a retry
    harness.clock.set(local(tomorrow(harness), "08:00"))
    await harness.sweep()
    await cast.group.expect_silence()
    supergroup = await cast.group.migrate(by=cast.secretary)
    await harness.world.settle()
    harness.clock.advance(timedelta(minutes=1))
    await harness.sweep()
    assert "晨报" in (await supergroup.next_reply(timeout=10)).text
    [row] = await outbox(harness, "briefing:")
    assert row.chat_id == supergroup.id and row.sent_at is not None


async def test_a_deadline_moved_later_is_reminded_on_its_new_dates(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    base = morning_tomorrow(harness)
    private = await pressed_start(cast.worker)
    first = base + timedelta(days=1)
    later = base + timedelta(days=5)
    await steps(
        group,
        [
            (cast.captain, "/settings briefing 23:00"),  # no briefing in the way
            (cast.worker, "/report S272 K93+520 坑槽 cat:pothole"),
            (cast.captain, f"/assign 1 @zhang_gong {first.isoformat()}"),
        ],
    )
    harness.clock.set(local(first, "23:00"))
    await harness.sweep()
    await group.next_reply()  # the briefing
    assert "今天整改到期" in (await private.next_reply()).text
    await group.say(cast.captain, f"/assign 1 @zhang_gong {later.isoformat()}")
    await group.next_reply()
    harness.clock.set(local(later - timedelta(days=1), "23:00"))
    await harness.sweep()
    await group.next_reply()
    assert "明天" in (await private.next_reply()).text
    harness.clock.set(local(later, "23:00"))
    await harness.sweep()
    await group.next_reply()
    assert "今天整改到期" in (await private.next_reply()).text


async def test_people_who_left_the_group_get_none_of_its_reminders(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    day = tomorrow(harness, 3)
    private = await pressed_start(cast.worker)
    await steps(
        group,
        [
            (cast.captain, "/settings briefing 23:30"),
            (cast.captain, f"/newevent lesson {day.isoformat()} 09:00-11:00 党课 @ 党员活动室"),
            (cast.worker, "/join 1"),
            (cast.worker, "/report S272 K93+520 坑槽 cat:pothole"),
            (cast.captain, f"/assign 1 @zhang_gong {day.isoformat()}"),
        ],
    )
    await group.leave(cast.worker)
    await harness.world.settle()
    harness.clock.set(local(day, "09:00") - timedelta(hours=24))
    await harness.sweep()
    assert "活动提醒" in (await group.next_reply()).text
    harness.clock.set(local(day, "23:30"))
    await harness.sweep()
    await group.next_reply()  # the briefing
    await private.expect_silence()


async def test_a_long_briefing_goes_out_whole_in_several_messages(
    harness: Harness, cast: Cast
) -> None:
    db = harness.app.bot_data.db
    assert db is not None
    day = tomorrow(harness)
    await cast.group.say(cast.captain, "/settings briefing 06:00")
    await cast.group.next_reply()
    async with db.transaction() as session:  # 20 events tomorrow with the longest titles
        group = await get_group(session, cast.group.id)
        assert group is not None
        for n in range(1, 21):
            start = local(day + timedelta(days=2), "09:00") + timedelta(minutes=n)
            session.add(
                Event(
                    group_id=group.id,
                    number=n,
                    kind="volunteer",
                    title=f"<b>&{n}" + "护" * 190,
                    place="",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    checkin_code=f"C{n:05d}",
                    link_token=f"link{n:028d}",
                    qr_token=f"qr{n:030d}",
                    created_by=cast.captain.id,
                    created_at=start - timedelta(hours=5),  # too late for the day's reminder
                )
            )
    await issues_due(cast, [day] * 15)  # and 15 overdue issues
    harness.clock.set(local(day + timedelta(days=2), "06:00"))
    pages = await swept_pages(harness, cast.group)
    assert pages and all(len(p) <= 4096 for p in pages)
    whole = "\n".join(pages)
    assert "另有 10 个活动" in whole and "另有 5 项" in whole and "待整改 15" in whole
    assert "&lt;b&gt;" not in whole and "<b>&1" in whole  # the title, as typed
    await cast.group.say(cast.worker, "/briefing")  # a member's preview: no crash
    assert "私信" in (await cast.group.next_reply()).text


async def test_every_political_birthday_is_greeted_and_the_list_counted(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    day = tomorrow(harness)
    people = [harness.world.person(f"党员{n}") for n in range(12)]
    for person in people:
        await group.join(person)
        await group.next_reply()
        chat = person.private()
        await chat.start()
        await chat.next_reply()
        await chat.say(person, f"/profile joined 2001-{day:%m-%d}")
        await chat.next_reply()
    harness.clock.set(local(day, "08:00"))
    await harness.sweep()
    text = (await group.next_reply()).text
    assert text.count("入党") == 10 and "另有 2 位" in text
    for person in people:
        assert "政治生日" in (await person.private().next_reply()).text


async def test_a_group_whose_time_zone_is_lost_does_not_stop_the_others(
    harness: Harness, cast: Cast
) -> None:
    other_chief = harness.world.person("赵", last_name="书记")
    other = harness.world.group("养护二班", creator=other_chief)
    await other.add_bot(by=other_chief)
    await other.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        row = await get_group(session, cast.group.id)
        assert row is not None
        row.timezone = "Mars/Olympus_Mons"  # gone from the tz database after an upgrade
    harness.clock.set(local(tomorrow(harness), "08:00"))
    await harness.sweep()
    assert "养护二班 晨报" in (await other.next_reply()).text
    await cast.group.expect_silence()


async def test_status_says_when_the_briefing_itself_failed(harness: Harness, cast: Cast) -> None:
    harness.emulator.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    harness.clock.set(local(tomorrow(harness), "08:00"))
    await harness.sweep()
    await cast.group.say(cast.captain, "/briefing status")
    status = (await cast.group.next_reply()).text
    assert "晨报发送失败" in status and "机器人已不在群里" in status


def test_a_briefing_longer_than_a_message_is_split_into_whole_lines() -> None:
    group = Group(id=1, chat_id=-1, title="养护一班", timezone="Asia/Shanghai", language="zh")
    day = date(2026, 12, 1)
    start = local(day, "09:00")
    events = [
        Event(
            number=n,
            kind="volunteer",
            title="护" * 200,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            end_given=True,
            joined_count=0,
            waiting_count=0,
            cap=None,
        )
        for n in range(10)
    ]
    someone = Member(user_id=7, first_name="张", last_name="工")
    content = Briefing(
        events=events,
        events_more=5,
        birthdays=[],
        birthdays_more=0,
        due=[Due("issue", n, "坑" * 300, day, [someone], n) for n in range(10)],
        due_more=3,
        issues=IssueCounts(found=10, fixed=0, verified=0, overdue=10, total=10, unverified=10),
        new_issues=1,
        progress=[Progress(n, "桥" * 200, 50, "claimed", ("progress",)) for n in range(10)],
        hours_minutes=0,
        hours_people=0,
    )
    pages = render_briefing(for_language("zh"), group, day, content)
    assert len(pages) >= 2 and all(visible_len(p) <= 4096 for p in pages)
    whole = "\n".join(pages)
    assert "另有 5 个活动" in whole and "另有 3 项" in whole and "领题进展" in whole


async def test_one_person_with_many_deadlines_gets_one_message_with_a_count(
    harness: Harness, cast: Cast
) -> None:
    group = cast.group
    base = morning_tomorrow(harness)
    due = base + timedelta(days=1)
    private = await pressed_start(cast.worker)
    await group.say(cast.captain, "/settings briefing 23:00")
    await group.next_reply()
    for n in range(17):
        await group.say(cast.worker, f"/report S272 K9{n:02d}+520 坑槽 cat:pothole")
        await group.next_reply()
        await group.say(cast.worker, f"/assign {n + 1} me {due.isoformat()}")
        await group.next_reply()
    harness.clock.set(local(due, "23:00"))
    await harness.sweep()
    await group.next_reply()  # the briefing
    text = (await private.next_reply()).text
    assert text.count("今天整改到期") == 15 and "另有 2 项" in text
    await private.expect_silence()


async def test_the_first_briefings_go_out_while_the_sweep_still_writes_the_others(
    harness: Harness, cast: Cast
) -> None:
    """A morning's briefings are sent as they are written, not once the whole sweep (a
    thousand groups' worth on a big bot) is done or at the outbox job's next turn: the
    second group's morning is written only once the first group's briefing has arrived."""
    chief = harness.world.person("队长")
    second = harness.world.group("养护二班", creator=chief)
    await second.add_bot(by=chief)
    await second.next_reply()
    app = harness.app
    assert app.job_queue is not None
    for job in app.job_queue.get_jobs_by_name(OUTBOX_JOB):  # only the sweep sends
        job.schedule_removal()
    arrived = asyncio.Event()

    def seen(call: Call) -> None:
        if call.method == "sendMessage" and "晨报" in str(call.params.get("text", "")):
            arrived.set()

    async def one_at_a_time(context: object, group: Group, *rest: object) -> None:
        if group.chat_id == second.id:  # wait for the first group's briefing to arrive
            await asyncio.wait_for(arrived.wait(), 10)  # (a ceiling: fails without)

    async def nothing(*args: object) -> None:
        return None

    harness.emulator.on_call = seen
    app.bot_data.features.mornings.append(MorningHook(nothing, one_at_a_time))
    harness.clock.set(local(tomorrow(harness), "08:00"))
    await harness.sweep()
    assert "晨报" in (await cast.group.next_reply()).text
    assert "晨报" in (await second.next_reply()).text
    assert len(await mornings(harness)) == 2


async def test_a_morning_reads_each_part_of_the_briefing_once(harness: Harness, cast: Cast) -> None:
    """A thousand groups' mornings are written at the same minute: each reads the day's
    deadlines and political birthdays once (for the briefing, the reminders and the
    greetings) and counts a list only when it was cut."""
    db = harness.app.bot_data.db
    assert db is not None
    harness.clock.set(local(tomorrow(harness), "08:00"))
    seen: list[tuple[int, str]] = []  # (connection, statement): other tasks run meanwhile

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append((id(conn), " ".join(statement.split())))

    engines = [engine.sync_engine for engine in db.engines()]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        await run_sweep(Ctx(harness.app))
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert "晨报" in (await cast.group.next_reply()).text
    first = next(i for i, (_, s) in enumerate(seen) if s.startswith("INSERT INTO deliveries"))
    conn = seen[first][0]  # the morning's transaction holds its connection throughout
    mine = [s for c, s in seen[first:] if c == conn]
    last = next(i for i, s in enumerate(mine) if s.startswith("INSERT INTO outbox"))
    morning = mine[: last + 1]  # claimed … the briefing written
    listing = "\n".join(s[:120] for s in morning)
    assert sum(s.startswith("SELECT count(*)") for s in morning) == 1, listing  # new issues
    assert sum("FROM milestones" in s for s in morning) == 2, listing  # soon; overdue
    assert len(morning) <= 12, listing


@pytest.mark.parametrize(("today", "late", "more"), [(4, 8, 2), (12, 3, 5), (2, 10, 2)])
async def test_the_briefing_counts_what_it_does_not_list(
    harness: Harness, cast: Cast, today: int, late: int, more: int
) -> None:
    """Ten deadlines are listed (today's first, then the latest overdue); the rest are
    counted, whether the lists were cut or not."""
    day = tomorrow(harness)
    await issues_due(cast, [day] * late + [day + timedelta(days=2)] * today)
    harness.clock.set(local(day + timedelta(days=2), "08:00"))
    whole = "\n".join(await swept_pages(harness, cast.group))
    assert f"另有 {more} 项" in whole, whole
    assert f"待整改 {late + today}" in whole
