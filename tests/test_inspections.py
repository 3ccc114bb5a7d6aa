"""Field inspections through the emulator: one-message reports, the guided private flow,
duplicates, the life cycle with evidence, lists, the register export, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from emulator.scenario import GroupChat
from storage import issue_reads
from storage.groups import get_group
from storage.issue_reads import IssueDetail
from storage.issue_view import issue_view
from tests.conftest import Cast, Harness, dialogue


async def detail_of(harness: Harness, group: GroupChat, number: int) -> IssueDetail:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        row = await get_group(session, group.id)
        assert row is not None
        return await issue_view(session, row.id, number)


async def count_issues(harness: Harness, group: GroupChat) -> int:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        row = await get_group(session, group.id)
        assert row is not None
        head = await issue_reads.counts(session, row.id, harness.today())
        found = await issue_reads.list_page(
            session, row.id, "all", 0, harness.today(), offset=0, limit=10**6
        )
        assert len(found) == head.total  # the tallies agree with the rows
        return len(found)


async def reported(cast: Cast, text: str = "S272 K93+520 护栏缺损 cat:guardrail sev:2") -> str:
    await cast.group.say(cast.worker, f"/report {text}")
    return (await cast.group.next_reply()).text


# --- one-message reports ---------------------------------------------------------------


async def test_report_as_text(harness: Harness, cast: Cast) -> None:
    reply = await reported(cast)
    assert "问题 #1 已登记：S272 K93+520" in reply and "[护栏·2级] 护栏缺损" in reply
    detail = await detail_of(harness, cast.group, 1)
    issue = detail.issue
    assert (issue.road, issue.stake_from, issue.category, issue.severity) == (
        "S272",
        93520,
        "guardrail",
        2,
    )
    assert issue.status == "open" and detail.events[0].kind == "reported"


async def test_report_names_a_possible_duplicate_but_still_logs_it(
    harness: Harness, cast: Cast
) -> None:
    await reported(cast)
    reply = await reported(cast, "s272 k93+560 护栏又坏了")
    assert "#2" in reply and "可能与 #1 重复" in reply and "40 米" in reply
    assert await count_issues(harness, cast.group) == 2
    other = await reported(cast, "S272 K93+700 标线模糊")
    assert "重复" not in other


@pytest.mark.parametrize("split", [False, True], ids=["one-batch", "split-batches"])
async def test_report_as_album_caption_keeps_every_photo(
    harness: Harness, cast: Cast, split: bool
) -> None:
    sent = await cast.group.send_album(cast.worker, 3, "/report S272 K93+520 护栏缺损", split=split)
    reply = await cast.group.next_reply()
    assert "#1" in reply and "📷 3 张" in reply
    await cast.group.expect_silence()
    detail = await detail_of(harness, cast.group, 1)
    assert sorted(p.file_unique_id for p in detail.before) == sorted(
        m["photo"][-1]["file_unique_id"] for m in sent
    )
    assert await count_issues(harness, cast.group) == 1


async def test_report_as_photo_caption_and_image_file(harness: Harness, cast: Cast) -> None:
    await cast.group.send_photo(cast.worker, "/report X123 K0+050 路面坑槽 cat:pothole sev:3")
    assert "[坑槽·3级]" in await cast.group.next_reply()
    await cast.group.send_document(
        cast.worker,
        "IMG_0001.jpg",
        harness.world.fake_jpeg(),
        "image/jpeg",
        caption="/report X123 K0+090 坑槽扩大",
    )
    assert "#2" in await cast.group.next_reply()
    assert len((await detail_of(harness, cast.group, 2)).before) == 1


async def test_non_image_file_and_huge_photo_are_refused(harness: Harness, cast: Cast) -> None:
    await cast.group.send_document(
        cast.worker,
        "记录.docx",
        b"PK\x03\x04",
        "application/msword",
        caption="/report S272 K93+520 护栏",
    )
    assert "不是图片" in await cast.group.next_reply()
    emulator = harness.emulator
    message = emulator.user_message(
        cast.group.chat,
        cast.worker.user,
        caption="/report S272 K93+520 护栏",
        photo=emulator.photo_payload(b"\xff\xd8small"),
    )
    message["photo"][-1]["file_size"] = 25 * 1024 * 1024
    emulator.push("message", message)
    assert "超过 20 MB" in await cast.group.next_reply()
    assert await count_issues(harness, cast.group) == 0


async def test_location_after_a_report_attaches_within_two_minutes(
    harness: Harness, cast: Cast
) -> None:
    await reported(cast)
    await cast.group.send_location(cast.worker, 23.0215, 113.7518)
    assert "已为问题 #1 添加位置" in await cast.group.next_reply()
    detail = await detail_of(harness, cast.group, 1)
    assert detail.issue.latitude == pytest.approx(23.0215)
    await reported(cast, "无桩号的问题")
    harness.clock.advance(timedelta(minutes=3))
    await cast.group.send_location(cast.worker, 23.5, 113.5)
    await cast.group.expect_silence()
    assert (await detail_of(harness, cast.group, 2)).issue.latitude is None


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            "/report S272 K93+52 护栏", ["K93+52", "K93+520", "用法：/report"], id="short-metres"
        ),
        pytest.param("/report S272 K+520 护栏", ["K93+520", "用法：/report"], id="no-km"),
        pytest.param("/report 坑 cat:ufo", ["ufo", "pothole"], id="bad-category"),
        pytest.param("/report 坑 sev:9", ["1、2 或 3"], id="bad-severity"),
        pytest.param("/report", ["用法：/report"], id="empty"),
        pytest.param("/report S272 K93+520", ["用法：/report"], id="no-description"),
    ],
)
async def test_report_bad_input(
    harness: Harness, cast: Cast, text: str, fragments: list[str]
) -> None:
    await cast.group.say(cast.worker, text)
    reply = await cast.group.next_reply()
    for fragment in fragments:
        assert fragment in reply
    assert await count_issues(harness, cast.group) == 0


async def test_edited_report_is_not_logged_twice(harness: Harness, cast: Cast) -> None:
    sent = await cast.group.say(cast.worker, "/report S272 K93+520 护栏")
    await cast.group.next_reply()
    await cast.group.edit(cast.worker, sent, "/report S272 K93+520 护栏缺损严重")
    assert "请重新发送 /report" in await cast.group.next_reply()
    assert await count_issues(harness, cast.group) == 1


# --- the guided flow in private chat --------------------------------------------------


async def test_guided_report_with_photos_stake_and_description(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "收到")
    await harness.world.settle()
    chat = cast.worker.private()
    await chat.send("/report")
    first = await chat.next_reply()
    assert "① 请发送现场照片" in first
    await chat.send_photo(cast.worker)
    status = await chat.next_reply()
    assert "已收到 1 张" in status
    await chat.send_photo(cast.worker)
    await harness.world.settle()
    assert "已收到 2 张" in harness.emulator.messages[(chat.id, status.message_id)]["text"]
    assert await count_issues(harness, cast.group) == 0  # nothing written before the last step
    await chat.press(cast.worker, status, "下一步")
    place = await chat.next_reply()
    assert "② 请输入路线和桩号" in place
    assert place.raw.get("reply_markup") is None  # a reply keyboard, not inline
    location_button = next(
        c
        for c in harness.emulator.calls
        if c.method == "sendMessage" and "request_location" in c.params.get("reply_markup", "")
    )
    assert location_button is not None
    await chat.send("S272 K93+52")
    assert "K93+520" in await chat.next_reply()
    await chat.send("S272 K93+520")
    assert "③ 请描述问题" in await chat.next_reply()
    await chat.send("护栏立柱松动 cat:guardrail sev:2")
    posted = await cast.group.next_reply()
    assert posted.raw.get("photo") and "问题 #1 已登记" in posted.text
    await cast.group.next_reply()  # the second photo of the album
    assert "已发到“养护一班”" in await chat.next_reply()
    assert "已登记为问题 #1" in await chat.next_reply()
    detail = await detail_of(harness, cast.group, 1)
    assert len(detail.before) == 2 and detail.issue.category == "guardrail"


async def test_guided_report_with_a_shared_location_and_group_choice(
    harness: Harness, cast: Cast
) -> None:
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    for group in (cast.group, other):
        await group.say(cast.worker, "收到")
    await harness.world.settle()
    chat = cast.worker.private()
    await chat.start("report")
    first = await chat.next_reply()
    await chat.press(cast.worker, first, "下一步")
    await chat.next_reply()
    await chat.send_location(cast.worker, 23.02, 113.75)
    await chat.next_reply()
    await chat.send("路面坑槽 sev:3")
    question = await chat.next_reply()
    assert "报给哪个工作群" in question
    await chat.press(cast.worker, question, "二班")
    assert "问题 #1 已登记" in await other.next_reply()
    assert "已发到“二班”" in await chat.next_reply()
    assert "已登记为问题 #1（二班）" in await chat.next_reply()
    assert (await detail_of(harness, other, 1)).issue.latitude == pytest.approx(23.02)
    assert await count_issues(harness, cast.group) == 0


async def test_guided_report_cancel_writes_nothing(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "收到")
    await harness.world.settle()
    chat = cast.worker.private()
    await chat.send("/report")
    first = await chat.next_reply()
    await chat.press(cast.worker, first, "下一步")
    await chat.next_reply()
    await chat.send("/cancel")
    assert "已取消上报" in await chat.next_reply()
    await chat.send("S272 K93+520")
    assert "没有看懂" in await chat.next_reply()  # no longer taken as a step of the report
    stale = await chat.press(cast.worker, first, "下一步")
    assert "结束" in stale["text"]
    assert await count_issues(harness, cast.group) == 0


# --- life cycle ----------------------------------------------------------------------------


async def test_assign_fix_with_asked_photo_verify(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.driver, "/assign 1 @zhang_gong")
    assert "只有本群管理员" in await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/assign 1 @zhang_gong {harness.day(3)}")
    assert "已指派给 张工" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/fixed 1")
    assert "只有整改人、上报人或管理员" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/fixed 1 已更换立柱")
    assert "请发送问题 #1 的整改后照片" in await cast.group.next_reply()
    await cast.group.send_photo(cast.driver)  # someone else's photo is not the evidence
    await cast.group.expect_silence()
    after = await cast.group.send_photo(cast.worker)
    assert "已整改" in await cast.group.next_reply()
    await cast.group.send_photo(cast.worker)  # no longer waited for
    await cast.group.expect_silence()
    await cast.group.say(cast.worker, "/verify 1")
    assert "只有本群管理员" in await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/verify 1")
    assert "验收销号" in await cast.group.next_reply()
    detail = await detail_of(harness, cast.group, 1)
    assert [e.kind for e in detail.events] == ["reported", "assigned", "fixed", "verified"]
    assert [p.file_unique_id for p in detail.after] == [after["photo"][-1]["file_unique_id"]]
    assert detail.issue.deadline is not None and detail.issue.deadline.isoformat() == harness.day(3)


async def test_fixed_with_the_after_photo_as_caption_and_reopen(
    harness: Harness, cast: Cast
) -> None:
    await reported(cast)
    await cast.group.say(cast.driver, "/assign 1 me")
    assert "已指派给 Chen Driver" in await cast.group.next_reply()
    await cast.group.send_photo(cast.driver, "/fixed 1 清理完毕")
    assert "已整改" in await cast.group.next_reply()
    await dialogue(
        cast.group,
        [
            (cast.driver, "/fixed 1", "现在是“已整改”"),
            (cast.captain, "/reopen 1 立柱仍然松动", "重新打开：立柱仍然松动"),
            (cast.captain, "/reopen 1", "用法：/reopen"),
        ],
    )
    assert (await detail_of(harness, cast.group, 1)).issue.status == "open"
    await cast.group.say(cast.driver, "/issue 1")
    assert "立柱仍然松动" in await cast.group.next_reply()
    await cast.group.expect_silence()  # the fix that did not hold is no "after" any more


async def test_fix_wait_can_be_cancelled(cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.worker, "/fixed 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/cancel")
    assert "不再等待" in await cast.group.next_reply()
    await cast.group.send_photo(cast.worker)
    await cast.group.expect_silence()
    await cast.group.say(cast.worker, "/cancel")
    assert "没有需要取消" in await cast.group.next_reply()


async def test_album_of_after_photos_answers_the_wait(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.worker, "/fixed 1")
    await cast.group.next_reply()
    await cast.group.send_album(cast.worker, 2)
    assert "📷 2 张" in await cast.group.next_reply()
    assert len((await detail_of(harness, cast.group, 1)).after) == 2


async def test_verify_as_duplicate_and_refusals(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    await reported(cast, "S272 K93+530 同一处护栏")
    await cast.group.say(cast.captain, "/verify 2 dup:1")
    assert "与 #1 重复，已合并销号" in await cast.group.next_reply()
    # merged into a merged issue (a loop would leave the problem counted nowhere)
    await cast.group.say(cast.captain, "/verify 1 dup:2")
    assert "#2 本身已作为重复问题销号" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/issues")
    assert "发现 1 " in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/verify 1")
    assert "现在是“待处理”" in await cast.group.next_reply()
    for bad in (
        "/verify",
        "/verify 1 because",
        "/verify x",
        "/assign 1",
        "/assign 1 @zhang_gong 2026-99-01",
    ):
        await cast.group.say(cast.captain, bad)
        assert "用法：" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/verify 9")
    assert "没有找到问题 #9" in await cast.group.next_reply()


async def test_issue_page_with_before_and_after_albums(harness: Harness, cast: Cast) -> None:
    await cast.group.send_album(cast.worker, 2, "/report S272 K93+520 护栏缺损")
    await cast.group.next_reply()
    await cast.group.send_photo(cast.worker, "/fixed 1 修好了")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, "/issue 1")
    page = await cast.group.next_reply()
    assert "问题 #1" in page and "护栏缺损" in page and "上报" in page and "完成整改" in page
    before = await cast.group.replies(2)
    assert before[0].raw.get("media_group_id") and "整改前" in before[0].text
    after = await cast.group.next_reply()
    assert "整改后" in after.text


async def test_issue_page_shows_the_latest_fixs_after_photos(harness: Harness, cast: Cast) -> None:
    """Fixed, reopened (the fix did not hold), fixed again: /issue shows the second
    fix's evidence as "after", not the first's."""
    await reported(cast)
    first = await cast.group.send_photo(cast.worker, "/fixed 1 临时加固")
    assert "已整改" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/reopen 1 立柱仍然松动")
    assert "重新打开" in await cast.group.next_reply()
    second = await cast.group.send_photo(cast.worker, "/fixed 1 已更换立柱")
    assert "已整改" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/issue 1")
    page = await cast.group.next_reply()
    assert "临时加固" in page and "已更换立柱" in page  # the history keeps both fixes
    after = await cast.group.next_reply()
    assert "整改后" in after.text
    photo = {  # what each photo shows (the emulator stores a photo again when it is sent)
        name: harness.emulator.files[message["photo"][-1]["file_id"]].content
        for name, message in (("shown", after.raw), ("first", first), ("second", second))
    }
    assert photo["shown"] == photo["second"] != photo["first"]
    await cast.group.expect_silence()  # one "after" photo: the first fix's is not sent too
