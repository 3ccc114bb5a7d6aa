"""The holiday calendar (issue 22): where each year comes from (chinese-calendar, the
holidays package's official years, the statutory holidays by rule), the admins'
corrections (/settings holiday, /settings holidays) for a group or every group, and the
weekly reminder of next year's unknown makeup days — each seen through the briefing and
the first-working-day report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.holiday_sources import Source, by_rule, qingming, year_days
from domain.kinds import DayKind
from domain.parsing import parse_day_range
from domain.workdays import PLAIN, WorkCalendar, first_workday, missing_makeup_year
from emulator.scenario import GroupChat, Person, PrivateChat
from storage.models import CalendarDay, OutboxMessage
from tests.conftest import Cast, Harness, local


def shanghai(day: str) -> datetime:
    """10:00 in Shanghai on ``day``, as a harness start."""
    return local(day, "10:00").astimezone(UTC)


@pytest.fixture
def fresh_years() -> Iterator[None]:
    """The sources read afresh (a test changes what a package knows)."""
    year_days.cache_clear()
    yield
    year_days.cache_clear()


# --- the sources, pure -----------------------------------------------------------------


def test_2031_by_rule_spring_festival_from_new_years_eve_to_the_third_day() -> None:
    days = by_rule(2031)
    assert days.source == Source.RULE and not days.work
    spring = {date(2031, 1, 22), date(2031, 1, 23), date(2031, 1, 24), date(2031, 1, 25)}
    assert spring <= days.off  # 除夕 (22 January) to 初三
    assert date(2031, 1, 21) not in days.off and date(2031, 1, 26) not in days.off
    national = {date(2031, 10, d) for d in (1, 2, 3)}  # 中秋 falls on 1 October too
    labour = {date(2031, 5, 1), date(2031, 5, 2)}
    others = {date(2031, 1, 1), date(2031, 4, 5), date(2031, 6, 24)}  # 元旦, 清明, 端午
    assert days.off == spring | national | labour | others


@pytest.mark.parametrize(
    ("year", "day"), [(2026, 5), (2027, 5), (2028, 4), (2031, 5), (2032, 4), (2008, 4)]
)
def test_qingming_is_the_solar_term(year: int, day: int) -> None:
    assert qingming(year) == date(year, 4, day)


def test_rule_matches_the_statutory_days_chinese_calendar_has_for_2026() -> None:
    """Every statutory holiday the rule names for 2026 is a day off in the State
    Council's notice (which adds bridging days and makeup days the rule cannot know)."""
    assert all(not PLAIN.is_workday(d) for d in by_rule(2026).off)


@pytest.mark.parametrize(
    ("year", "source"),
    [
        (2026, Source.CHINESE_CALENDAR),
        (2027, Source.HOLIDAYS),  # the year after its last notice (2026 in 0.108)
        (2028, Source.RULE),
        (2031, Source.RULE),
    ],
)
def test_each_year_comes_from_the_best_source_that_has_it(year: int, source: Source) -> None:
    assert year_days(year).source == source


def test_the_holidays_package_agrees_with_chinese_calendar_where_both_have_the_notice(
    fresh_years: None,
) -> None:
    from domain.holiday_sources import _from_chinese_calendar, _from_holidays

    for year in range(2006, 2027):
        ours, theirs = _from_holidays(year), _from_chinese_calendar(year)
        assert ours is not None and theirs is not None
        day = date(year, 1, 1)
        while day.year == year:
            worked = [
                d in s.work or (d not in s.off and d.weekday() < 5)
                for s, d in ((ours, day), (theirs, day))
            ]
            assert worked[0] == worked[1], day
            day += timedelta(days=1)


def test_2027_from_the_holidays_package_with_days_in_lieu_and_no_makeup_days() -> None:
    days = year_days(2027)
    assert days.source == Source.HOLIDAYS and not days.work and not days.makeup_known
    assert {date(2027, 2, 9), date(2027, 2, 10), date(2027, 10, 4)} <= days.off  # 补假
    assert not PLAIN.is_workday(date(2027, 2, 10)) and PLAIN.is_workday(date(2027, 2, 11))
    assert not PLAIN.makeup_known(2027)  # the admins are still asked for them
    assert by_rule(2027).off < days.off  # the rule has the holidays, not the days in lieu


def test_a_holidays_release_with_the_2027_notice_is_used_for_2027(
    fresh_years: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a holidays release carries the notice before chinese-calendar does: its
    days off, observed days and makeup days (the days "substituted from") are taken."""
    from holidays.countries.china import ChinaStaticHolidays

    notices = dict(ChinaStaticHolidays.special_public_holidays)
    notices[2027] = ((2, 11, 2, 20),)  # 11 February off, Saturday 20 February worked
    monkeypatch.setattr(ChinaStaticHolidays, "special_public_holidays", notices)
    days = year_days(2027)
    assert days.source == Source.HOLIDAYS
    assert date(2027, 1, 1) in days.off
    assert date(2027, 2, 9) in days.off  # observed: 初二 fell on a Sunday
    assert not PLAIN.is_workday(date(2027, 2, 11))
    assert PLAIN.is_workday(date(2027, 2, 20))
    assert PLAIN.makeup_known(2027)


# --- corrections and the reminder's rule, pure ------------------------------------------


def test_a_groups_correction_wins_over_the_installations_and_both_over_the_sources() -> None:
    sunday, monday, new_year = date(2027, 2, 28), date(2027, 3, 1), date(2027, 1, 1)
    everywhere = {sunday: DayKind.WORK, new_year: DayKind.WORK}
    calendar = WorkCalendar({sunday: DayKind.OFF, monday: DayKind.OFF}, everywhere)
    assert not calendar.is_workday(sunday)
    assert not calendar.is_workday(monday)
    assert calendar.is_workday(new_year)
    assert WorkCalendar(installation=everywhere).is_workday(sunday)
    assert first_workday(2027, 3, calendar) == date(2027, 3, 2)


@pytest.mark.parametrize(
    ("today", "corrections", "asked"),
    [
        (date(2026, 10, 31), {}, None),  # not before November
        (date(2026, 11, 1), {}, 2027),
        (date(2026, 12, 31), {date(2027, 1, 2): DayKind.OFF}, 2027),  # a day off is no makeup
        (date(2026, 11, 1), {date(2027, 2, 20): DayKind.WORK}, None),
        (date(2025, 11, 1), {}, None),  # chinese-calendar has 2026's notice
    ],
)
def test_next_years_makeup_days_are_asked_for_from_november(
    today: date, corrections: dict[date, DayKind], asked: int | None
) -> None:
    assert missing_makeup_year(WorkCalendar(corrections), today) == asked


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2027-02-05..2027-02-11", (date(2027, 2, 5), date(2027, 2, 11))),
        ("２０２７－０２－１４", (date(2027, 2, 14), date(2027, 2, 14))),
        ("２０２７－０２－０５．．２０２７－０２－０６", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05~2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05 .. 2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05……2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05...2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05至2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-05 到 2027-02-06", (date(2027, 2, 5), date(2027, 2, 6))),
        ("2027-02-06..2027-02-05", None),
        ("2027-02-05..2027-02-06..2027-02-07", None),
        ("2027-02-30", None),
        ("2027-02-05..", None),
        ("tomorrow", None),
    ],
)
def test_a_day_or_a_range_of_days(text: str, span: tuple[date, date] | None) -> None:
    assert parse_day_range(text) == span


# --- through the bot -----------------------------------------------------------------


async def say(group: GroupChat, who: Person, text: str) -> str:
    """``who`` says ``text`` in the group; the bot's answer."""
    await group.say(who, text)
    return (await group.next_reply()).text


async def morning(harness: Harness, day: str, hhmm: str = "08:00") -> None:
    harness.clock.set(local(day, hhmm))
    await harness.sweep()


async def started(cast: Cast) -> PrivateChat:
    private = cast.captain.private()
    await private.start()
    await private.next_reply()
    return private


@pytest.mark.start(shanghai("2026-12-30"))
async def test_2027_new_years_day_is_off_and_januarys_report_goes_out_on_the_4th(
    harness: Harness, cast: Cast
) -> None:
    await say(cast.group, cast.captain, "/settings workdays on")
    await morning(harness, "2027-01-01")  # a Friday, 元旦
    await cast.group.expect_silence()
    await morning(harness, "2027-01-04")  # the Monday after the weekend
    assert "2026年12月工作简报" in (await cast.group.next_reply()).text
    text = await say(cast.group, cast.captain, "/settings holidays 2027")
    assert "休 2027-01-01（法定节假日及补假，holidays 历法库）" in text
    # 除夕 to 初三, and the days in lieu of 初一 and 初二, which fall on a weekend
    assert "休 2027-02-05..2027-02-10（法定节假日及补假，holidays 历法库）" in text


@pytest.mark.start(shanghai("2031-01-21"))
async def test_2031_by_rule_no_briefing_over_the_spring_festival(
    harness: Harness, cast: Cast
) -> None:
    await say(cast.group, cast.captain, "/settings workdays on")
    for day in ("2031-01-22", "2031-01-23", "2031-01-24"):  # 除夕 to 初二, on weekdays
        await morning(harness, day)
        await cast.group.expect_silence()
    await morning(harness, "2031-01-27")
    assert "2031-01-27" in (await cast.group.next_reply()).text


@pytest.mark.start(shanghai("2031-09-29"))
async def test_2031_by_rule_septembers_report_waits_for_the_end_of_national_day(
    harness: Harness, cast: Cast
) -> None:
    for day in ("2031-10-01", "2031-10-03"):  # every day's briefing: workdays are off
        await morning(harness, day)
        assert "工作简报" not in (await cast.group.next_reply()).text
    await morning(harness, "2031-10-06")
    assert "2031年9月工作简报" in (await cast.group.next_reply()).text


@pytest.mark.start(shanghai("2027-02-25"))
async def test_a_correction_makes_a_monday_off_and_a_sunday_worked(
    harness: Harness, cast: Cast
) -> None:
    await say(cast.group, cast.captain, "/settings workdays on")
    assert "已更正本群日历" in await say(
        cast.group, cast.captain, "/settings holiday 2027-03-01 off"
    )
    assert "1 天" in await say(
        cast.group, cast.captain, "/settings holiday ２０２７－０８－０１ work"
    )
    await morning(harness, "2027-03-01")  # a Monday, made a day off
    await cast.group.expect_silence()
    await morning(harness, "2027-03-02")
    assert "2027年2月工作简报" in (await cast.group.next_reply()).text
    await morning(harness, "2027-08-01")  # a Sunday, made a working day
    briefing = (await cast.group.next_reply()).text
    assert "2027-08-01" in briefing and "2027年7月工作简报" in briefing
    listed = await say(cast.group, cast.captain, "/settings holidays 2027")
    assert "休 2027-03-01（本群更正）" in listed and "班 2027-08-01（本群更正）" in listed
    await say(cast.group, cast.captain, "/settings holiday 2027-08-01 clear")
    assert "2027-08-01" not in await say(cast.group, cast.captain, "/settings holidays 2027")
    # a range typed with spaces around the dots, as a phone's keyboard leaves them
    assert "2 天" in await say(
        cast.group, cast.captain, "/settings holiday 2027-09-06 .. 2027-09-07 off"
    )


async def other_group(harness: Harness) -> tuple[GroupChat, Person]:
    """A second group 养护二班 with working days only, and its admin."""
    admin = harness.world.person("赵", last_name="站长")
    group = harness.world.group("养护二班", creator=admin)
    await group.add_bot(by=admin)
    await group.next_reply()
    await say(group, admin, "/settings workdays on")
    return group, admin


async def corrections(harness: Harness) -> list[tuple[int | None, date, str]]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        rows = await session.scalars(select(CalendarDay).order_by(CalendarDay.id))
        return [(r.group_id, r.day, r.kind) for r in rows]


@pytest.mark.start(shanghai("2027-02-25"))
async def test_a_group_admins_correction_is_that_groups_only(harness: Harness, cast: Cast) -> None:
    other, chief = await other_group(harness)
    await say(cast.group, cast.captain, "/settings workdays on")
    await say(cast.group, cast.captain, "/settings holiday 2027-03-01 off")
    assert [group_id is not None for group_id, _, _ in await corrections(harness)] == [True]
    await morning(harness, "2027-03-01")
    await cast.group.expect_silence()
    assert "2027-03-01" in (await other.next_reply()).text
    assert "2027-03-01" not in await say(other, chief, "/settings holidays 2027")


@pytest.mark.start(shanghai("2027-02-25"))
async def test_an_installation_admins_correction_applies_where_a_group_has_none(
    harness: Harness, cast: Cast
) -> None:
    boss = harness.world.person("总", last_name="站长")
    await harness.runner.stop()
    harness.config = replace(harness.config, bot=replace(harness.config.bot, admins=(boss.id,)))
    await harness.restart()
    cast.group.chat.members[boss.id] = "member"
    other, chief = await other_group(harness)
    await say(cast.group, cast.captain, "/settings workdays on")
    reply = await say(cast.group, boss, "/settings holiday 2027-02-28 work")  # a Sunday
    assert "为所有群更正日历" in reply
    await say(other, chief, "/settings holiday 2027-02-28 off")  # its own says no
    assert sorted((g is None, k) for g, _, k in await corrections(harness)) == [
        (False, "off"),
        (True, "work"),
    ]
    await morning(harness, "2027-02-28")
    assert "2027-02-28" in (await cast.group.next_reply()).text
    await other.expect_silence()
    listed = await say(cast.group, cast.captain, "/settings holidays")
    assert "班 2027-02-28（安装管理员更正）" in listed


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("/settings holiday 2027-02-30 off", "用法：/settings"),
        ("/settings holiday 2027-02-05 maybe", "用法：/settings"),
        ("/settings holiday 2027-02-05", "用法：/settings"),
        ("/settings holiday 2027-02-10..2027-02-05 off", "用法：/settings"),
        ("/settings holiday 2027-01-01..2027-03-15 off", "一次最多更正 62 天"),
        ("/settings holiday 2040-01-01 off", "只能更正 2025–2036 年"),
        ("/settings holidays 1999", "用法：/settings"),
        ("/settings holidays 2027 all", "用法：/settings"),
    ],
)
async def test_bad_calendar_input_gets_the_usage_line_and_writes_nothing(
    harness: Harness, cast: Cast, said: str, answer: str
) -> None:
    reply = await say(cast.group, cast.captain, said)
    assert answer in reply and "holiday YYYY-MM-DD[..YYYY-MM-DD]" in reply
    assert await corrections(harness) == []


async def test_a_member_cannot_correct_the_calendar(harness: Harness, cast: Cast) -> None:
    assert "只有本群管理员" in await say(
        cast.group, cast.worker, "/settings holiday 2027-03-01 off"
    )
    assert await corrections(harness) == []


async def reminders(harness: Harness) -> list[str]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.key or "" for r in rows if (r.key or "").startswith("makeup:")]


async def test_the_admins_are_asked_for_next_years_makeup_days_once_a_week(
    harness: Harness, cast: Cast
) -> None:
    private = await started(cast)
    await say(cast.group, cast.captain, "/settings workdays on")
    await morning(harness, "2026-11-11")  # a Wednesday
    await cast.group.next_reply()
    reminder = (await private.next_reply()).text
    assert "2027 年的调休上班日还不知道" in reminder and "/settings holiday" in reminder
    assert "养护一班" in reminder
    for day in ("2026-11-12", "2026-11-13", "2026-11-14", "2026-11-15"):
        await morning(harness, day)
    await cast.group.next_reply()  # the briefings of Thursday and Friday
    await cast.group.next_reply()
    await private.expect_silence()
    await morning(harness, "2026-11-16")  # the next week's Monday
    await cast.group.next_reply()
    assert "2027 年的调休上班日" in (await private.next_reply()).text
    await say(cast.group, cast.captain, "/settings holiday 2027-02-20 work")  # the notice
    await morning(harness, "2026-11-23")
    await cast.group.next_reply()
    await private.expect_silence()
    status = await say(cast.group, cast.captain, "/briefing status")
    assert "调休上班日还不知道" not in status
    assert len(await reminders(harness)) == 2  # the captain's; the secretary never pressed Start


@pytest.mark.start(shanghai("2026-10-28"))
async def test_no_makeup_days_reminder_before_november(harness: Harness, cast: Cast) -> None:
    private = await started(cast)
    await say(cast.group, cast.captain, "/settings workdays on")
    assert "调休上班日还不知道" not in await say(cast.group, cast.captain, "/briefing status")
    await morning(harness, "2026-10-30")
    await cast.group.next_reply()
    await private.expect_silence()
    await morning(harness, "2026-11-02")  # also November's first working day
    await cast.group.next_reply()
    got = [await private.next_reply(timeout=20) for _ in range(2)]  # and October's report
    assert sum("2027 年的调休上班日" in m.text for m in got) == 1
    assert sum("document" in m.raw for m in got) == 1
