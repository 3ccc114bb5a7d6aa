"""Events through the emulator: announcing, the waiting list, check-in in private (the
geofence, the time window, codes, the QR code), the 403 path, hours, attendance, photos,
isolation between groups and bad input."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from domain.kinds import Subject
from emulator.scenario import BotMessage, GroupChat, Person
from handlers.events.notify import refresh_announcement
from handlers.events.sign import _wrapped, cjk_font
from storage import events as store
from storage.groups import get_group
from storage.members import get_member
from storage.models import Event, EventSignup, Group, Photo
from tests.conftest import Cast, Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
VENUE = (22.54, 113.93)  # 明翠社区, more or less
METRES_PER_DEGREE = 111_195.0  # of latitude, on the mean-radius sphere


def north_of(metres: float) -> tuple[float, float]:
    """A position ``metres`` due north of the venue."""
    return VENUE[0] + metres / METRES_PER_DEGREE, VENUE[1]


def local_now(harness: Harness) -> datetime:
    return harness.clock.now().astimezone(SHANGHAI)


def day_after(harness: Harness, days: int = 1) -> str:
    return (local_now(harness).date() + timedelta(days=days)).isoformat()


def at(harness: Harness, day: str, hhmm: str) -> datetime:
    """A local time of the group as an aware datetime."""
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=SHANGHAI)


async def new_event(
    harness: Harness, cast: Cast, options: str = "cap:12", *, times: str = "09:00-11:30"
) -> BotMessage:
    day = day_after(harness)
    await cast.group.say(
        cast.captain, f"/newevent volunteer {day} {times} 洁城绿生活 @ 明翠社区 {options}"
    )
    return await cast.group.next_reply()


async def stored(harness: Harness, group: GroupChat, number: int = 1) -> Event:
    await harness.world.settle()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        row = await get_group(session, group.id)
        assert row is not None
        return await store.get_event(session, row.id, number)


async def signups(harness: Harness, event: Event) -> list[EventSignup]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        return list(
            await session.scalars(
                select(EventSignup)
                .where(EventSignup.event_id == event.id)
                .order_by(EventSignup.seq)
            )
        )


async def announcement_text(harness: Harness, group: GroupChat, post: BotMessage, part: str) -> str:
    """The announcement once its in-place edit shows ``part``."""
    emulator = harness.emulator

    def edited() -> bool:
        return part in emulator.messages[(group.id, post.message_id)].get("text", "")

    await emulator.wait_for(edited, 5)
    text: str = emulator.messages[(group.id, post.message_id)]["text"]
    assert part in text, text
    return text


def members(harness: Harness, cast: Cast, count: int) -> list[Person]:
    people = [harness.world.person(f"队员{i}", username=f"member_{i}") for i in range(count)]
    return people


async def joined_the_group(cast: Cast, people: list[Person]) -> None:
    for person in people:
        await cast.group.join(person)


# --- announcing ---------------------------------------------------------------------------


async def test_newevent_announces_with_join_leave_and_checkin_buttons(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    assert "志愿服务 #1 洁城绿生活" in post and "明翠社区" in post and "0/12" in post
    assert post.button("✋ 报名").callback_data == "ev:join:1"
    assert post.button("取消报名").callback_data == "ev:leave:1"
    link = post.button("📲 签到").url
    event = await stored(harness, cast.group)
    assert link == f"https://t.me/{harness.emulator.bot.username}?start=ev-{event.link_token}"
    assert str(event.id) not in link.split("=")[1].replace(event.link_token, "")
    assert event.starts_at == at(harness, day_after(harness), "09:00")
    assert event.ends_at == at(harness, day_after(harness), "11:30")
    assert event.announce_message_id == post.message_id and event.cap == 12


async def test_newevent_in_chinese_without_end_or_cap(harness: Harness, cast: Cast) -> None:
    day = day_after(harness, 2)
    await cast.group.say(cast.captain, f"/newevent 党课 {day} 19:00 学习二十大精神")
    post = await cast.group.next_reply()
    assert "党课 #1 学习二十大精神" in post and "不限人数" in post
    event = await stored(harness, cast.group)
    assert event.cap is None and event.ends_at - event.starts_at == timedelta(hours=2)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        pytest.param("volunteer {long_ago} 09:00 清扫", "超过 90 天", id="too-far-back"),
        pytest.param("volunteer {day} 11:00-09:00 清扫", "11:00-09:00", id="end-before-start"),
        pytest.param("party {day} 09:00 清扫", "party", id="unknown-type"),
        pytest.param("volunteer {day} 09:00", "用法：/newevent", id="no-title"),
        pytest.param("volunteer {day} 09:00 @ 明翠社区", "用法：/newevent", id="only-place"),
        pytest.param("volunteer {day} 25:00 清扫", "25:00", id="bad-time"),
        pytest.param("volunteer 2026-02-30 09:00 清扫", "2026-02-30", id="bad-date"),
        pytest.param("volunteer {day} 09:00 清扫 cap:0", "1000", id="cap-zero"),
        pytest.param("volunteer {day} 09:00 清扫 cap:99999999999999999999", "1000", id="cap-huge"),
        pytest.param("volunteer {day} 09:00 清扫 geo:91,200", "geo", id="bad-geo"),
        pytest.param("volunteer 9999-12-31 23:00 末日清扫", "太远", id="end-of-the-calendar"),
        pytest.param("volunteer 3000-01-01 09:00 清扫", "太远", id="far-future"),
        pytest.param("", "用法：/newevent", id="empty"),
    ],
)
async def test_newevent_bad_input_gets_the_usage_line_and_writes_nothing(
    harness: Harness, cast: Cast, arguments: str, fragment: str
) -> None:
    long_ago = (local_now(harness).date() - timedelta(days=91)).isoformat()
    text = arguments.format(day=day_after(harness), long_ago=long_ago)
    await cast.group.say(cast.captain, f"/newevent {text}".strip())
    reply = await cast.group.next_reply()
    assert fragment in reply and "用法：/newevent" in reply
    await cast.group.say(cast.worker, "/events")
    assert "近期没有活动" in await cast.group.next_reply()


async def test_newevent_refused_to_members(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, f"/newevent volunteer {day_after(harness)} 09:00 清扫")
    assert "只有本群管理员" in await cast.group.next_reply()


async def test_events_lists_upcoming_by_date_and_past_with_attendance(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, f"/newevent study {day_after(harness, 3)} 15:00 读书会")
    await cast.group.next_reply()
    await new_event(harness, cast)
    await cast.group.say(cast.worker, "/events")
    listing = (await cast.group.next_reply()).text
    assert listing.index("#2") < listing.index("#1")  # tomorrow's first
    await cast.group.say(cast.worker, "/events past")
    assert "还没有结束的活动" in await cast.group.next_reply()
    harness.clock.advance(timedelta(days=5))
    await cast.group.say(cast.worker, "/events past")
    past = (await cast.group.next_reply()).text
    assert past.index("#1") < past.index("#2") and "签到 0/0" in past
    await cast.group.say(cast.worker, "/events later")
    assert "用法：/events" in await cast.group.next_reply()


# --- joining, leaving, the waiting list ---------------------------------------------------------


async def test_the_announcement_is_edited_even_when_the_bot_was_too_busy_to_start_on_time(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await cast.group.say(cast.driver, "/join 1")
    assert "已报名活动 #1" in await cast.group.next_reply()
    # the edit is due a tenth of a second after the reply; the event loop is held up for
    # two seconds (a loaded machine): the scheduler finds it late, and it must run
    harness.hold_up(2.0)
    await harness.idle()
    assert "1/12" in harness.emulator.messages[(cast.group.id, post.message_id)]["text"]


async def test_join_button_and_command_update_the_announcement_in_place(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    answer = await cast.group.press(cast.worker, post, "✋ 报名")
    assert "已报名活动 #1" in answer["text"] and "1/12" in answer["text"]
    await announcement_text(harness, cast.group, post, "1/12")
    await cast.group.say(cast.driver, "/join 1")
    assert "已报名活动 #1" in await cast.group.next_reply()  # the group's language
    await announcement_text(harness, cast.group, post, "2/12")
    again = await cast.group.press(cast.worker, post, "✋ 报名")
    assert "已经报名" in again["text"]
    # a refresh that changes nothing ("message is not modified") is harmless
    left = await cast.group.press(cast.driver, post, "取消报名")
    assert "已取消报名" in left["text"]
    await announcement_text(harness, cast.group, post, "1/12")
    await cast.group.say(cast.worker, "/help")
    assert await cast.group.next_reply()


async def test_waiting_list_moves_up_and_the_person_is_told_privately(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast, "cap:2")
    await cast.driver.private().start()
    await cast.driver.private().next_reply()
    await cast.group.press(cast.worker, post, "✋ 报名")
    await cast.group.press(cast.secretary, post, "✋ 报名")
    waiting = await cast.group.press(cast.driver, post, "✋ 报名")
    assert "候补第 1 位" in waiting["text"]
    await announcement_text(harness, cast.group, post, "候补 1 人")
    left = await cast.group.press(cast.worker, post, "取消报名")
    assert "已取消报名" in left["text"]
    told = await cast.driver.private().next_reply()
    assert "#1" in told and ("place" in told.text or "正式报名" in told.text)
    event = await stored(harness, cast.group)
    assert (event.joined_count, event.waiting_count) == (2, 0)
    rows = await signups(harness, event)
    assert {r.user_id: r.status for r in rows} == {
        cast.secretary.id: "in",
        cast.driver.id: "in",
    }
    await announcement_text(harness, cast.group, post, "2/2")


async def test_promoted_person_who_never_pressed_start_is_named_in_the_group(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast, "cap:1")
    await cast.group.press(cast.secretary, post, "✋ 报名")
    await cast.group.press(cast.worker, post, "✋ 报名")  # never pressed Start
    await cast.group.say(cast.secretary, "/leave 1")
    notices = [await cast.group.next_reply(), await cast.group.next_reply()]
    fallback = next(n for n in notices if "候补转为正式报名" in n)
    assert "张工" in fallback
    assert "start=help" in (fallback.buttons[0].url or "")
    assert any("已取消报名" in n for n in notices)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        member = await get_member(session, cast.worker.id)
    assert member is not None and member.started_at is None
    # known never to have pressed Start: not even tried privately
    assert not [
        c
        for c in harness.emulator.calls
        if c.params.get("chat_id") in (cast.worker.id, str(cast.worker.id))
    ]
    rows = await signups(harness, await stored(harness, cast.group))
    assert [(r.user_id, r.status) for r in rows] == [(cast.worker.id, "in")]


async def test_twenty_simultaneous_joins_for_twelve_places(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast)
    people = members(harness, cast, 20)
    await joined_the_group(cast, people)
    await harness.idle()
    harness.emulator.mark_all_read()  # the welcomes
    queries = [harness.emulator.callback_query(p.user, post.raw, "ev:join:1")[0] for p in people]
    await harness.emulator.wait_for(
        lambda: all(q in harness.emulator.callback_answers for q in queries), 30
    )
    answers = [harness.emulator.callback_answers[q]["text"] for q in queries]
    assert sum("已报名活动" in a for a in answers) == 12
    places = sorted(int(a.split("候补第 ")[1].split(" 位")[0]) for a in answers if "候补第" in a)
    assert places == list(range(1, 9))
    event = await stored(harness, cast.group)
    rows = await signups(harness, event)
    assert sum(r.status == "in" for r in rows) == 12 and len(rows) == 20
    assert (event.joined_count, event.waiting_count) == (12, 8)
    await announcement_text(harness, cast.group, post, "12/12")


async def test_leaving_without_a_sign_up_and_joining_a_past_event_are_refused(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast)
    await cast.group.say(cast.worker, "/leave 1")
    assert "没有报名" in await cast.group.next_reply()
    harness.clock.advance(timedelta(days=2))
    await cast.group.say(cast.worker, "/join 1")
    assert "已经结束" in await cast.group.next_reply()


# --- check-in ------------------------------------------------------------------------------------


async def signed_up(harness: Harness, cast: Cast, person: Person, post: BotMessage) -> None:
    answer = await cast.group.press(person, post, "✋ 报名")
    assert "已报名" in answer["text"]


async def open_checkin(harness: Harness, day: str, hhmm: str = "09:00") -> None:
    harness.clock.set(at(harness, day, hhmm).astimezone(ZoneInfo("UTC")))


async def private_checkin(harness: Harness, cast: Cast, person: Person) -> Any:
    """The person presses the group's check-in button: the private chat asks."""
    event = await stored(harness, cast.group)
    chat = person.private()
    await chat.start(f"ev-{event.link_token}")
    return chat


async def test_checkin_in_the_group_answers_with_a_private_link(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.worker, post)
    await cast.group.say(cast.worker, "/checkin 1")
    reply = await cast.group.next_reply()
    event = await stored(harness, cast.group)
    assert "私聊" in reply
    assert (reply.buttons[0].url or "").endswith(f"start=ev-{event.link_token}")


async def test_live_location_inside_the_radius_checks_in_and_just_outside_does_not(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast, f"cap:12 geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    await signed_up(harness, cast, cast.driver, post)
    day = day_after(harness)
    await open_checkin(harness, day, "08:45")
    chat = await private_checkin(harness, cast, cast.worker)
    ask = await chat.next_reply()
    assert "实时位置" in ask
    sent = [c for c in harness.emulator.calls if c.method == "sendMessage"][-1]
    assert '"request_location": true' in sent.params["reply_markup"].replace(" ", " ")
    outside = await chat.send_location(cast.worker, *north_of(310), live_period=900)
    refusal = await chat.next_reply()
    assert "310 米" in refusal and "300 米" in refusal
    # the live location moves closer: no reply while outside, checked in once inside
    await chat.move_location(cast.worker, outside, *north_of(305))
    await chat.expect_silence()
    await chat.move_location(cast.worker, outside, *north_of(295))
    done = await chat.next_reply()
    assert "签到成功" in done and "295 米" in done
    rows = {r.user_id: r for r in await signups(harness, await stored(harness, cast.group))}
    assert rows[cast.worker.id].method == "live" and rows[cast.worker.id].distance_m == 295
    assert rows[cast.worker.id].checked_in_at == harness.clock.now()
    # a static pin is refused unless the admin allows it
    english = await private_checkin(harness, cast, cast.driver)
    await english.next_reply()
    await english.send_location(cast.driver, *north_of(10))
    assert "live location" in await english.next_reply()
    await cast.group.say(cast.captain, "/event 1 pin on")
    assert "已开启" in await cast.group.next_reply()
    await english.send_location(cast.driver, *north_of(10))
    assert "Checked in" in await english.next_reply()
    await announcement_text(harness, cast.group, post, "已签到 2 人")


async def test_poor_accuracy_is_refused(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast, f"geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    await open_checkin(harness, day_after(harness))
    chat = await private_checkin(harness, cast, cast.worker)
    await chat.next_reply()
    await chat.send_location(cast.worker, *north_of(50), live_period=900, accuracy=500)
    assert "精度" in await chat.next_reply()


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        pytest.param("08:30:00", True, id="30-minutes-before"),
        pytest.param("08:29:59", False, id="just-before-opening"),
        pytest.param("11:30:00", True, id="at-the-end"),
        pytest.param("11:30:01", False, id="just-after-the-end"),
    ],
)
async def test_checkin_time_window_edges(
    harness: Harness, cast: Cast, moment: str, accepted: bool
) -> None:
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.worker, post)
    event = await stored(harness, cast.group)
    day = day_after(harness)
    harness.clock.set(datetime.fromisoformat(f"{day}T{moment}").replace(tzinfo=SHANGHAI))
    chat = cast.worker.private()
    await chat.send(f"/checkin 1 {event.checkin_code}")
    reply = await chat.next_reply()
    if accepted:
        assert "签到成功" in reply
    else:
        assert "签到" in reply and "签到成功" not in reply
        assert ("08:30" in reply) if moment < "09" else ("已经结束" in reply)


async def test_code_checkin_double_checkin_and_not_signed_up(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.worker, post)
    event = await stored(harness, cast.group)
    await open_checkin(harness, day_after(harness))
    chat = await private_checkin(harness, cast, cast.worker)
    assert "签到码" in await chat.next_reply()
    await chat.send("WRONG1")
    assert "签到码不对" in await chat.next_reply()
    await chat.send(event.checkin_code.lower())
    assert "签到成功" in await chat.next_reply()
    await chat.send(f"/checkin 1 {event.checkin_code}")
    assert "签到过" in await chat.next_reply()
    stranger = cast.secretary.private()
    await stranger.send(f"/checkin 1 {event.checkin_code}")
    assert "没有报名" in await stranger.next_reply()
    rows = await signups(harness, event)
    assert [(r.user_id, r.method) for r in rows] == [(cast.worker.id, "code")]


async def test_walkin_event_adds_whoever_checks_in(harness: Harness, cast: Cast) -> None:
    await new_event(harness, cast, "cap:1 walkin")
    event = await stored(harness, cast.group)
    await open_checkin(harness, day_after(harness))
    chat = cast.secretary.private()
    await chat.send(f"/checkin 1 {event.checkin_code}")
    assert "签到成功" in await chat.next_reply()
    rows = await signups(harness, event)
    assert [(r.user_id, r.status) for r in rows] == [(cast.secretary.id, "in")]


async def test_code_at_a_geofenced_event_only_when_the_admin_allows_it(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast, f"geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    event = await stored(harness, cast.group)
    await open_checkin(harness, day_after(harness))
    chat = cast.worker.private()
    await chat.send(f"/checkin 1 {event.checkin_code}")
    assert "位置签到" in await chat.next_reply()
    await cast.group.say(cast.captain, "/event 1 code on")
    assert "已开启" in await cast.group.next_reply()
    await chat.send(f"/checkin 1 {event.checkin_code}")
    assert "签到成功" in await chat.next_reply()


async def test_qr_code_goes_privately_to_the_admin_and_checks_the_scanner_in(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast, f"geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    await cast.group.say(cast.captain, "/event 1 qr")
    # the admin never pressed Start: told how, nothing crashes
    refusal = await cast.group.next_reply()
    assert "私信" in refusal and refusal.buttons[0].url
    admin_chat = cast.captain.private()
    await admin_chat.start()
    await admin_chat.next_reply()
    await cast.group.say(cast.captain, "/event 1 qr")
    assert "私信发给你" in await cast.group.next_reply()
    qr = await admin_chat.next_reply()
    event = await stored(harness, cast.group)
    assert qr.raw["document"]["file_name"] == "签到牌-活动1.png"  # the sign to print
    assert event.checkin_code in qr.raw["caption"]
    await cast.group.say(cast.worker, "/event 1 qr")
    assert "只有本群管理员" in await cast.group.next_reply()
    await open_checkin(harness, day_after(harness), "08:50")
    chat = cast.worker.private()
    await chat.start(f"qr-{event.qr_token}")
    assert "签到成功" in await chat.next_reply()
    rows = await signups(harness, event)
    assert rows[0].method == "qr"
    await chat.start(f"qr-{event.link_token}")  # the group's token is not a QR code
    assert "无法识别" in await chat.next_reply()
    harness.clock.advance(timedelta(days=1))
    await chat.start(f"ev-{event.link_token}")  # expired with the event
    assert "已经结束" in await chat.next_reply()


async def test_admin_sets_the_venue_by_replying_to_the_announcement_with_a_location(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await cast.group.send_location(cast.worker, *VENUE, reply_to=post.raw)
    assert "只有本群管理员" in await cast.group.next_reply()
    for impossible in ((float("nan"), 181.0), (91.0, 0.0)):  # refused as geo: is
        await cast.group.send_location(cast.captain, *impossible, reply_to=post.raw)
        assert "位置" in await cast.group.next_reply()
    assert (await stored(harness, cast.group)).latitude is None
    await cast.group.send_location(cast.captain, *VENUE, reply_to=post.raw)
    assert "签到地点" in await cast.group.next_reply()
    event = await stored(harness, cast.group)
    assert (event.latitude, event.longitude) == VENUE


# --- check-out, hours, attendance ------------------------------------------------------------------


async def test_checkout_hours_attendance_and_the_leaderboard(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast)
    for person in (cast.worker, cast.driver, cast.secretary):
        await signed_up(harness, cast, person, post)
    event = await stored(harness, cast.group)
    day = day_after(harness)
    await open_checkin(harness, day, "08:50")
    for person in (cast.worker, cast.driver):
        chat = person.private()
        await chat.send(f"/checkin 1 {event.checkin_code}")
        await chat.next_reply()
    await open_checkin(harness, day, "10:20")
    await cast.worker.private().send("/checkout 1")
    assert "1.5 小时" in await cast.worker.private().next_reply()
    await cast.worker.private().send("/checkout 1")
    assert "签退过" in await cast.worker.private().next_reply()
    await cast.group.say(cast.worker, "/checkout 1")
    assert "私聊" in await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/attendance 1")
    sheet = (await cast.group.next_reply()).text
    assert "报名 3 人，签到 2 人" in sheet and "尚未签到：王书记" in sheet
    harness.clock.advance(timedelta(hours=3))  # over: the driver is counted until the end
    await cast.group.say(cast.secretary, "/attendance 1")
    sheet = (await cast.group.next_reply()).text
    assert "未到：王书记" in sheet and "2.7 小时" in sheet and "1.5 小时" in sheet
    await cast.group.say(cast.worker, f"/hours {day[:7]}")
    board = (await cast.group.next_reply()).text
    assert board.index("Chen Driver") < board.index("张工") and "2.7 小时" in board
    await cast.group.say(cast.worker, "/hours @zhang_gong")
    hours = (await cast.group.next_reply()).text
    assert "累计 1.5 小时（1 次）" in hours
    await cast.group.say(cast.worker, "/hours me")
    assert "累计 1.5 小时" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/members")
    roster = (await cast.group.next_reply()).text
    assert "志愿 1.5 小时" in roster and "志愿 2.7 小时" in roster
    await cast.group.say(cast.worker, "/hours 2026-13")
    assert "用法：/hours" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/hours @nobody_here")
    assert "nobody_here" in await cast.group.next_reply()


# --- photos --------------------------------------------------------------------------------------


async def test_photos_by_caption_and_by_reply_to_the_announcement(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await cast.group.send_photo(cast.worker, "/event 1")
    assert "添加 1 张照片" in await cast.group.next_reply()
    await cast.group.send_photo(cast.driver, None, reply_to=post.raw)
    assert "添加 1 张照片" in await cast.group.next_reply()
    await cast.group.send_album(cast.worker, 3, "/event 1")
    assert "添加 3 张照片" in await cast.group.next_reply()
    await cast.group.send_album(cast.driver, 2, reply_to=post.raw)
    assert "添加 2 张照片" in await cast.group.next_reply()
    event = await stored(harness, cast.group)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        photos = list(
            await session.scalars(
                select(Photo).where(
                    Photo.subject_kind == Subject.EVENT, Photo.subject_id == event.id
                )
            )
        )
    assert len(photos) == 7
    await cast.group.say(cast.worker, "/event 1")
    detail = await cast.group.next_reply()
    assert "活动照片 7 张" in detail
    album = await cast.group.next_reply()
    assert album.raw.get("media_group_id") or album.raw.get("photo")
    await harness.idle()
    harness.emulator.mark_all_read()


# --- isolation, forged buttons, redelivery ------------------------------------------------------


async def test_other_groups_numbers_and_forged_buttons(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast)
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.worker,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await other.say(cast.worker, "/join 1")
    assert "没有找到活动 #1" in await other.next_reply()
    await other.say(cast.worker, "/attendance 1")
    assert "没有找到活动 #1" in await other.next_reply()
    forged = await cast.group.press_data(cast.worker, post, "ev:join:99")
    assert "没有找到活动 #99" in forged["text"]
    huge = await cast.group.press_data(cast.worker, post, "ev:join:999999999999")
    assert "999999999999" in huge["text"]
    odd = await cast.group.press_data(cast.worker, post, "ev:join:-1")
    assert odd["show_alert"]
    event = await stored(harness, cast.group)
    assert await signups(harness, event) == []
    chat = cast.worker.private()
    await chat.start("ev-" + "A" * 16)
    assert "无法识别" in await chat.next_reply()


async def test_a_redelivered_join_changes_nothing(harness: Harness, cast: Cast) -> None:
    await new_event(harness, cast, "cap:1")
    await cast.group.say(cast.worker, "/join 1")
    first = harness.emulator.emitted_updates[-1]
    assert "已报名" in await cast.group.next_reply()
    harness.emulator.redeliver(first)
    await cast.group.expect_silence()
    event = await stored(harness, cast.group)
    assert (event.joined_count, event.waiting_count) == (1, 0)


async def test_a_failing_handler_apologises_with_an_id_and_writes_nothing(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await new_event(harness, cast)
    real_join = store.join_number

    async def broken(*args: Any, **kwargs: Any) -> store.Joined:
        await real_join(*args, **kwargs)  # the sign-up is written, then something breaks
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "join_number", broken)
    await cast.group.say(cast.worker, "/join 1")
    apology = (await cast.group.next_reply()).text
    error_id = apology.split("错误编号：")[1].strip()
    assert "出了点问题" in apology and f"error {error_id}" in caplog.text
    event = await stored(harness, cast.group)
    assert event.joined_count == 0 and await signups(harness, event) == []


async def test_export_hours_is_an_xlsx_register_with_formulas_defused(
    harness: Harness, cast: Cast
) -> None:
    day = day_after(harness)
    await cast.group.say(
        cast.captain, f'/newevent volunteer {day} 09:00-11:30 =HYPERLINK("x") @ 明翠社区'
    )
    post = await cast.group.next_reply()
    await signed_up(harness, cast, cast.worker, post)
    await signed_up(harness, cast, cast.driver, post)
    event = await stored(harness, cast.group)
    await open_checkin(harness, day, "09:00")
    await cast.worker.private().send(f"/checkin 1 {event.checkin_code}")
    await cast.worker.private().next_reply()
    harness.clock.advance(timedelta(hours=4))
    await cast.group.say(cast.worker, "/export hours")
    assert "只有本群管理员" in await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/export hours")
    sent = await cast.group.next_reply()
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "活动编号" and len(rows) == 3
    by_name = {row[5]: row for row in rows[1:]}
    assert by_name["张工"][10] == 2.5 and by_name["张工"][9] == "签到码"
    assert by_name["Chen Driver"][7] is None and by_name["Chen Driver"][10] is None
    assert by_name["张工"][3] == '=HYPERLINK("x")'
    assert sheet["D2"].data_type == "s"


async def test_an_edit_that_changes_nothing_is_harmless(
    harness: Harness, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    post = await new_event(harness, cast)
    await cast.group.press(cast.worker, post, "✋ 报名")
    await announcement_text(harness, cast.group, post, "1/12")
    event = await stored(harness, cast.group)
    job_queue = harness.app.job_queue
    assert job_queue is not None
    before = len(harness.emulator.calls)
    job_queue.run_once(refresh_announcement, 0, data=(cast.group.id, event.id))  # nothing changed

    def refused_as_unmodified() -> bool:
        return any(
            c.method == "editMessageText" and c.error is not None
            for c in harness.emulator.calls[before:]
        )

    assert await harness.emulator.wait_for(refused_as_unmodified, 5)
    await cast.group.press(cast.driver, post, "✋ 报名")
    await announcement_text(harness, cast.group, post, "2/12")
    assert "error outside an update" not in caplog.text


async def test_checkin_in_the_group_tells_who_has_not_signed_up(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast, "cap:1")
    await cast.group.say(cast.worker, "/checkin 1")
    assert "没有报名" in await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/join 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/join 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/checkin 1")
    assert "候补" in await cast.group.next_reply()
    harness.clock.advance(timedelta(days=2))
    await cast.group.say(cast.secretary, "/checkin 1")
    assert "已经结束" in await cast.group.next_reply()


# --- what hostile members and failing Telegram calls found ------------------------------


async def test_after_a_supergroup_migration_no_other_message_becomes_the_announcement(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast)
    supergroup = await cast.group.migrate(by=cast.secretary)
    await harness.idle()
    harness.emulator.mark_all_read()
    await supergroup.say(cast.worker, "/help")
    help_reply = await supergroup.next_reply()
    await supergroup.say(cast.worker, "/join 1")
    assert "已报名活动 #1" in await supergroup.next_reply()
    await harness.idle()  # any edit of the announcement would have happened
    assert (
        "志愿服务" not in harness.emulator.messages[(supergroup.id, help_reply.message_id)]["text"]
    )
    # /event 1 posts the event with its buttons again: that becomes the announcement
    await supergroup.say(cast.worker, "/event 1")
    detail = await supergroup.next_reply()
    assert detail.button("✋ 报名").callback_data == "ev:join:1"
    event = await stored(harness, supergroup)
    assert event.announce_message_id == detail.message_id


async def test_a_press_under_an_old_message_of_the_upgraded_group_is_the_supergroups(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)  # announced in the basic group
    supergroup = await cast.group.migrate(by=cast.secretary)
    await harness.idle()
    harness.emulator.mark_all_read()
    answer = await cast.group.press(cast.worker, post, "✋ 报名")  # under the old message
    assert "没有找到" not in answer["text"]
    await harness.idle()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        groups = list(await session.scalars(select(Group)))
    assert [(g.chat_id, g.migrated_from) for g in groups] == [(supergroup.id, cast.group.id)]
    await supergroup.say(cast.worker, "/event 1")  # the press signed them up
    assert "张工" in await supergroup.next_reply()


async def test_a_forwarded_live_location_does_not_check_in(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast, f"geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    await open_checkin(harness, day_after(harness))
    chat = await private_checkin(harness, cast, cast.worker)
    await chat.next_reply()
    forwarded = harness.emulator.user_message(
        chat.chat,
        cast.worker.user,
        location={"latitude": VENUE[0], "longitude": VENUE[1], "live_period": 900},
        forward_origin={"type": "user", "date": 0, "sender_user": cast.driver.user.to_api()},
    )
    harness.emulator.push("message", forwarded)
    assert "转发" in await chat.next_reply()
    assert await signups(harness, await stored(harness, cast.group)) != [] and all(
        s.checked_in_at is None for s in await signups(harness, await stored(harness, cast.group))
    )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"latitude": VENUE[0], "longitude": VENUE[1], "live_period": 0}, "实时位置"),
        (
            {
                "latitude": VENUE[0],
                "longitude": VENUE[1],
                "live_period": 900,
                "horizontal_accuracy": -1,
            },
            "定位精度无效",
        ),
        ({"latitude": 91.0, "longitude": VENUE[1], "live_period": 900}, "不在地球上"),
    ],
    ids=["live-period-0-is-a-pin", "negative-accuracy", "off-the-earth"],
)
async def test_a_location_that_cannot_check_in_says_what_is_wrong(
    harness: Harness, cast: Cast, location: dict[str, Any], expected: str
) -> None:
    post = await new_event(harness, cast, f"geo:{VENUE[0]},{VENUE[1]}")
    await signed_up(harness, cast, cast.worker, post)
    await open_checkin(harness, day_after(harness))
    chat = await private_checkin(harness, cast, cast.worker)
    await chat.next_reply()
    harness.emulator.push(
        "message", harness.emulator.user_message(chat.chat, cast.worker.user, location=location)
    )
    answer = await chat.next_reply()
    assert expected in answer and "约 -1 米" not in answer and "约 ? 米" not in answer
    rows = await signups(harness, await stored(harness, cast.group))
    assert all(s.checked_in_at is None for s in rows)


async def test_an_album_caption_with_nul_still_adds_the_photos(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast)
    await cast.group.send_album(cast.worker, 2, "/event 1\x00")
    assert "添加 2 张照片" in await cast.group.next_reply()


async def test_a_failing_private_notice_leaves_the_leaver_answered_and_shows_for_admins(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast, "cap:1")
    await cast.driver.private().start()
    await cast.driver.private().next_reply()
    await cast.group.say(cast.worker, "/join 1")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, "/join 1")
    await cast.group.next_reply()
    harness.emulator.fail("sendMessage", 400, "Bad Request: something else went wrong")
    await cast.group.say(cast.worker, "/leave 1")
    assert "已取消报名" in (await cast.group.next_reply()).text
    # refused for a reason of its own, the notice is not turned into a note in the group
    # naming someone the bot can write to; admins see it failed in /briefing status
    await harness.idle()
    await cast.group.expect_silence()
    await cast.group.say(cast.captain, "/briefing status")
    assert "发送失败 1 条" in (await cast.group.next_reply()).text
    rows = await signups(harness, await stored(harness, cast.group))
    assert [(r.user_id, r.status) for r in rows] == [(cast.driver.id, "in")]


async def test_a_link_or_qr_code_that_reached_an_outsider_checks_nobody_in(
    harness: Harness, cast: Cast
) -> None:
    await new_event(harness, cast, "walkin")
    event = await stored(harness, cast.group)
    outsider = harness.world.person("外", last_name="人", username="outsider")
    chat = outsider.private()
    await open_checkin(harness, day_after(harness))
    await chat.start(f"qr-{event.qr_token}")
    answer = await chat.next_reply()
    assert "只有本活动所在工作群的成员" in answer and "养护一班" not in answer  # no name given away
    await chat.start(f"ev-{event.link_token}")
    answer = await chat.next_reply()
    assert "只有本活动所在工作群的成员" in answer and "养护一班" not in answer  # no name given away
    assert await signups(harness, event) == []


async def test_codes_typed_loosely_work_and_guessing_is_cut_off(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.worker, post)
    await signed_up(harness, cast, cast.driver, post)
    event = await stored(harness, cast.group)
    await open_checkin(harness, day_after(harness))
    code = event.checkin_code
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())  # full-width, lower case
    await cast.worker.private().send(f"/checkin 1 {wide}")
    assert "签到成功" in await cast.worker.private().next_reply()
    guesser = cast.driver.private()
    for attempt in range(10):
        await guesser.send(f"/checkin 1 WRONG{attempt}")
        assert "not right" in await guesser.next_reply()
    await guesser.send(f"/checkin 1 {code[:3]} {code[3:]}")
    assert "Too many wrong codes" in await guesser.next_reply()
    harness.clock.advance(timedelta(minutes=31))
    await guesser.send(f"/checkin 1 {code[:3]} {code[3:]}")
    assert "Checked in" in await guesser.next_reply()


async def test_a_press_after_the_end_takes_the_buttons_away(harness: Harness, cast: Cast) -> None:
    post = await new_event(harness, cast)
    harness.clock.advance(timedelta(days=2))
    answer = await cast.group.press(cast.worker, post, "✋ 报名")
    assert "已经结束" in answer["text"]
    text = await announcement_text(harness, cast.group, post, "活动已结束")
    assert "报名" in text
    assert "reply_markup" not in harness.emulator.messages[(cast.group.id, post.message_id)]


async def test_two_hours_registers_asked_at_once_are_both_whole(
    harness: Harness, cast: Cast
) -> None:
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.worker, post)
    admin_chat = cast.captain.private()
    await admin_chat.start()
    await admin_chat.next_reply()
    await cast.group.say(cast.secretary, "/export hours")
    await admin_chat.send("/export hours")
    for chat in (cast.group, admin_chat):
        answer = await chat.next_reply()
        if "document" in answer.raw:
            content = harness.emulator.files[answer.raw["document"]["file_id"]].content
            sheet = load_workbook(io.BytesIO(content)).active
            assert sheet is not None and sheet.max_row == 2
        else:
            assert "正在生成" in answer, answer.text
    leftovers = list((harness.config.media.dir).rglob("*.part"))
    assert leftovers == []


@pytest.mark.skipif(
    shutil.which("zbarimg") is None or cjk_font() is None,
    reason="needs zbarimg and a CJK font: apt-get install zbar-tools fonts-noto-cjk",
)
async def test_the_check_in_sign_is_an_a4_page_whose_code_checks_people_in(
    harness: Harness, cast: Cast, tmp_path: Path
) -> None:
    await new_event(harness, cast)
    admin_chat = cast.captain.private()
    await admin_chat.start()
    await admin_chat.next_reply()
    await cast.group.say(cast.captain, "/event 1 qr")
    await cast.group.next_reply()
    sign = await admin_chat.next_reply()
    page = tmp_path / "sign.png"
    page.write_bytes(harness.emulator.files[sign.raw["document"]["file_id"]].content)
    with Image.open(page) as image:
        assert image.size == (1240, 1754)  # A4 at 150 dpi, portrait
        image.convert("L").resize((620, 877)).save(tmp_path / "small.jpg", quality=60)
    event = await stored(harness, cast.group)
    for scanned in (page, tmp_path / "small.jpg"):  # printed, or photographed and shrunk
        found = await asyncio.to_thread(
            subprocess.run,
            ["zbarimg", "--quiet", "--raw", str(scanned)],
            capture_output=True,
            text=True,
        )
        assert found.stdout.strip().endswith(f"?start=qr-{event.qr_token}")


@pytest.mark.skipif(cjk_font() is None, reason="needs a CJK font: apt-get install fonts-noto-cjk")
def test_the_signs_lines_keep_to_the_page_whatever_their_text() -> None:
    font = cjk_font()
    assert font is not None
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    size = ImageFont.truetype(str(font), 40)
    for text in ("https://example.com/" + "x" * 300, "桥" * 300, "/checkin 1 " * 40):
        lines = _wrapped(draw, text, size)
        assert 1 <= len(lines) <= 2
        assert all(draw.textlength(line, font=size) <= 1240 - 2 * 90 for line in lines)
