"""/summary attacked as a hostile member would: other groups' data, forged picks, bad
months, hostile text in every field, big months, concurrency and redelivery, broken photo
files, and the first-working-day delivery (stale admins, restarts, far time zones)."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from docx.document import Document
from docx.shared import Cm
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from domain.schedule import report_due
from domain.workdays import PLAIN
from emulator.scenario import BotMessage, Chat, GroupChat, Person
from handlers.context import Ctx
from handlers.schedule.sweep import run_sweep
from handlers.summary.commands import Reports
from storage.models import Photo
from tests.conftest import Cast, Harness, local, second_application, wait_idle
from tests.test_summary import december, headings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def doc_of(reply: BotMessage, harness: Harness) -> Document:
    assert "document" in reply.raw, reply.text
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    return docx.Document(io.BytesIO(content))


def all_text(document: Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for t in document.tables:
        for row in t.rows:
            for c in row.cells:
                parts.append(c.text)
    return "\n".join(parts)


def book_of(reply: BotMessage, harness: Harness) -> Workbook:
    assert "document" in reply.raw, reply.text
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    return load_workbook(io.BytesIO(content))


def book_text(book: Workbook) -> str:
    out: list[str] = []
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.extend(str(v) for v in row if v is not None)
    return "\n".join(out)


async def two_groups(harness: Harness, cast: Cast) -> GroupChat:
    """B: driver is creator, captain is a plain member; A has December's data."""
    await december(harness, cast)
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.captain,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await other.say(cast.captain, "大家好")
    await harness.world.settle()
    harness.clock.set(local("2027-01-04", "09:00"))
    return other


async def test_private_pick_of_a_group_where_not_admin_is_refused(
    harness: Harness, cast: Cast
) -> None:
    other = await two_groups(harness, cast)
    private = cast.captain.private()
    await private.send("/summary 2026-12")
    pick = await private.next_reply()
    assert "document" not in pick.raw
    await private.press(cast.captain, pick, "养护二班")
    reply = await private.next_reply()
    assert "document" not in reply.raw, "a member got group B's report"
    assert "管理员" in reply.text
    await private.expect_silence()
    await other.expect_silence()


async def test_forged_pick_of_a_group_person_is_not_in(harness: Harness, cast: Cast) -> None:
    await two_groups(harness, cast)
    # the worker (member of A only, not admin) and the captain (admin of A)
    private = cast.captain.private()
    await private.send("/summary 2026-12")
    pick = await private.next_reply()
    data = next(b.callback_data for b in pick.buttons if b.text == "养护一班")
    assert data is not None
    # the driver, admin of B and a plain member of A, gets a pick of his own and forges
    # the captain's pick of A into it
    dpriv = cast.driver.private()
    await dpriv.send("/summary 2026-12")
    dpick = await dpriv.next_reply()
    answer = await dpriv.press_data(cast.driver, dpick, data)
    assert "expired" in answer["text"]  # not his pick: refused, nothing made
    await harness.idle()
    await dpriv.expect_silence()
    await private.press(cast.captain, pick, "养护一班")
    assert "document" in (await private.next_reply()).raw


async def test_member_gets_no_report_by_any_path(harness: Harness, cast: Cast) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    group = cast.group
    for text in (
        "/summary",
        "/summary@vanguard_bot",
        "/summary@vanguard_bot 2026-12 xlsx",
        "/summary 2026-12",
        "/SUMMARY 2026-12",
    ):
        await group.say(cast.worker, text)
        r = await group.next_reply()
        assert "document" not in r.raw, text
    private = cast.worker.private()
    await private.send("/summary 2026-12")
    r = await private.next_reply()
    assert "document" not in r.raw and "管理员" in r.text
    await private.send("/summary 2026-12 xlsx")
    r = await private.next_reply()
    assert "document" not in r.raw
    await group.expect_silence()


async def test_summary_for_another_bot_is_not_answered_with_a_file(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/summary@otherbot 2026-10")
    await harness.idle()
    await cast.group.expect_silence()


async def test_group_b_report_has_nothing_of_group_a(harness: Harness, cast: Cast) -> None:
    other = await two_groups(harness, cast)
    for fmt in ("", " xlsx"):
        await other.say(cast.driver, f"/summary 2026-12{fmt}")
        reply = await other.next_reply()
        if fmt:
            text = book_text(book_of(reply, harness))
        else:
            d = doc_of(reply, harness)
            text = all_text(d)
            assert len(d.inline_shapes) == 0
            assert len(d.tables) == 0, [[c.text for c in r.cells] for t in d.tables for r in t.rows]
        for leak in (
            "中东桥",
            "S272",
            "G325",
            "清扫路面",
            "明翠社区",
            "张工",
            "2010-12-20",
            "加固",
            "1.5",
        ):
            assert leak not in text, (fmt, leak, text)
    await other.expect_silence()


BAD = [
    "9999-12",
    "0000-01",
    "2026-99999999999999999999",
    "-2026-01",
    "2026--01",
    "2026-0",
    "2026-001",
    "2026-11-01",
    "2026/11",
    "202611",
    "26-11",
    "2026-11 xlsx extra",
    "xlsx 2026-11 xlsx",
    "2026-1 1",
    "2026-11\u200b",
    "\u200b2026-11",
    "٢٠٢٦-١١",
    "2026-11 " + " ".join(["x"] * 50),
    " ".join(["2026-11"] * 50),
    "2026-11; DROP TABLE groups",
    "%s",
    "{month}",
    "2026-11" * 500,
    "1e3-01",
    "+2026-11",
    "2026-+1",
    "2026-11.0",
    "0x7ea-11",
    "2026-11 XLSX2",
    "xls",
    "2026-12-",
    "2027-01",
    "2026-12",
]


@pytest.mark.parametrize("arguments", BAD)
async def test_bad_input_gets_usage_and_no_file(
    harness: Harness, cast: Cast, arguments: str
) -> None:
    # 2026-11-29 12:00 Shanghai: 2026-12 and 2027-01 are in the future
    harness.clock.set(local("2026-11-29", "12:00"))
    await cast.group.say(cast.captain, f"/summary {arguments}")
    reply = await cast.group.next_reply()
    assert "document" not in reply.raw, arguments
    assert "/summary [YYYY-MM] [xlsx]" in reply.text, (arguments, reply.text)
    await cast.group.expect_silence()


NASTY = (
    "\x01\x02\x03\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\ufffe\uffff"
    "\u202e\u200f\u200b\u2066\ufeff<b>粗</b>&amp;<script>x</script>🚧👨‍👩‍👧"
)


def check_xlsx_formula_text(book: Workbook) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)


async def hostile_month(harness: Harness, cast: Cast) -> None:
    group = cast.group
    harness.clock.set(local("2026-11-02", "09:00"))
    weird = harness.world.person(
        "=1+2" + NASTY[:20], last_name="@SUM(A1)\u202e", username="weird_one"
    )
    await group.join(weird)
    await harness.idle()
    harness.emulator.mark_all_read()
    long_title = "桥" * 140 + NASTY
    long_desc = ("描述" + NASTY) * 18
    replies = []
    for person, text in [
        (cast.captain, f"/newtopic {long_title} | {long_desc}"),
        (cast.captain, '/newtopic =HYPERLINK("http://evil","x") | +cmd|\' /C calc\'!A0'),
        (cast.captain, "/newtopic -2+3 | @SUM(1,2)"),
        (weird, "/claim 1"),
        (weird, "/claim 2"),
        (weird, "/progress 1 50% " + NASTY * 10),
        (weird, "/done 2 =1+1 " + NASTY),
        (weird, "/report S272 K1+000 " + ("坑" + NASTY) * 18 + " cat:other sev:3"),
        (weird, "/report =cmd|' /C calc'!A0 " + NASTY),
        (weird, "/report G325 K2+000 +1-1 @x"),
        (
            cast.captain,
            "/newevent volunteer 2026-11-05 09:00-11:00 =SUM(1) "
            + NASTY
            + " @ "
            + ("地点" + NASTY) * 3,
        ),
    ]:
        await group.say(person, text)
        replies.append((text[:40], (await group.next_reply()).text[:120]))
    await group.say(weird, "/join 1")
    await group.next_reply()
    private = weird.private()
    await private.send("/profile name =A1<b>粗</b>\u202e\u200b🚧")
    await private.next_reply()
    await private.send("/profile joined 2001-11-15")
    await private.next_reply()
    await harness.idle()
    harness.emulator.mark_all_read()
    harness.clock.set(local("2026-11-29", "12:00"))


async def test_hostile_text_in_the_docx(harness: Harness, cast: Cast) -> None:
    await hostile_month(harness, cast)
    await cast.group.say(cast.captain, "/summary 2026-11")
    reply = await cast.group.next_reply(timeout=30)
    d = doc_of(reply, harness)
    text = all_text(d)
    assert "桥" * 50 in text
    assert "<b>粗</b>" in text or "粗" in text
    assert "&amp;amp;" not in text and "&lt;b&gt;" not in text, "HTML escaped twice in the docx"
    await cast.group.expect_silence()


async def test_hostile_text_in_the_xlsx(harness: Harness, cast: Cast) -> None:
    await hostile_month(harness, cast)
    await cast.group.say(cast.captain, "/summary 2026-11 xlsx")
    reply = await cast.group.next_reply(timeout=30)
    book = book_of(reply, harness)
    check_xlsx_formula_text(book)
    text = book_text(book)
    assert "HYPERLINK" in text and "&amp;amp;" not in text and "&lt;b&gt;" not in text
    await cast.group.expect_silence()


RAW = "\x01\x02\x07\x08\x0b\x0c\x1b\x1f\x7f\ufffe\uffff\ud7ff\U0010ffff" + "<b>&</b>"


async def poison_rows(harness: Harness) -> None:
    """Control characters written straight into the rows (old data, another path in)."""
    from sqlalchemy import update as upd

    from storage.models import Event, Issue, Member, Milestone, Topic

    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        await session.execute(
            upd(Topic).values(title="=T" + RAW, description=("说明" + RAW) * 200, result="=R" + RAW)
        )
        await session.execute(
            upd(Issue).values(description="=D" + RAW * 100, category="x" + RAW[:3])
        )
        await session.execute(upd(Event).values(title="=E" + RAW, place="@P" + RAW))
        await session.execute(upd(Milestone).values(text="M" + RAW))
        await session.execute(upd(Member).values(real_name="-N" + RAW, first_name="+F" + RAW))


@pytest.mark.parametrize("fmt", ["", " xlsx"])
async def test_control_characters_in_the_rows_do_not_break_the_files(
    harness: Harness, cast: Cast, fmt: str
) -> None:
    await hostile_month(harness, cast)
    await cast.group.say(cast.worker, "/milestone 1 2026-11-20 节点")
    await cast.group.next_reply()
    await poison_rows(harness)
    await cast.group.say(cast.captain, f"/summary 2026-11{fmt}")
    reply = await cast.group.next_reply(timeout=30)
    if fmt:
        book = book_of(reply, harness)
        check_xlsx_formula_text(book)
        assert "=T" in book_text(book)
    else:
        d = doc_of(reply, harness)
        assert "=T" in all_text(d)
    await cast.group.expect_silence()


CJK = __import__("re").compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("fmt", ["", " xlsx"])
async def test_english_group_gets_an_english_document(
    harness: Harness, cast: Cast, fmt: str
) -> None:
    await cast.group.say(cast.captain, "/settings lang en")
    await cast.group.next_reply()
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    await cast.group.say(cast.captain, f"/summary 2026-12{fmt}")
    reply = await cast.group.next_reply()
    name = reply.raw["document"]["file_name"]
    assert not CJK.search(name), name
    assert not CJK.search(reply.raw.get("caption", "").replace("养护一班", "")), reply.raw[
        "caption"
    ]
    if fmt:
        book = book_of(reply, harness)
        assert not any(CJK.search(n) for n in book.sheetnames), book.sheetnames
        for ws in book.worksheets:
            header = [c.value for c in ws[1]]
            assert not any(isinstance(v, str) and CJK.search(v) for v in header), (ws.title, header)
    else:
        d = doc_of(reply, harness)
        title = d.paragraphs[0].text
        assert "December 2026" in title or "2026-12" in title, title
        hs = headings(d)
        bad = [h for h in hs if CJK.search(h.replace("中东桥加固", "").replace("清扫路面", ""))]
        assert not bad, hs
        rows = [[c.text for c in r.cells] for t in d.tables for r in t.rows]
        header = rows[0] if rows else []
        assert not any(CJK.search(h) for h in header), header
        # the body's own words (not the data) are English
        body = all_text(d)
        for data in (
            "中东桥加固",
            "桥梁加固",
            "养护一班",
            "张工",
            "李队长",
            "王书记",
            "清扫路面",
            "明翠社区",
            "坑槽",
            "护栏损坏",
            "标志牌倾斜",
            "加固完成，通过验收",
            "很好",
            "完成检测",
            "检测完成",
            "已修补",
        ):
            body = body.replace(data, "")
        leftover = sorted(set(CJK.findall(body)))
        assert not leftover, (leftover, body[:2000])
    await cast.group.expect_silence()


async def seed_many(
    harness: Harness, cast: Cast, count: int, when: datetime
) -> list[tuple[Any, ...]]:
    import random

    from sqlalchemy import insert

    from storage.groups import get_group
    from storage.models import Issue

    rnd = random.Random(7)
    db = harness.app.bot_data.db
    assert db is not None
    expected = []
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        rows = []
        for n in range(1, count + 1):
            road = rnd.choice(["S272", "G325", "X123", "Y004", None])
            stake = rnd.randrange(0, 500_000) if road else None
            rows.append(
                {
                    "group_id": group.id,
                    "number": n,
                    "road": road,
                    "stake_from": stake,
                    "stake_to": stake,
                    "category": "guardrail",
                    "severity": 2,
                    "description": f"坑槽 {n}",
                    "status": "open",
                    "reporter_id": cast.worker.id,
                    "chat_id": cast.group.id,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            expected.append((road is None, road or "", stake or 0, n))
        await session.execute(insert(Issue), rows)
    expected.sort()
    return expected


async def replies_until_document(
    chat: Chat, timeout: float = 120
) -> tuple[list[BotMessage], BotMessage]:
    notes: list[BotMessage] = []
    while True:
        m = await chat.next_reply(timeout=timeout)
        if "document" in m.raw:
            return notes, m
        notes.append(m)


async def test_three_thousand_issues_all_listed_in_order_while_others_are_answered(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    expected = await seed_many(harness, cast, 3000, local("2026-11-10", "10:00"))
    other = harness.world.group("养护三班", creator=cast.driver)
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await cast.group.say(cast.captain, "/summary 2026-11")
    await being_made(harness, cast.group)
    await other.say(cast.driver, "/help")  # answered while the report is made
    help_reply = await other.next_reply(timeout=60)
    _notes, reply = await replies_until_document(cast.group)
    assert help_reply.message_id and "/members" in help_reply.text
    assert sent_order(harness, help_reply) < sent_order(harness, reply)
    d = doc_of(reply, harness)
    table = next(t for t in d.tables if t.rows[0].cells[0].text == "编号")
    numbers = [r.cells[0].text for r in table.rows[1:]]
    assert len(numbers) == 3000, len(numbers)
    assert numbers == [f"#{e[3]}" for e in expected], (numbers[:10], expected[:10])
    await cast.group.say(cast.captain, "/summary 2026-11 xlsx")
    _notes, reply = await replies_until_document(cast.group)
    book = book_of(reply, harness)
    rows = list(book["自查问题清单"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [e[3] for e in expected]
    await other.expect_silence()


def documents_in(harness: Harness, chat_id: int) -> list[dict[str, Any]]:
    return [m for cid, m in harness.emulator.bot_output() if cid == chat_id and "document" in m]


async def being_made(harness: Harness, group: GroupChat) -> None:
    """Wait until the group's report is being made (its update may already have ended)."""
    made = harness.app.bot_data.state(Reports).running
    await harness.world.settle()
    for _ in range(6000):  # a ceiling: polls the bot's state, proves nothing by waiting
        if made:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the report was never being made")


def sent_order(harness: Harness, message: BotMessage) -> int:
    """Where ``message`` stands among everything the bot sent."""
    sent = [(cid, m["message_id"]) for cid, m in harness.emulator.bot_output()]
    return sent.index((message.raw["chat"]["id"], message.message_id))


async def test_two_at_once_in_one_group_give_one_file_and_a_being_made_reply(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.app.bot_data.options.notice_after = timedelta(0)
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    await seed_many(harness, cast, 300, local("2026-11-10", "10:00"))
    await cast.group.say(cast.captain, "/summary 2026-11")
    await cast.group.say(cast.secretary, "/summary 2026-11")
    working = await cast.group.next_reply()
    busy = await cast.group.next_reply()
    assert "正在生成 2026-11 的工作简报" in working.text
    assert "本群的工作简报正在生成" in busy.text
    assert "document" in (await cast.group.next_reply(timeout=120)).raw
    await cast.group.expect_silence()
    await harness.idle()
    await cast.group.expect_silence()  # one file, not two


async def test_same_month_other_format_while_one_is_being_made(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.app.bot_data.options.notice_after = timedelta(0)
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    await seed_many(harness, cast, 300, local("2026-11-10", "10:00"))
    await cast.group.say(cast.captain, "/summary 2026-11")
    await cast.group.say(cast.captain, "/summary 2026-11 xlsx")
    await cast.group.say(cast.captain, "/summary 2026-10")
    assert "正在生成 2026-11 的工作简报" in (await cast.group.next_reply()).text
    # the two asked for while it is made are told so, not left in silence
    for _ in range(2):
        assert "本群的工作简报正在生成" in (await cast.group.next_reply()).text
    document = await cast.group.next_reply(timeout=120)
    assert document.raw["document"]["file_name"].endswith("2026-11.docx")
    await harness.idle()
    await cast.group.expect_silence()


async def test_redelivered_summary_update_gives_one_file(harness: Harness, cast: Cast) -> None:
    harness.clock.set(local("2026-11-29", "12:00"))
    await cast.group.say(cast.captain, "/summary 2026-10")
    update = harness.emulator.emitted_updates[-1]
    first = await cast.group.next_reply()
    assert "document" in first.raw
    harness.emulator.redeliver(update)
    await harness.idle()
    await cast.group.expect_silence()


async def test_redelivered_while_it_is_being_made(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.app.bot_data.options.notice_after = timedelta(0)
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    await seed_many(harness, cast, 300, local("2026-11-10", "10:00"))
    await cast.group.say(cast.captain, "/summary 2026-11")
    update = harness.emulator.emitted_updates[-1]
    await harness.world.settle()
    harness.emulator.redeliver(update)
    await harness.idle()
    out = [m for cid, m in harness.emulator.bot_output() if cid == cast.group.id]
    harness.emulator.mark_all_read()
    assert len([m for m in out if "document" in m]) == 1, [m.get("text") for m in out]


async def test_restart_while_a_report_is_being_made(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.app.bot_data.options.notice_after = timedelta(0)
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    await seed_many(harness, cast, 3000, local("2026-11-10", "10:00"))
    await cast.group.say(cast.captain, "/summary 2026-11")
    await being_made(harness, cast.group)
    await harness.restart()
    await harness.idle()
    out = [m for cid, m in harness.emulator.bot_output() if cid == cast.group.id]
    harness.emulator.mark_all_read()
    texts = [m.get("text") or m.get("caption") for m in out]
    # the admin must not be left with "on its way" and nothing: a file or an apology
    assert len([m for m in out if "document" in m]) == 1, texts


async def test_five_groups_at_once(harness: Harness, cast: Cast) -> None:
    harness.clock.set(local("2026-11-29", "12:00"))
    groups: list[tuple[GroupChat, Person]] = [(cast.group, cast.captain)]
    for n in range(4):
        chief = harness.world.person(f"组长{n}")
        g = harness.world.group(f"养护{n + 5}班", creator=chief)
        await g.add_bot(by=chief)
        await g.next_reply()
        await g.say(chief, f"/report S272 K{n}+000 问题{n}")
        await g.next_reply()
        groups.append((g, chief))
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    await seed_many(harness, cast, 1500, local("2026-11-10", "10:00"))
    await cast.group.say(cast.captain, "/summary 2026-11")
    for g, chief in groups[1:]:
        await g.say(chief, "/summary 2026-11")
    for n, (g, _chief) in enumerate(groups[1:]):
        _notes, reply = await replies_until_document(g)
        text = all_text(doc_of(reply, harness))
        assert "坑槽" not in text
        for m in range(4):
            if m != n:
                assert f"K{m}+000" not in text, (n, m)
    _notes, reply = await replies_until_document(cast.group)
    assert len(doc_of(reply, harness).tables[0].rows) > 0


def png(size: tuple[int, int], mode: str = "1") -> bytes:
    from PIL import Image

    data = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else 128).save(data, "PNG")
    return data.getvalue()


async def photo_paths(harness: Harness) -> list[str]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        return [p for p in await session.scalars(select(Photo.local_path).order_by(Photo.id)) if p]


def notes_in(document: Document) -> list[str]:
    return [t for t in all_text(document).split("\n") if "照片未能取得" in t]


@pytest.mark.parametrize("case", ["zero", "huge_png", "truncated", "bomb", "directory", "svg"])
async def test_a_bad_photo_file_leaves_a_note_and_the_report_comes(
    harness: Harness, cast: Cast, case: str
) -> None:
    from tests.test_summary import jpeg

    await december(harness, cast)
    paths = await photo_paths(harness)
    assert len(paths) == 5
    before = Path(paths[2])  # the "before" photo of issue #1
    if case == "zero":
        before.write_bytes(b"")
    elif case == "huge_png":
        before.write_bytes(png((8000, 8000)))
    elif case == "truncated":
        before.write_bytes(jpeg(30)[:600])
    elif case == "bomb":
        before.write_bytes(png((20000, 20000)))
    elif case == "directory":
        before.unlink()
        before.mkdir()
    elif case == "svg":
        before.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    harness.clock.set(local("2027-01-04", "09:00"))
    await cast.group.say(cast.captain, "/summary 2026-12")
    _notes, reply = await replies_until_document(cast.group, timeout=60)
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    d = doc_of(reply, harness)
    from docx.shared import Cm

    assert all(s.width <= Cm(15) for s in d.inline_shapes)
    if case == "huge_png":
        # either shown (scaled, and not 8000 px of raw PNG blown into the file) or a note
        assert len(d.inline_shapes) == 4 or len(notes_in(d)) == 1
    else:
        assert len(d.inline_shapes) == 3, case
        assert len(notes_in(d)) == 1, notes_in(d)
    assert len(content) < 5_000_000, len(content)


async def started(person: Person) -> None:
    chat = person.private()
    await chat.send("/start")
    await chat.next_reply()


async def summary_docs_to(harness: Harness, chat_id: int) -> list[dict[str, Any]]:
    return [m for cid, m in harness.emulator.bot_output() if cid == chat_id and "document" in m]


async def test_an_admin_of_two_groups_gets_both_groups_reports(
    harness: Harness, cast: Cast
) -> None:
    other = harness.world.group("养护二班", creator=cast.secretary, admins=(cast.captain,))
    await other.add_bot(by=cast.secretary)
    await other.next_reply()
    await cast.group.say(cast.captain, "/report S272 K1+000 一班的问题")
    await cast.group.next_reply()
    await other.say(cast.captain, "/report G325 K2+000 二班的问题")
    await other.next_reply()
    await started(cast.captain)
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()
    await other.next_reply()
    await harness.idle()
    docs = await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    captions = [m.get("caption") for m in docs]
    assert len(docs) == 2, captions
    texts = [
        all_text(
            docx.Document(io.BytesIO(harness.emulator.files[m["document"]["file_id"]].content))
        )
        for m in docs
    ]
    assert any("一班的问题" in t or "S272" in t for t in texts)
    assert any("G325" in t for t in texts)


async def test_no_admin_pressed_start(harness: Harness, cast: Cast) -> None:
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    briefing = await cast.group.next_reply()
    assert ("王书记" in briefing.text and "李队长" in briefing.text) or "管理员都" in briefing.text
    assert not await summary_docs_to(harness, cast.captain.id)
    # the captain presses Start later: the month's report is not owed twice, he asks for it
    await started(cast.captain)
    harness.clock.set(local("2026-12-02", "08:00"))
    await harness.sweep()
    assert "工作简报" not in (await cast.group.next_reply()).text
    private = cast.captain.private()
    await private.expect_silence()
    await private.send("/summary 2026-11")
    reply = await private.next_reply()
    assert reply.raw["document"]["file_name"].endswith("2026-11.docx")


async def test_a_group_the_bot_left_sends_no_reports(harness: Harness, cast: Cast) -> None:
    await started(cast.captain)
    await cast.group.remove_bot(by=cast.secretary)
    await harness.world.settle()
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.expect_silence()
    await cast.captain.private().expect_silence()


async def test_four_sweeps_at_once_in_two_applications_send_one_report(
    harness: Harness, cast: Cast
) -> None:
    await started(cast.captain)
    await started(cast.secretary)
    async with second_application(harness) as second:
        try:
            harness.clock.set(local("2026-12-01", "08:00"))
            await asyncio.gather(
                *(run_sweep(Ctx(app)) for app in (harness.app, second, harness.app, second))
            )
            await wait_idle(harness.world, [harness.app, second])
            await run_sweep(Ctx(second))
            await wait_idle(harness.world, [harness.app, second])
            for person in (cast.captain, cast.secretary):
                docs = await summary_docs_to(harness, person.id)
                assert len(docs) == 1, (person.name, [d.get("caption") for d in docs])
            briefings = [m for cid, m in harness.emulator.bot_output() if cid == cast.group.id]
            assert len(briefings) == 2  # welcome + one briefing
        finally:
            harness.emulator.mark_all_read()


async def test_send_fails_then_restart_sends_it_once(harness: Harness, cast: Cast) -> None:
    await started(cast.captain)
    harness.emulator.fail("sendDocument", code=502)
    harness.clock.set(local("2026-12-01", "08:00"))
    await run_sweep(Ctx(harness.app))
    await harness.restart()
    for minute in range(1, 4):
        harness.clock.set(local("2026-12-01", f"08:0{minute}"))
        await harness.sweep()
    docs = await summary_docs_to(harness, cast.captain.id)
    briefings = [m.get("text") for cid, m in harness.emulator.bot_output() if cid == cast.group.id]
    harness.emulator.mark_all_read()
    assert len(docs) == 1, len(docs)
    assert sum("晨报 ·" in (b or "") for b in briefings) == 1, briefings


async def test_restart_right_after_the_enqueue(harness: Harness, cast: Cast) -> None:
    await started(cast.captain)
    harness.clock.set(local("2026-12-01", "08:00"))
    await run_sweep(Ctx(harness.app))  # the report is in the outbox, its send begun
    await harness.restart()
    await harness.sweep()
    harness.clock.advance(timedelta(minutes=1))  # past any lease the first run held
    await harness.sweep_outbox()
    docs = await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    assert len(docs) == 1


async def test_a_group_created_this_month_gets_nothing_for_last_month(
    harness: Harness, cast: Cast
) -> None:
    from sqlalchemy import update as upd

    from storage.models import Group

    await started(cast.captain)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        await session.execute(upd(Group).values(created_at=local("2026-12-01", "00:30")))
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    briefing = await cast.group.next_reply()
    assert "工作简报" not in briefing.text, briefing.text
    await cast.captain.private().expect_silence()


UTC = ZoneInfo("UTC")


async def seed_at(harness: Harness, cast: Cast, items: list[tuple[int, datetime]]) -> None:
    from sqlalchemy import insert

    from storage.groups import get_group
    from storage.models import Issue

    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        await session.execute(
            insert(Issue),
            [
                {
                    "group_id": group.id,
                    "number": n,
                    "road": "S272",
                    "stake_from": n * 1000,
                    "stake_to": n * 1000,
                    "category": "other",
                    "severity": 2,
                    "description": f"问题{n}",
                    "status": "open",
                    "reporter_id": cast.worker.id,
                    "chat_id": cast.group.id,
                    "created_at": at,
                    "updated_at": at,
                }
                for n, at in items
            ],
        )


def stakes(document: Document) -> list[str]:
    return [
        r.cells[1].text
        for t in document.tables
        for r in t.rows[1:]
        if t.rows[0].cells[0].text == "编号"
    ]


async def test_new_york_month_bounds_in_the_scheduled_report(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings timezone America/New_York")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    await seed_at(
        harness,
        cast,
        [
            (1, datetime(2026, 11, 1, 3, 30, tzinfo=UTC)),  # Oct 31 23:30 EDT
            (2, datetime(2026, 11, 1, 4, 30, tzinfo=UTC)),  # Nov 1 00:30 EDT
            (3, datetime(2026, 12, 1, 4, 30, tzinfo=UTC)),  # Nov 30 23:30 EST
            (4, datetime(2026, 12, 1, 5, 30, tzinfo=UTC)),  # Dec 1 00:30 EST
        ],
    )
    await started(cast.captain)
    ny = ZoneInfo("America/New_York")
    # Dec 1 09:00 in Shanghai, still Nov 30 evening in New York: nothing yet
    harness.clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=ny))
    await harness.sweep()
    assert not await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    # the default month there is still October
    await cast.group.say(cast.captain, "/summary")
    reply = await cast.group.next_reply()
    assert reply.raw["document"]["file_name"].endswith("2026-10.docx")
    assert stakes(doc_of(reply, harness)) == ["S272 K1+000"]
    await cast.group.say(cast.captain, "/summary 2026-12")
    assert "/summary [YYYY-MM] [xlsx]" in (await cast.group.next_reply()).text
    harness.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=ny))
    await harness.sweep()
    await cast.group.next_reply()
    [doc] = await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    assert doc["document"]["file_name"].endswith("2026-11.docx")
    d = docx.Document(io.BytesIO(harness.emulator.files[doc["document"]["file_id"]].content))
    assert stakes(d) == ["S272 K2+000", "S272 K3+000"]


async def test_kiritimati_and_samoa_far_zones(harness: Harness, cast: Cast) -> None:
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        await cast.group.say(cast.captain, f"/settings timezone {zone}")
        await cast.group.next_reply()
        harness.clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo(zone)))
        await cast.group.say(cast.captain, "/summary")
        reply = await cast.group.next_reply()
        assert reply.raw["document"]["file_name"].endswith("2026-11.docx"), zone
        await cast.group.say(cast.captain, "/summary 2026-12 xlsx")
        reply = await cast.group.next_reply()
        assert reply.raw["document"]["file_name"].endswith("2026-12.xlsx"), zone


async def test_hostile_group_title(harness: Harness, cast: Cast) -> None:
    title = "=cmd|'/C calc'!A0" + NASTY + "../../x\\y" + "群" * 150
    chief = harness.world.person("组长")
    g = harness.world.group(title, creator=chief)
    await g.add_bot(by=chief)
    await g.next_reply()
    await g.say(chief, "/report S272 K1+000 问题")
    await g.next_reply()
    for fmt in ("", " xlsx"):
        await g.say(chief, f"/summary {harness.clock.now().astimezone(SHANGHAI):%Y-%m}{fmt}")
        reply = await g.next_reply()
        assert "document" in reply.raw, reply.text
        name = reply.raw["document"]["file_name"]
        assert "/" not in name and "\\" not in name
        if fmt:
            book = book_of(reply, harness)
            check_xlsx_formula_text(book)
        else:
            d = doc_of(reply, harness)
            assert "calc" in d.paragraphs[0].text


async def test_hours_and_birthdays_of_a_shared_member_stay_in_their_group(
    harness: Harness, cast: Cast
) -> None:
    await december(harness, cast)
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.worker,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await other.say(cast.worker, "我也在二班")
    await harness.world.settle()
    harness.clock.set(local("2027-01-04", "09:00"))
    await other.say(cast.driver, "/summary 2026-12")
    d = doc_of(await other.next_reply(), harness)
    text = all_text(d)
    assert "1.5" not in text and "清扫路面" not in text and "时长排行" not in text, text
    await other.say(cast.driver, "/summary 2026-12 xlsx")
    book = book_of(await other.next_reply(), harness)
    assert "1.5" not in book_text(book), book_text(book)
    assert "中东桥" not in book_text(book)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        ("2026-01-03", None),
        ("2026-01-04", "2025-12"),  # a Sunday worked (调休): January's first working day
        ("2026-05-05", None),
        ("2026-05-06", "2026-04"),
        ("2026-02-01", None),  # Sunday
        ("2026-02-02", "2026-01"),
    ],
)
def test_first_working_day_with_tiaoxiu(today: str, due: str | None) -> None:
    arrived = local("2025-01-01", "08:00")
    found = report_due(date.fromisoformat(today), arrived, "Asia/Shanghai", PLAIN)
    assert (found.label if found else None) == due


async def test_first_working_day_missed_until_afternoon_still_delivers_once(
    harness: Harness, cast: Cast
) -> None:
    await started(cast.captain)
    harness.clock.set(local("2026-12-01", "13:00"))  # the briefing is too late today
    await harness.sweep()
    harness.clock.set(local("2026-12-02", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()
    await harness.idle()
    docs = await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    assert len(docs) == 1, len(docs)


async def test_an_oversized_report_is_kept_and_the_admin_told(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:

    harness.app.bot_data.options.upload_limit = 1000
    await cast.group.say(cast.captain, "/summary 2026-10")
    reply = await cast.group.next_reply()
    assert "document" not in reply.raw
    media = harness.config.media.dir
    found = sorted(str(p.relative_to(media)) for p in media.rglob("工作简报-2026-10.docx"))
    assert found, "the report said to be kept on the server is not there"
    folder = Path(found[0]).parent.name
    assert folder in reply.text, (folder, reply.text)  # the admin is told where it really is
    assert "台账" not in reply.text, reply.text  # a work report is not a register
    await started(cast.captain)
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()
    await harness.idle()
    harness.emulator.mark_all_read()
    assert not await summary_docs_to(harness, cast.captain.id)
    await cast.group.say(cast.captain, "/briefing status")
    status = (await cast.group.next_reply()).text
    assert "简报" in status and ("失败" in status or "未" in status), status
    assert "the file is" not in status and "over Telegram" not in status, status  # zh group


async def test_report_after_the_group_became_a_supergroup(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 迁移前的问题")
    await cast.group.next_reply()
    new = await cast.group.migrate(by=cast.secretary)
    await harness.idle()
    harness.emulator.mark_all_read()
    await new.say(cast.captain, f"/summary {harness.clock.now().astimezone(SHANGHAI):%Y-%m}")
    d = doc_of(await new.next_reply(), harness)
    assert "S272 K1+000" in all_text(d)


def image_bytes(kind: str) -> bytes:
    from PIL import Image

    data = io.BytesIO()
    if kind == "tall":
        Image.new("RGB", (200, 6000), (10, 200, 30)).save(data, "JPEG")
    elif kind == "wide":
        Image.new("RGB", (8000, 100), (10, 200, 30)).save(data, "JPEG")
    elif kind == "cmyk":
        Image.new("CMYK", (800, 600), (10, 200, 30, 0)).save(data, "JPEG")
    elif kind == "webp":
        Image.new("RGB", (800, 600), (10, 200, 30)).save(data, "WEBP")
    elif kind == "gif":
        frames = [Image.new("P", (400, 300), i) for i in range(3)]
        frames[0].save(data, "GIF", save_all=True, append_images=frames[1:])
    elif kind == "png16":
        Image.new("I;16", (800, 600), 30000).save(data, "PNG")
    elif kind == "rgba":
        Image.new("RGBA", (800, 600), (10, 200, 30, 0)).save(data, "PNG")
    elif kind == "tiny":
        Image.new("RGB", (1, 1), (10, 200, 30)).save(data, "JPEG")
    return data.getvalue()


@pytest.mark.parametrize("kind", ["tall", "wide", "cmyk", "webp", "gif", "png16", "rgba", "tiny"])
async def test_odd_but_readable_photos_fit_the_page(
    harness: Harness, cast: Cast, kind: str
) -> None:

    await december(harness, cast)
    paths = await photo_paths(harness)
    for p in paths:
        Path(p).write_bytes(image_bytes(kind))
    harness.clock.set(local("2027-01-04", "09:00"))
    await cast.group.say(cast.captain, "/summary 2026-12")
    _notes, reply = await replies_until_document(cast.group, timeout=60)
    d = doc_of(reply, harness)
    usable_h, usable_w = Cm(29.7 - 5), Cm(21 - 6)  # A4 with the report's margins
    assert len(d.inline_shapes) + len(notes_in(d)) == 4
    for s in d.inline_shapes:
        assert 0 < s.width <= usable_w and 0 < s.height <= usable_h, (kind, s.width, s.height)


async def profile_joined(person: Person, day: str) -> str:
    chat = person.private()
    await chat.send(f"/profile joined {day}")
    return str((await chat.next_reply()).text)


async def test_a_member_who_joined_the_party_this_month_is_no_anniversary(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    harness.clock.set(local("2026-11-29", "12:00"))
    await profile_joined(cast.worker, "2026-11-05")
    await cast.group.say(cast.captain, "/summary 2026-11")
    text = all_text(doc_of(await cast.group.next_reply(), harness))
    assert "0 周年" not in text, text


async def test_a_member_who_left_the_group_has_no_birthday_in_its_report(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    await profile_joined(cast.worker, "2010-12-20")
    await cast.group.leave(cast.worker)
    await harness.idle()
    harness.emulator.mark_all_read()
    harness.clock.set(local("2027-01-04", "09:00"))
    await cast.group.say(cast.captain, "/summary 2026-12")
    text = all_text(doc_of(await cast.group.next_reply(), harness))
    assert "张工" not in text, text


async def test_february_29th_anniversary_in_a_common_year(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "我在")
    await harness.world.settle()
    await profile_joined(cast.worker, "2008-02-29")
    harness.clock.set(local("2027-03-15", "12:00"))
    found = []
    for month in ("2027-02", "2027-03"):
        await cast.group.say(cast.captain, f"/summary {month}")
        text = all_text(doc_of(await cast.group.next_reply(), harness))
        found.append("张工" in text)
    assert found.count(True) == 1, found


async def test_same_numbers_in_group_b_do_not_pull_group_a_photos(
    harness: Harness, cast: Cast
) -> None:
    await december(harness, cast)  # A: topic #1, issue #1, event #1 all with photos
    chief = harness.world.person("赵", last_name="班长", username="zhao")
    mate = harness.world.person("钱", last_name="工", username="qian")
    other = harness.world.group("养护二班", creator=chief, members=(mate,))
    await other.add_bot(by=chief)
    await other.next_reply()
    harness.clock.set(local("2026-12-10", "09:00"))
    for person, text in [
        (chief, "/newtopic 二班课题"),
        (mate, "/claim 1"),
        (mate, "/done 1 二班成果"),
        (chief, "/approve 1"),
        (mate, "/report X123 K5+000 二班问题"),
        (chief, "/assign 1 @qian"),
        (chief, "/newevent study 2026-12-12 09:00-10:00 二班学习"),
    ]:
        await other.say(person, text)
        await other.next_reply()
    await other.say(mate, "/fixed 1 修好了")
    await other.next_reply()
    await harness.idle()
    harness.emulator.mark_all_read()
    harness.clock.set(local("2027-01-04", "09:00"))
    await other.say(chief, "/summary 2026-12")
    d = doc_of(await other.next_reply(), harness)
    text = all_text(d)
    assert "二班课题" in text
    for leak in ("中东桥", "S272", "张工", "清扫路面", "G325", "加固"):
        assert leak not in text, leak
    assert len(d.inline_shapes) == 0, "group A's photos in group B's report"
    await other.say(chief, "/summary 2026-12 xlsx")
    book = book_of(await other.next_reply(), harness)
    bt = book_text(book)
    for leak in ("中东桥", "S272", "张工", "清扫路面", "G325"):
        assert leak not in bt, leak
    await harness.idle()
    harness.emulator.mark_all_read()


async def test_a_demoted_admin_gets_no_report_and_a_new_one_does(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "我在")
    await cast.group.say(cast.captain, "/report S272 K1+000 问题")
    await cast.group.next_reply()
    await started(cast.captain)
    await started(cast.worker)
    await cast.group.say(cast.captain, "/summary 2026-10")  # admins known as of now
    await cast.group.next_reply()
    cast.group.demote(cast.captain)  # weeks before the first working day
    cast.group.promote(cast.worker)
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    await cast.group.next_reply()
    await harness.idle()
    to_captain = await summary_docs_to(harness, cast.captain.id)
    to_worker = await summary_docs_to(harness, cast.worker.id)
    harness.emulator.mark_all_read()
    assert not to_captain, "an ex-admin got the group's report"
    assert len(to_worker) == 1, "the new admin got nothing"


async def test_a_demoted_admin_is_refused_after_ten_minutes(harness: Harness, cast: Cast) -> None:
    for cmd in ("/settings", "/export issues"):
        await cast.group.say(cast.captain, cmd)
        await cast.group.next_reply()
    await cast.group.say(cast.captain, "/summary 2026-10")
    assert "document" in (await cast.group.next_reply()).raw
    cast.group.demote(cast.captain)
    harness.clock.advance(timedelta(minutes=11))
    await cast.group.say(cast.captain, "/summary 2026-10")
    r = await cast.group.next_reply()
    assert "document" not in r.raw
    private = cast.captain.private()
    await private.send("/summary 2026-10")
    r = await private.next_reply()
    assert "document" not in r.raw, "demoted admin got it in private"


async def test_an_admin_who_left_the_group_gets_no_report(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/report S272 K1+000 问题")
    await cast.group.next_reply()
    await started(cast.captain)
    await cast.group.leave(cast.captain)
    await harness.idle()
    harness.emulator.mark_all_read()
    harness.clock.set(local("2026-12-01", "08:00"))
    await harness.sweep()
    briefing = await cast.group.next_reply()
    await harness.idle()
    docs = await summary_docs_to(harness, cast.captain.id)
    harness.emulator.mark_all_read()
    assert not docs, ("someone who left the group got its report", briefing.text)


async def test_fonts_and_no_text_boxes(harness: Harness, cast: Cast) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    await cast.group.say(cast.captain, "/summary 2026-12")
    d = doc_of(await cast.group.next_reply(), harness)
    styles = d.styles.element.xml
    body = d.element.xml
    normal = d.styles["Normal"].element.xml
    heading = d.styles["Heading 1"].element.xml
    assert "宋体" in normal, normal[:1500]
    assert "黑体" in heading, heading[:1500]
    assert "txbx" not in body and "w:pict" not in body and "v:textbox" not in body
    assert styles


async def test_empty_month_appendix_has_no_broken_chart_ranges(
    harness: Harness, cast: Cast
) -> None:
    import re
    import zipfile

    await cast.group.say(cast.captain, "/summary 2025-03 xlsx")
    reply = await cast.group.next_reply()
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    load_workbook(io.BytesIO(content))  # it opens
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if "chart" in name and name.endswith(".xml"):
                xml = z.read(name).decode()
                for ref in re.findall(r"<c:f>([^<]*)</c:f>", xml):
                    m = re.search(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)", ref)
                    if m:
                        assert int(m[4]) >= int(m[2]), (name, ref)
