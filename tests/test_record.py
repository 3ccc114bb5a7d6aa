"""补录 through the emulator: an activity recorded after it took place (/newevent with a
start in the past), people recorded as present (/attendance n add|remove), and where the
records show — /attendance, /events past, /hours, /members, the hours register and the
monthly report — on a Monday after Saturday's clean-up."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from emulator.scenario import BotMessage
from storage import events as store
from storage.groups import get_group
from storage.models import Event, EventSignup
from tests.conftest import Cast, Harness, li_ming_wei, local

MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SATURDAY = "2026-12-05"
pytestmark = pytest.mark.start(MONDAY)
CLEAN_UP = f"/newevent 志愿服务 {SATURDAY} 09:00-11:30 洁城绿生活 @ 明翠社区"


async def say(harness: Harness, cast: Cast, who: str, text: str) -> BotMessage:
    person = {"captain": cast.captain, "worker": cast.worker, "secretary": cast.secretary}[who]
    await cast.group.say(person, text)
    return await cast.group.next_reply()


async def known(harness: Harness, cast: Cast) -> None:
    """The members have spoken in the group: the bot knows them by name."""
    for person in (cast.secretary, cast.worker, cast.driver):
        await cast.group.say(person, "大家好")
    await harness.idle()


async def recorded_clean_up(harness: Harness, cast: Cast) -> BotMessage:
    await known(harness, cast)
    return await say(harness, cast, "captain", CLEAN_UP)


async def stored(harness: Harness, cast: Cast, number: int = 1) -> tuple[Event, list[EventSignup]]:
    await harness.idle()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        event = await store.get_event(session, group.id, number)
        rows = await session.scalars(
            select(EventSignup).where(EventSignup.event_id == event.id).order_by(EventSignup.seq)
        )
        return event, list(rows)


# --- /newevent with a start in the past -------------------------------------------------


async def test_a_past_start_records_the_activity_without_buttons(
    harness: Harness, cast: Cast
) -> None:
    reply = await recorded_clean_up(harness, cast)
    assert "已补录活动 #1 洁城绿生活" in reply and "/attendance 1 add" in reply
    assert reply.buttons == []
    event, people = await stored(harness, cast)
    assert event.recorded and event.announce_message_id is None and people == []
    assert event.starts_at == local(SATURDAY, "09:00") and event.ends_at == local(SATURDAY, "11:30")
    await cast.group.say(cast.worker, "/events past")
    assert "#1 洁城绿生活" in (listed := await cast.group.next_reply()) and "补录" in listed


@pytest.mark.parametrize(
    ("days", "recorded"),
    [pytest.param(90, True, id="90-days-back"), pytest.param(91, False, id="91-days-back")],
)
async def test_an_activity_may_be_recorded_up_to_ninety_days_back(
    harness: Harness, cast: Cast, days: int, recorded: bool
) -> None:
    reply = await say(harness, cast, "captain", f"/newevent 党课 {harness.day(-days)} 19:00 党课")
    if recorded:
        assert "已补录活动 #1" in reply
    else:
        assert "超过 90 天" in reply and "用法：/newevent" in reply
        await cast.group.say(cast.worker, "/events past")
        assert "没有" in await cast.group.next_reply()


async def test_an_activity_under_way_is_recorded_and_takes_no_join_or_checkin(
    harness: Harness, cast: Cast
) -> None:
    reply = await say(
        harness, cast, "captain", f"/newevent 志愿服务 {harness.day()} 09:00-12:00 扫雪"
    )
    assert "已补录活动 #1" in reply and reply.buttons == []
    await cast.group.say(cast.worker, "/join 1")
    assert "补录的活动，不能报名" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/checkin 1")
    assert "补录的活动，不能签到" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/event 1 qr")
    assert "补录的活动，不能签到" in await cast.group.next_reply()
    event, _ = await stored(harness, cast)
    private = cast.worker.private()
    for payload in (f"ev-{event.link_token}", f"qr-{event.qr_token}"):
        await private.start(payload)
        assert "补录的活动，不能签到" in await private.next_reply()
    await cast.group.say(cast.worker, "/event 1")
    detail = await cast.group.next_reply()
    assert "补录的活动" in detail and detail.buttons == []
    _, people = await stored(harness, cast)
    assert people == []


async def test_the_reminders_sweep_skips_a_recorded_activity(harness: Harness, cast: Cast) -> None:
    await known(harness, cast)
    day = harness.day()
    assert "已补录" in await say(
        harness, cast, "captain", f"/newevent 志愿服务 {day} 09:00-12:00 扫雪"
    )
    assert "补录出勤：张工" in await say(harness, cast, "captain", "/attendance 1 add @zhang_gong")
    await cast.worker.private().start()
    await cast.worker.private().next_reply()
    before = len(harness.emulator.calls)
    # a second process whose clock is behind: the event still looks a few hours away
    harness.clock.set(local(harness.day(), "06:00"))
    await harness.sweep()
    await harness.sweep_outbox()
    sent = [c for c in harness.emulator.calls[before:] if c.method == "sendMessage"]
    assert sent == []


# --- /attendance n add | remove -------------------------------------------------------------


async def test_recorded_people_count_in_attendance_hours_and_members(
    harness: Harness, cast: Cast
) -> None:
    await recorded_clean_up(harness, cast)
    reply = await say(harness, cast, "captain", "/attendance 1 add @zhang_gong @chen_d @zhang_gong")
    assert "补录出勤：张工、Chen Driver（每人 2.5 小时）" in reply
    sheet = await say(harness, cast, "worker", "/attendance 1")
    assert "张工  补录（李队长）  2.5 小时" in sheet and "其中补录 2 人" in sheet
    assert "签到 2 人" in sheet and "合计 5.0 小时" in sheet
    board = await say(harness, cast, "worker", "/hours 2026-12")
    assert "张工" in board and "2.5" in board
    await cast.group.say(cast.worker, "/events past")
    assert "签到 2/2" in await cast.group.next_reply()
    roster = await say(harness, cast, "worker", "/members")
    assert "志愿 2.5 小时" in roster
    event, people = await stored(harness, cast)
    assert event.joined_count == 2 and [p.method for p in people] == ["recorded"] * 2
    assert {p.recorded_by for p in people} == {cast.captain.id}


async def test_hours_given_in_any_form_and_a_second_add_replaces_them(
    harness: Harness, cast: Cast
) -> None:
    await recorded_clean_up(harness, cast)
    reply = await say(harness, cast, "captain", "/attendance 1 补录 @zhang_gong ３．５ 小时")
    assert "每人 3.5 小时" in reply
    reply = await say(harness, cast, "captain", "/attendance 1 add @zhang_gong 2h")
    assert "之前已补录，时长改为 2.0 小时：张工" in reply
    board = await say(harness, cast, "worker", "/hours @zhang_gong")
    assert "2.0" in board and "3.5" not in board
    _, people = await stored(harness, cast)
    assert [(p.minutes, p.method) for p in people] == [(120, "recorded")]


async def test_a_mention_without_a_username_is_recorded_by_name(
    harness: Harness, cast: Cast
) -> None:
    li = await li_ming_wei(harness, cast)
    await recorded_clean_up(harness, cast)
    text = "/attendance 1 add Li Ming Wei 1h"
    entities = [
        {"type": "bot_command", "offset": 0, "length": 11},
        {"type": "text_mention", "offset": 18, "length": 11, "user": li.user.to_api()},
    ]
    await cast.group._send(cast.captain, text=text, entities=entities)
    assert "补录出勤：Li Ming Wei（每人 1.0 小时）" in await cast.group.next_reply()


async def test_remove_takes_the_record_back(harness: Harness, cast: Cast) -> None:
    await recorded_clean_up(harness, cast)
    await say(harness, cast, "captain", "/attendance 1 add @zhang_gong @chen_d")
    reply = await say(harness, cast, "captain", "/attendance 1 删除 @zhang_gong @wang_shuji")
    assert "已撤销补录：张工" in reply and "没有补录记录，未改动：王书记" in reply
    event, people = await stored(harness, cast)
    assert event.joined_count == 1 and [p.user_id for p in people] == [cast.driver.id]
    assert "张工" not in await say(harness, cast, "worker", "/hours 2026-12")


async def test_add_and_remove_as_a_reply_to_the_persons_message(
    harness: Harness, cast: Cast
) -> None:
    await recorded_clean_up(harness, cast)
    said = await cast.group.say(cast.worker, "我周六去了，干了 3 个小时")
    await cast.group.say(cast.captain, "/attendance 1 add 3h", reply_to=said)
    assert "张工" in await cast.group.next_reply()
    _, people = await stored(harness, cast)
    assert [(p.user_id, p.minutes) for p in people] == [(cast.worker.id, 180)]
    await cast.group.say(cast.captain, "/attendance 1 remove", reply_to=said)
    assert "已撤销补录：张工" in await cast.group.next_reply()
    _, people = await stored(harness, cast)
    assert people == []


async def test_a_forgotten_checkin_is_recorded_and_a_real_one_is_kept(
    harness: Harness, cast: Cast
) -> None:
    await known(harness, cast)
    tomorrow = harness.day(1)
    await say(harness, cast, "captain", f"/newevent 志愿服务 {tomorrow} 09:00-11:00 清扫 cap:1")
    for person in (cast.worker, cast.driver):  # the driver waits
        await cast.group.say(person, "/join 1")
        await cast.group.next_reply()
    early = await say(harness, cast, "captain", "/attendance 1 add @zhang_gong")
    assert "还没开始（12-08 09:00 开始）" in early
    event, _ = await stored(harness, cast)
    harness.clock.set(local(tomorrow, "09:10"))
    await cast.worker.private().send(f"/checkin 1 {event.checkin_code}")
    await cast.worker.private().next_reply()
    harness.clock.set(local(tomorrow, "15:00"))
    reply = await say(harness, cast, "captain", "/attendance 1 add @zhang_gong @chen_d @wang_shuji")
    assert "补录出勤：Chen Driver、王书记（每人 2.0 小时）" in reply
    assert "本人已签到，保留原签到：张工" in reply
    event, people = await stored(harness, cast)
    assert (event.joined_count, event.waiting_count) == (3, 0)
    methods = {p.user_id: p.method for p in people}
    assert methods == {
        cast.worker.id: "code",
        cast.driver.id: "recorded",
        cast.secretary.id: "recorded",
    }
    reply = await say(
        harness, cast, "captain", "/attendance 1 remove @zhang_gong @chen_d @wang_shuji"
    )
    assert "本人签到的记录不撤销：张工" in reply and "已撤销补录：Chen Driver、王书记" in reply
    event, people = await stored(harness, cast)  # the driver waits again, as before
    assert (event.joined_count, event.waiting_count) == (1, 1)
    assert [(p.user_id, p.status, p.method) for p in people] == [
        (cast.worker.id, "in", "code"),
        (cast.driver.id, "waiting", None),
    ]


async def test_a_recorded_attendance_takes_no_checkout(harness: Harness, cast: Cast) -> None:
    await known(harness, cast)
    today = harness.day()
    harness.clock.set(local(today, "08:00"))
    await say(harness, cast, "captain", f"/newevent 志愿服务 {today} 09:00-11:00 清扫")
    harness.clock.set(local(today, "09:30"))
    await say(harness, cast, "captain", "/attendance 1 add @zhang_gong")
    await cast.worker.private().send("/checkout 1")
    assert "管理员补录的" in await cast.worker.private().next_reply()
    _, people = await stored(harness, cast)
    assert people[0].checked_out_at is None and people[0].minutes == 120


async def test_nobody_is_recorded_when_someone_named_is_not_in_the_group(
    harness: Harness, cast: Cast
) -> None:
    await recorded_clean_up(harness, cast)
    reply = await say(harness, cast, "captain", "/attendance 1 add @zhang_gong @nobody @ghost_x")
    assert "@nobody、@ghost_x" in reply and "谁也没有记上" in reply
    _, people = await stored(harness, cast)
    assert people == []


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        pytest.param("1 add", "用法：/attendance", id="nobody-named"),
        pytest.param("1 add @zhang_gong 0h", "0.1 到 24 小时", id="zero-hours"),
        pytest.param("1 add @zhang_gong -1h", "0.1 到 24 小时", id="negative-hours"),
        pytest.param("1 add @zhang_gong 0.01h", "0.1 到 24 小时", id="a-minute"),
        pytest.param("1 add @zhang_gong 24.001h", "0.1 到 24 小时", id="just-over"),
        pytest.param("1 add @zhang_gong 24.5h", "0.1 到 24 小时", id="too-many-hours"),
        pytest.param("1 add @zhang_gong 2h 3h", "用法：/attendance", id="two-lengths"),
        pytest.param("1 remove @zhang_gong 2h", "用法：/attendance", id="remove-with-hours"),
        pytest.param("1 invite @zhang_gong", "用法：/attendance", id="unknown-word"),
        pytest.param("x add @zhang_gong", "用法：/attendance", id="no-number"),
        pytest.param(
            "1 add " + " ".join(f"@p{i}" for i in range(51)), "最多补录 50 人", id="too-many"
        ),
    ],
)
async def test_attendance_bad_input_gets_the_usage_line_and_writes_nothing(
    harness: Harness, cast: Cast, arguments: str, fragment: str
) -> None:
    await recorded_clean_up(harness, cast)
    reply = await say(harness, cast, "captain", f"/attendance {arguments}")
    assert fragment in reply and "用法：/attendance" in reply
    _, people = await stored(harness, cast)
    assert people == []


async def test_attendance_add_is_refused_to_members(harness: Harness, cast: Cast) -> None:
    await recorded_clean_up(harness, cast)
    assert "只有本群管理员" in await say(harness, cast, "worker", "/attendance 1 add @zhang_gong")
    _, people = await stored(harness, cast)
    assert people == []


# --- registers and the report ---------------------------------------------------------------


async def test_the_hours_register_marks_recorded_attendance(harness: Harness, cast: Cast) -> None:
    await recorded_clean_up(harness, cast)
    await say(harness, cast, "captain", "/attendance 1 add @zhang_gong 3h")
    sent = await say(harness, cast, "secretary", "/export hours")
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][5] == "张工" and rows[1][9] == "补录（李队长）" and rows[1][10] == 3
    # entered later: no check-in time that would read as a real one, and no sign-up
    assert rows[1][6] == "未报名（补录）" and rows[1][7] in ("", None)


async def test_the_monthly_report_marks_recorded_attendance(harness: Harness, cast: Cast) -> None:
    await recorded_clean_up(harness, cast)
    await say(harness, cast, "captain", "/attendance 1 add @zhang_gong @chen_d")
    harness.clock.advance(timedelta(days=30))
    sent = await say(harness, cast, "captain", "/summary 2026-12")
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "活动 #1 洁城绿生活（补录）" in text
    assert "报名 2 人，签到 2 人（其中补录 2 人）" in text
    sent = await say(harness, cast, "captain", "/summary 2026-12 xlsx")
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    events = list(load_workbook(io.BytesIO(content))["活动"].iter_rows(values_only=True))
    assert events[0][6:9] == ("签到", "其中补录", "时长（小时）")
    assert events[1][5:9] == (2, 2, 2, 5.0)
