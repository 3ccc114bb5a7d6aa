"""/summary: the month's work report as a Word document (opened here with python-docx:
headings, the overview's numbers against what the month did, the issue table's rows in
road-and-stake order, the photos), its .xlsx appendix with charts, the empty month, bad
arguments, and the report the scheduler sends to the admins on the first working day."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from docx.document import Document
from docx.shared import Cm
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.schedule import report_due
from domain.workdays import PLAIN
from emulator.scenario import BotMessage, Chat, Person
from handlers.i18n import for_language
from handlers.summary.commands import parse_args
from handlers.summary.views import overview_text
from storage.models import EventSignup, Group, OutboxMessage, Photo
from storage.summary import Overview, overview
from storage.summary_events import event_page
from storage.summary_issues import issue_ids, issue_page
from storage.summary_topics import topic_page
from tests.conftest import Cast, Harness, local

SHANGHAI = ZoneInfo("Asia/Shanghai")


def jpeg(shade: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A real JPEG photo (one colour), larger than the report shows it."""
    data = io.BytesIO()
    Image.new("RGB", size, (shade, 120, 255 - shade)).save(data, "JPEG")
    return data.getvalue()


async def say(chat: Chat, person: Person, text: str, replies: int = 1) -> list[BotMessage]:
    """``person`` says ``text``; the bot's replies."""
    await chat.say(person, text)
    return [await chat.next_reply() for _ in range(replies)]


async def photo(chat: Chat, person: Person, caption: str, shade: int, replies: int = 1) -> None:
    """``person`` sends a photo with a command as its caption."""
    await chat.send_photo(person, caption, content=jpeg(shade))
    for _ in range(replies):
        await chat.next_reply()


async def december(harness: Harness, cast: Cast) -> None:
    """A month of the branch: a topic claimed, worked on, submitted and approved; three
    issues (one rectified and verified with before and after photos, one overdue); a
    volunteer event with a photo and 1.5 hours credited; a political birthday."""
    group = cast.group
    harness.clock.set(local("2026-12-03", "09:00"))
    await say(group, cast.captain, "/newtopic 中东桥加固 | 桥梁加固")
    await say(group, cast.worker, "/claim 1")
    await say(group, cast.worker, "/milestone 1 2026-12-10 完成检测")
    await say(group, cast.worker, "/milestone 1 done 1")
    await photo(group, cast.worker, "/progress 1 60% 检测完成", 10)
    await photo(group, cast.worker, "/done 1 加固完成，通过验收", 20, replies=1)
    await say(group, cast.captain, "/approve 1 很好")
    await photo(group, cast.worker, "/report S272 K93+520 坑槽 sev:3", 30)
    await say(group, cast.worker, "/report G325 K10+100 护栏损坏")
    await say(group, cast.worker, "/report S272 K90+000 标志牌倾斜")
    await say(group, cast.captain, "/assign 1 @zhang_gong 2026-12-05")
    await say(group, cast.captain, "/assign 2 @zhang_gong 2026-12-08")
    harness.clock.set(local("2026-12-04", "15:00"))
    await photo(group, cast.worker, "/fixed 1 已修补", 40)
    await say(group, cast.captain, "/verify 1")
    await say(group, cast.captain, "/newevent volunteer 2026-12-05 09:00-11:00 清扫路面 @ 明翠社区")
    await say(group, cast.worker, "/join 1")
    await say(group, cast.driver, "/join 1")
    db = harness.app.bot_data.db
    assert db is not None
    harness.clock.set(local("2026-12-05", "09:10"))
    await harness.world.settle()
    async with db.transaction() as session:  # the check-in itself is tested with events
        await session.execute(
            update(EventSignup)
            .where(EventSignup.user_id == cast.worker.id)
            .values(
                checked_in_at=local("2026-12-05", "09:10"),
                checked_out_at=local("2026-12-05", "10:40"),
                minutes=90,
                method="code",
            )
        )
    await photo(group, cast.captain, "/event 1", 50)
    private = cast.worker.private()
    await private.send("/profile joined 2010-12-20")
    await private.next_reply()
    await harness.idle()  # the photos are downloaded in the background


async def the_document(reply: BotMessage, harness: Harness) -> Document:
    assert "document" in reply.raw, reply.text
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    return docx.Document(io.BytesIO(content))


def headings(document: Document) -> list[str]:
    return [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]


def text_of(document: Document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


async def test_the_months_report_as_a_word_document(harness: Harness, cast: Cast) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    reply = (await say(cast.group, cast.captain, "/summary"))[0]  # last month by default
    assert reply.raw["document"]["file_name"] == "工作简报-2026-12.docx"
    document = await the_document(reply, harness)
    assert document.paragraphs[0].text == "养护一班 2026年12月工作简报"
    assert headings(document) == [
        "一、概况",
        "二、领题解题",
        "课题 #1 中东桥加固",
        "三、自查问题清单",
        "整改前后对比",
        "逾期未整改（1 个）",
        "四、组织生活与志愿服务",
        "活动 #1 清扫路面",
        "本月志愿服务时长排行",
        "五、政治生日",
    ]
    body = text_of(document)
    overview = document.paragraphs[3].text
    assert "认领课题 1 个，提交成果 1 个，审核通过 1 个" in overview
    assert "自查发现问题 3 个，整改 1 个，验收销号 1 个" in overview
    assert "月底前已整改 1 个，整改率 33%" in overview
    assert "志愿服务 1 次、签到 1 人次" in overview
    assert "志愿服务时长共 1.5 小时（1 人）" in overview
    assert "认领人：张工" in body and "本月完成的节点：2026-12-10 完成检测" in body
    assert "成果：加固完成，通过验收" in body
    assert "#2 G325 K10+100 护栏损坏，整改期限 2026-12-08，责任人：张工" in body
    assert "12月20日 张工（2010-12-20 入党），入党 16 周年" in body
    issues = document.tables[1]
    rows = [[c.text for c in row.cells] for row in issues.rows]
    assert rows[0][:3] == ["编号", "路线桩号", "类别"]
    assert [r[:2] for r in rows[1:]] == [
        ["#2", "G325 K10+100"],
        ["#3", "S272 K90+000"],
        ["#1", "S272 K93+520"],
    ]
    assert rows[3][4:] == ["张工", "张工", "1", "已验收"]
    # every cell in the table's own paragraph style (compact, set per cell)
    styles = {cell.paragraphs[0].style.name for row in issues.rows for cell in row.cells}
    assert styles == {"Table Text"}
    assert len(document.inline_shapes) == 4  # result, before and after, the event's photo
    assert all(shape.width <= Cm(15) for shape in document.inline_shapes)  # within the page
    assert "第" in document.sections[0].footer.paragraphs[0].text
    assert 'w:instr="PAGE"' in document.sections[0].footer._element.xml


async def test_a_month_with_nothing_in_it_is_a_short_valid_document(
    harness: Harness, cast: Cast
) -> None:
    reply = (await say(cast.group, cast.captain, "/summary 2025-03"))[0]
    document = await the_document(reply, harness)
    assert headings(document) == ["一、概况"]
    assert "2025年3月，群内没有领题、自查问题、活动等记录。" in text_of(document)
    assert len(document.paragraphs) <= 5 and not document.tables


async def test_the_appendix_has_a_sheet_per_section_and_native_charts(
    harness: Harness, cast: Cast
) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    reply = (await say(cast.group, cast.captain, "/summary 2026-12 xlsx"))[0]
    assert reply.raw["document"]["file_name"] == "工作简报-2026-12.xlsx"
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "概况",
        "领题解题",
        "自查问题清单",
        "每周问题",
        "活动",
        "本月志愿服务时长排行",
        "政治生日",
    ]
    overview = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["发现问题"] == 3 and overview["验收销号"] == 1
    assert overview["本月问题整改率"] == 0.33 and overview["志愿服务时长（小时）"] == 1.5
    rate = next(r[1] for r in book["概况"].iter_rows(min_row=2) if r[0].value == "本月问题整改率")
    assert rate.number_format == "0%"  # a number, shown as 33%
    issues = list(book["自查问题清单"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in issues[:3]] == [2, 3, 1]  # numbers Excel sorts as numbers
    weekly, hours = book["每周问题"], book["本月志愿服务时长排行"]
    assert isinstance(weekly, Worksheet) and isinstance(hours, Worksheet)
    weeks = list(weekly.iter_rows(min_row=2, values_only=True))
    assert weeks[0][0] == datetime(2026, 11, 30)  # a date Excel sorts and filters
    assert sum(int(str(w[1])) for w in weeks) == 3
    assert sum(int(str(w[2])) for w in weeks) == 1
    assert len(weekly._charts) == 1  # type: ignore[attr-defined]  # drawn by Excel
    assert len(hours._charts) == 1  # type: ignore[attr-defined]
    week_chart, hour_chart = weekly._charts[0], hours._charts[0]  # type: ignore[attr-defined]
    # bars are compared by their length: both value axes start at 0; issues are counted
    # in whole numbers; the axes say what they show, in the group's language
    assert week_chart.y_axis.scaling.min == 0 and hour_chart.y_axis.scaling.min == 0
    most = max(max(int(str(w[1])), int(str(w[2]))) for w in weeks)
    assert week_chart.y_axis.majorUnit == 1 and week_chart.y_axis.scaling.max == most
    assert week_chart.x_axis.title is not None and hour_chart.x_axis.title is not None
    assert list(hours.iter_rows(min_row=2, values_only=True)) == [("张工", 1.5)]


async def test_text_that_looks_like_a_formula_stays_text_in_the_appendix(
    harness: Harness, cast: Cast
) -> None:
    await say(cast.group, cast.captain, '/newtopic =HYPERLINK("http://x","点我")')
    await say(cast.group, cast.worker, "/claim 1")
    reply = (
        await say(
            cast.group,
            cast.captain,
            f"/summary {harness.clock.now().astimezone(SHANGHAI):%Y-%m} xlsx",
        )
    )[0]
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    sheet = load_workbook(io.BytesIO(content))["领题解题"]
    assert sheet.cell(row=2, column=2).value == '=HYPERLINK("http://x","点我")'
    assert sheet.cell(row=2, column=2).data_type == "s"


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param("2026-13", id="no-such-month"),
        pytest.param("2026-00", id="month-zero"),
        pytest.param("1999-12", id="before-2000"),
        pytest.param("2099-01", id="in-the-future"),
        pytest.param("99999999999999999999-01", id="huge-year"),
        pytest.param("2026-11 2026-10", id="two-months"),
        pytest.param("pdf", id="unknown-format"),
        pytest.param("2026-11 xlsx xlsx", id="format-twice"),
        pytest.param("上个月", id="words"),
    ],
)
async def test_bad_arguments_get_the_usage_line_and_no_file(
    harness: Harness, cast: Cast, arguments: str
) -> None:
    reply = (await say(cast.group, cast.captain, f"/summary {arguments}"))[0]
    assert "/summary [YYYY-MM] [xlsx]" in reply.text and "document" not in reply.raw


def test_the_default_is_last_month_in_the_groups_time_zone() -> None:
    # 2027-01-01 00:30 in Shanghai is still 2026-12-31 in UTC
    now = datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC"))
    month, kind = parse_args([], now, "Asia/Shanghai")
    assert (month.year, month.month, kind) == (2026, 12, "docx")
    month, kind = parse_args([], now, "UTC")
    assert (month.year, month.month) == (2026, 11)
    month, kind = parse_args(["２０２６－１１"], now, "UTC")  # typed with a Chinese IME
    assert month.label == "2026-11"
    month, kind = parse_args(["XLSX", "2026-1"], now, "UTC")
    assert (month.label, kind) == ("2026-01", "xlsx")
    assert month.start == datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))


def test_a_months_bounds_are_local_midnights() -> None:
    month = Month(2026, 12, "Asia/Shanghai")
    assert month.start == local("2026-12-01", "00:00") and month.end == local("2027-01-01", "00:00")


async def test_a_photo_whose_file_is_missing_leaves_a_note(harness: Harness, cast: Cast) -> None:
    await december(harness, cast)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        paths = list(await session.scalars(select(Photo.local_path)))
    assert len(paths) == 5 and all(paths)
    for path in paths[:2]:  # the progress photo (not in the report) and the result photo
        assert path is not None
        Path(path).unlink()
    Path(paths[2] or "").write_bytes(b"not a photo")  # the "before" photo is broken
    harness.clock.set(local("2027-01-04", "09:00"))
    document = await the_document((await say(cast.group, cast.captain, "/summary"))[0], harness)
    assert len(document.inline_shapes) == 2  # the after photo and the event's
    notes = [p.text for p in document.paragraphs if "照片未能取得" in p.text]
    notes += [
        c.text
        for t in document.tables
        for row in t.rows
        for c in row.cells
        if "照片未能取得" in c.text
    ]
    assert len(notes) == 2


async def test_members_are_refused_and_another_group_sees_nothing_of_this_one(
    harness: Harness, cast: Cast
) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    assert "管理员" in (await say(cast.group, cast.worker, "/summary"))[0].text
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.secretary,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    document = await the_document((await say(other, cast.driver, "/summary 2026-12"))[0], harness)
    assert headings(document) == ["1. Overview"] or headings(document) == ["一、概况"]
    assert "中东桥" not in text_of(document) and "S272" not in text_of(document)


async def test_in_private_an_admin_picks_the_group_and_gets_the_file_there(
    harness: Harness, cast: Cast
) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    private = cast.captain.private()
    await private.send("/summary 2026-12")
    reply = await private.next_reply()
    document = await the_document(reply, harness)
    assert "中东桥加固" in "\n".join(headings(document))


async def test_last_months_report_goes_to_the_admins_on_the_first_working_day_once(
    harness: Harness, cast: Cast
) -> None:
    await say(cast.group, cast.captain, "/report S272 K93+520 坑槽")  # November's one issue
    captain = cast.captain.private()
    await captain.send("/start")
    await captain.next_reply()
    harness.clock.set(local("2026-11-30", "08:00"))  # a Monday, but not in December
    await harness.sweep()
    assert "工作简报" not in (await cast.group.next_reply()).text
    harness.clock.set(local("2026-12-01", "08:00"))  # Tuesday: December's first working day
    await harness.sweep()
    briefing = await cast.group.next_reply()
    assert "2026年11月工作简报已私信发给 1 位管理员" in briefing.text
    assert "王书记 还没有私聊过机器人" in briefing.text  # the creator never pressed Start
    sent = await captain.next_reply(timeout=20)
    assert sent.raw["document"]["file_name"] == "工作简报-2026-11.docx"
    assert "2026年11月工作简报" in sent.raw["caption"]
    document = await the_document(sent, harness)
    assert "自查发现问题 1 个" in text_of(document)
    harness.clock.set(local("2026-12-02", "08:00"))
    await harness.sweep()
    assert "工作简报" not in (await cast.group.next_reply()).text
    await harness.restart()
    await harness.sweep()
    await captain.expect_silence()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.document.is_not(None)))
        )
    assert [(r.chat_id, r.document, r.sent_at is not None) for r in rows] == [
        (cast.captain.id, "summary:2026-11", True)
    ]


@pytest.mark.parametrize(("made_at", "remade"), [("07:55", False), ("07:30", True)])
async def test_a_report_file_made_minutes_before_is_sent_again_on_the_bots_clock(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch, made_at: str, remade: bool
) -> None:
    """The file /summary made is reused by the monthly delivery when it is less than ten
    minutes old on the application's clock (the test's, not the machine's)."""
    from handlers.summary.commands import make

    captain = cast.captain.private()
    await captain.send("/start")
    await captain.next_reply()
    harness.clock.set(local("2026-12-01", made_at))
    await captain.send("/summary")
    assert (await captain.next_reply()).raw["document"]["file_name"] == "工作简报-2026-11.docx"
    calls: list[str] = []

    async def counted(*args: Any) -> Any:
        calls.append("made")
        return await make(*args)

    monkeypatch.setattr("handlers.summary.monthly.make", counted)
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()  # the briefing
    sent = await captain.next_reply(timeout=20)
    assert sent.raw["document"]["file_name"] == "工作简报-2026-11.docx"
    assert calls == (["made"] if remade else [])


@pytest.mark.parametrize(
    ("today", "due"),
    [
        pytest.param("2026-10-01", None, id="national-day"),
        pytest.param("2026-10-07", None, id="last-day-of-the-holiday"),
        pytest.param("2026-10-08", "2026-09", id="first-working-day-after-national-day"),
        pytest.param("2026-10-14", "2026-09", id="made-up-within-a-week"),
        pytest.param("2026-10-15", None, id="not-after-a-week"),
        pytest.param("2026-12-01", "2026-11", id="a-tuesday"),
    ],
)
def test_the_report_is_due_on_the_first_working_day(today: str, due: str | None) -> None:
    arrived = local("2026-01-01", "08:00")
    found = report_due(date.fromisoformat(today), arrived, "Asia/Shanghai", PLAIN)
    assert (found.label if found else None) == due


async def test_a_report_that_cannot_be_made_is_retried_and_kept_for_the_admins(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    captain = cast.captain.private()
    await captain.send("/start")
    await captain.next_reply()
    calls: list[str] = []

    async def broken(*args: object) -> None:
        calls.append("made")
        raise RuntimeError("disk full")

    monkeypatch.setattr("handlers.summary.monthly.make", broken)
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()  # the briefing
    await captain.expect_silence()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        row = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.document.is_not(None)))
        ).one()
    assert (
        row.sent_at is None and row.failed_at is None and "could not be made" in (row.error or "")
    )
    assert calls == ["made"]


async def test_past_the_table_and_photo_limits_the_document_says_what_it_left_out(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handlers.summary.make.TABLE_ROWS", 2)
    monkeypatch.setattr("handlers.summary.document.MAX_PICTURES", 1)
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    document = await the_document((await say(cast.group, cast.captain, "/summary"))[0], harness)
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert [r[0] for r in rows[1:]] == ["#2", "#3"]
    body = text_of(document)
    assert "另有 1 个问题未列入本表，完整清单见附表（/summary 2026-12 xlsx）" in body
    assert len(document.inline_shapes) == 1  # the result photo; the rest left out, and said
    assert "另有 3 张照片未放入本文档" in body


async def test_an_english_group_gets_an_english_report(harness: Harness, cast: Cast) -> None:
    await say(cast.group, cast.captain, "/settings lang en")
    await say(cast.group, cast.worker, "/report S272 K93+520 pothole")
    month = harness.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
    reply = (await say(cast.group, cast.captain, f"/summary {month}"))[0]
    assert reply.raw["document"]["file_name"] == f"work-report-{month}.docx"
    document = await the_document(reply, harness)
    assert document.paragraphs[0].text == f"养护一班 — work report for {month}"
    assert headings(document) == ["1. Overview", "2. Field inspection issues"]
    assert "1 inspection issues reported" in text_of(document)


async def test_a_group_title_with_markup_is_shown_as_text(harness: Harness, cast: Cast) -> None:
    cast.group.chat.title = "<b>一班</b> & 二班"
    await say(cast.group, cast.worker, "/report S272 K93+520 坑槽")
    month = harness.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
    reply = (await say(cast.group, cast.captain, f"/summary {month}"))[0]
    assert "<b>一班</b> & 二班" in reply.raw["caption"]
    document = await the_document(reply, harness)
    assert document.paragraphs[0].text.startswith("<b>一班</b> & 二班 ")


@asynccontextmanager
async def the_group(harness: Harness) -> AsyncIterator[tuple[AsyncSession, int]]:
    """A read of the database, and the id of the cast's group (the only one)."""
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        group_id = (await session.scalars(select(Group.id))).first()
        assert group_id is not None
        yield session, group_id


async def test_the_overview_counts_what_the_topic_section_lists(
    harness: Harness, cast: Cast
) -> None:
    """Claimed and given up, claimed and kept, submitted and sent back, submitted and
    approved, never claimed: each overview figure equals the section's rows."""
    group = cast.group
    harness.clock.set(local("2026-12-03", "09:00"))
    for title in ("甲课题", "乙课题", "丙课题", "丁课题", "戊课题"):
        await say(group, cast.captain, f"/newtopic {title}")
    for number in (1, 2, 3, 4):
        await say(group, cast.worker, f"/claim {number}")
    await say(group, cast.worker, "/release 1")  # given up: the section lists it as open
    await say(group, cast.worker, "/done 3 成果说明")
    await say(group, cast.captain, "/reject 3 还需补充材料")  # sent back: in progress again
    await say(group, cast.worker, "/done 4 成果说明")
    await say(group, cast.captain, "/approve 4")
    await harness.idle()
    month = Month(2026, 12, "Asia/Shanghai")
    async with the_group(harness) as (session, group_id):
        numbers = await overview(session, group_id, month, harness.clock.now())
        listed = await topic_page(session, group_id, month, 0)
    assert len(listed) == 5
    assert numbers.topics_claimed == sum(1 for e in listed if e.claimants) == 3  # 乙 丙 丁
    assert numbers.topics_submitted == sum(1 for e in listed if e.finished) == 1  # 丁
    assert numbers.topics_approved == 1


async def test_the_overview_counts_what_the_issue_section_lists(
    harness: Harness, cast: Cast
) -> None:
    """A duplicate, an issue fixed and reopened, one fixed and verified, one untouched:
    each issue figure of the overview equals the section's rows (duplicates apart)."""
    group = cast.group
    harness.clock.set(local("2026-12-03", "09:00"))
    for text in (
        "S272 K1+000 坑槽",
        "S272 K1+000 坑槽 同一处",
        "G325 K2+000 护栏",
        "X123 K3+000 标志",
    ):
        await say(group, cast.worker, f"/report {text}")
    await say(group, cast.captain, "/verify 2 重复:1")
    await photo(group, cast.worker, "/fixed 3 已修", 50)
    await say(group, cast.captain, "/reopen 3 没修好")
    await photo(group, cast.worker, "/fixed 4 已修", 60)
    await say(group, cast.captain, "/verify 4")
    await harness.idle()
    month = Month(2026, 12, "Asia/Shanghai")
    async with the_group(harness) as (session, group_id):
        numbers = await overview(session, group_id, month, harness.clock.now())
        listed = [
            d.issue for d in await issue_page(session, await issue_ids(session, group_id, month))
        ]
    assert sorted(i.number for i in listed) == [1, 3, 4]  # the duplicate apart
    assert numbers.issues_reported == sum(1 for i in listed if month.start <= i.created_at) == 3
    assert numbers.issues_fixed == sum(1 for i in listed if i.fixed_at is not None) == 1  # #4
    assert numbers.issues_verified == sum(1 for i in listed if i.verified_at is not None) == 1
    assert numbers.duplicates == 1


async def test_the_overview_counts_what_the_event_section_lists(
    harness: Harness, cast: Cast
) -> None:
    """Events held, people present and volunteer hours in the overview equal the event
    section's rows (an event still to come is in neither)."""
    await december(harness, cast)
    await say(cast.group, cast.captain, "/newevent meeting 2026-12-20 19:00 支部大会 @ 会议室")
    harness.clock.set(local("2026-12-10", "09:00"))
    month = Month(2026, 12, "Asia/Shanghai")
    async with the_group(harness) as (session, group_id):
        numbers = await overview(session, group_id, month, harness.clock.now())
        listed = await event_page(session, group_id, month, harness.clock.now(), None)
    assert sum(n for n, _ in numbers.events_by_kind.values()) == len(listed) == 1
    assert sum(p for _, p in numbers.events_by_kind.values()) == sum(e.attended for e in listed)
    volunteer = [e for e in listed if e.event.kind == "volunteer"]
    assert numbers.volunteer_minutes == sum(e.minutes for e in volunteer) == 90


def test_the_overview_hours_are_the_leaderboard_rows_added_up() -> None:
    numbers = Overview(volunteer_minutes=4 * 147, volunteers=4, volunteer_rows=[147] * 4)
    text = overview_text(for_language("zh"), Month(2026, 12, "Asia/Shanghai"), numbers)
    assert "志愿服务时长共 10.0 小时（4 人）" in text  # four rows of 2.5; not the minutes' 9.8


async def test_a_report_asked_just_before_the_upgrade_reaches_the_supergroup(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group becomes a supergroup while its report is made: the file goes to the
    supergroup, and nothing says it was sent before it was."""
    from handlers.summary import commands

    gate, original = asyncio.Event(), commands.make

    async def held(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()  # the report is still being made when the group moves
        return await original(*args, **kwargs)

    monkeypatch.setattr(commands, "make", held)
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    harness.app.bot_data.options.notice_after = timedelta(0)
    await cast.group.say(cast.captain, "/summary 2026-12")
    assert "⏳" in await cast.group.next_reply()
    supergroup = await cast.group.migrate(by=cast.secretary)
    await harness.world.settle()
    gate.set()
    await harness.idle()
    report = await supergroup.next_reply()
    assert report.raw["document"]["file_name"] == "工作简报-2026-12.docx"
    sent = [m for cid, m in harness.emulator.bot_output() if "document" in m]
    assert [m["chat"]["id"] for m in sent] == [supergroup.id]
    said = [m.get("text", "") for _, m in harness.emulator.bot_output()]
    assert not any("已完成：/summary" in text for text in said)
