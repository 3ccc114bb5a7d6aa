"""Inspection issues as lists (/issues: counts, filters, pages, past a thousand), the
register and topics as spreadsheets, numbers per group, the roster and English."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.conftest import Cast, Harness, seed_issues
from tests.test_inspections import reported


async def test_issues_list_counts_filters_and_pages(harness: Harness, cast: Cast) -> None:
    for index in range(25):
        await cast.group.say(cast.worker, f"/report S272 K{index}+000 问题{index}")
    await cast.group.replies(25)
    await cast.group.say(cast.captain, f"/assign 3 @zhang_gong {harness.day(1)}")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, "/issues")
    page = await cast.group.next_reply()
    assert "发现 25" in page and "第 1/2 页" in page
    assert (
        page.text.index("K0+000") < page.text.index("K1+000") < page.text.index("K10+000")
    )  # by stake
    answer = await cast.group.press(cast.driver, page, "下一页")
    assert answer["text"] is None
    await harness.world.settle()
    edited = harness.emulator.messages[(cast.group.id, page.message_id)]["text"]
    assert "第 2/2 页" in edited and edited.count("🔴") == 5  # 25 issues, 20 a page
    await cast.group.say(cast.worker, "/issues mine")
    assert "#3" in await cast.group.next_reply()
    harness.clock.advance(timedelta(days=3))
    await cast.group.say(cast.worker, "/issues overdue")
    overdue = await cast.group.next_reply()
    assert "逾期 1" in overdue and "#3 " in overdue and "#4 " not in overdue
    await cast.group.say(cast.worker, "/issues G325")
    assert "没有问题" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/issues everything")
    assert "用法：/issues" in await cast.group.next_reply()
    assert len(page.text) <= 4096


async def test_export_issue_register(harness: Harness, cast: Cast) -> None:
    await cast.group.send_album(cast.worker, 2, "/report S272 K93+520 护栏缺损 cat:guardrail sev:2")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/assign 1 @zhang_gong {harness.day(2)}")
    await cast.group.next_reply()
    await cast.group.send_photo(cast.worker, "/fixed 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/export issues")
    assert "只有本群管理员" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/export everything")
    assert "用法：/export" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/export issues")
    sent = await cast.group.next_reply()
    document = sent.raw["document"]
    assert document["file_name"].endswith(".xlsx")
    content = harness.emulator.files[document["file_id"]].content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "路线", "桩号")
    assert rows[1][:6] == (1, "S272", "K93+520", "护栏", 2, "护栏缺损")
    assert rows[1][10] == "已整改"
    assert len(str(rows[1][13]).splitlines()) == 3  # two before photos, one after
    saved = list(harness.config.media.dir.glob("*/exports/*.xlsx"))
    assert saved and saved[0].read_bytes() == content


async def test_export_topics(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固工程")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/export topics")
    sent = await cast.group.next_reply()
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[1][:3] == (1, "中东桥加固工程", "待认领")
    assert rows[0][7:9] == ("评分", "评分人数")  # the average and the count, each a number
    assert rows[1][8] == 0


async def test_issue_numbers_are_per_group(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    await other.say(cast.worker, "/issue 1")
    assert "没有找到问题 #1" in await other.next_reply()
    await other.say(cast.worker, "/report G325 K1+000 裂缝")
    assert "问题 #1 已登记：G325" in await other.next_reply()


async def test_roster_shows_assigned_issues(cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.worker, "/assign 1 me")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/members")
    line = next(x for x in (await cast.group.next_reply()).text.splitlines() if "张工" in x)
    assert "整改 #1" in line


async def test_inspections_in_english(cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings lang en")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/report S272 K93+520 guardrail damaged cat:guardrail")
    assert "Issue #1 logged: S272 K93+520" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/report S272 K9+5 bad")
    assert "is not a stake" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/issues")
    assert "Found 1" in await cast.group.next_reply()


async def test_a_list_past_a_thousand_is_counted_to_the_cap_and_still_pages(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, 1050)
    await cast.group.say(cast.worker, "/issues S272")
    first = await cast.group.next_reply()
    assert "（1000+ 个）" in first and "第 1/50+ 页" in first
    await cast.group.press_data(cast.worker, first, "iss:S272:52")
    await harness.world.settle()
    deep = harness.emulator.messages[(cast.group.id, first.message_id)]["text"]
    assert "第 53/53 页" in deep and "#1050" in deep  # the last page: no more
    # the reporter's own list is counted exactly, from their tally
    await cast.group.say(cast.worker, "/issues mine")
    mine = await cast.group.next_reply()
    assert "（1050 个）" in mine and "第 1/53 页" in mine


async def test_a_page_past_the_end_shows_the_last_one_with_its_counts(
    harness: Harness, cast: Cast
) -> None:
    """A button left from a longer list (or forged) names a page that no longer exists:
    the last page is shown, with the counts of now; an empty list still has its head."""
    for index in range(25):
        await cast.group.say(cast.worker, f"/report S272 K{index}+000 问题{index}")
    await cast.group.replies(25)
    await cast.group.say(cast.driver, "/issues")
    page = await cast.group.next_reply()
    shown = []
    for data in ("iss:open:1", "iss:open:7", "iss:all:501", "iss:all:999999"):
        await cast.group.press_data(cast.driver, page, "iss:open:0")  # back to the first
        await harness.world.settle()
        first = harness.emulator.messages[(cast.group.id, page.message_id)]["text"]
        assert "第 1/2 页" in first and first.count("🔴") == 20
        await cast.group.press_data(cast.driver, page, data)
        await harness.world.settle()
        shown.append(harness.emulator.messages[(cast.group.id, page.message_id)]["text"])
    for text in shown:
        assert "发现 25" in text and "第 2/2 页" in text and text.count("🔴") == 5
    await cast.group.say(cast.worker, "/issues G325")  # a road with none: the head alone
    empty = await cast.group.next_reply()
    assert "发现 25" in empty and "没有问题" in empty
