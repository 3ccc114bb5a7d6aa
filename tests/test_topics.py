"""Topics through the emulator: the whole life, concurrency, photos and albums, ratings,
permissions, isolation between groups, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.kinds import Subject
from emulator.scenario import BotMessage, GroupChat, Person
from storage import topic_reads
from storage import topics as store
from storage.groups import get_group
from storage.models import Photo
from tests.conftest import Cast, Harness, dialogue


async def new_topic(cast: Cast, text: str = "中东桥加固工程") -> BotMessage:
    await cast.group.say(cast.captain, f"/newtopic {text}")
    return await cast.group.next_reply()


async def claimed(cast: Cast, number: int = 1, by: Person | None = None) -> None:
    await cast.group.say(by or cast.worker, f"/claim {number}")
    assert "认领了" in await cast.group.next_reply()


async def stored_topic(harness: Harness, group: GroupChat, number: int):  # type: ignore[no-untyped-def]
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        row = await get_group(session, group.id)
        assert row is not None
        topic = await store.get_topic(session, row.id, number)
        return await topic_reads.topic_detail(session, topic)


# --- creating and listing ----------------------------------------------------------


async def test_newtopic_by_admin_with_description_due_and_slots(
    harness: Harness, cast: Cast
) -> None:
    reply = await new_topic(
        cast, f"省道S272线K93+520平交非机动车道整治工程 | 施划标线 due:{harness.day(30)} slots:2"
    )
    assert "#1" in reply and "省道S272线K93+520平交非机动车道整治工程" in reply and "2 人" in reply
    assert reply.button("认领 #1").callback_data == "claim:1"
    detail = await stored_topic(harness, cast.group, 1)
    assert detail.topic.description == "施划标线" and detail.topic.slots == 2
    assert detail.topic.due_on is not None and detail.topic.due_on.isoformat() == harness.day(30)


async def test_newtopic_refused_to_members(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/newtopic 中东桥加固工程")
    assert "只有本群管理员" in await cast.group.next_reply()


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        pytest.param("/newtopic", "用法：/newtopic", id="empty"),
        pytest.param("/newtopic | 只有说明", "用法：/newtopic", id="no-title"),
        pytest.param("/newtopic 桥 slots:0", "1 到 50", id="bad-slots"),
        pytest.param("/newtopic 桥 due:2026-13-01", "YYYY-MM-DD", id="bad-date"),
        pytest.param("/newtopic 桥 due:2001-01-01", "已经过去", id="past-date"),
    ],
)
async def test_newtopic_bad_input(
    harness: Harness, cast: Cast, command: str, fragment: str
) -> None:
    await cast.group.say(cast.captain, command)
    reply = await cast.group.next_reply()
    assert fragment in reply and "用法：/newtopic" in reply
    await cast.group.say(cast.worker, "/topics")
    assert "还没有题目" in await cast.group.next_reply()


async def test_topics_list_by_status_with_claim_buttons(cast: Cast) -> None:
    await new_topic(cast, "中东桥加固工程")
    await new_topic(cast, "S272 护栏修复 slots:2")
    await new_topic(cast, "X123 排水沟清理")
    await claimed(cast, 1)
    await cast.group.say(cast.worker, "/topics")
    reply = await cast.group.next_reply()
    text = reply.text
    assert text.index("待认领") < text.index("#2") < text.index("进行中") < text.index("#1")
    labels = [b.text for b in reply.buttons]
    assert labels == ["认领 #2", "认领 #3"]


async def test_pressing_claim_under_the_list_claims_and_refreshes_the_list(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast)
    await cast.group.say(cast.worker, "/topics")
    listing = await cast.group.next_reply()
    answer = await cast.group.press(cast.worker, listing, "认领 #1")
    assert answer["text"] == "已认领 #1"
    assert "张工 认领了题目" in await cast.group.next_reply()
    await harness.world.settle()
    refreshed = harness.emulator.messages[(cast.group.id, listing.message_id)]
    assert "进行中" in refreshed["text"] and "reply_markup" not in refreshed
    # someone whose phone still shows the old list presses too
    late, _ = harness.emulator.callback_query(cast.driver.user, refreshed, "claim:1:list")
    await harness.world.settle()
    await harness.emulator.wait_for(lambda: late in harness.emulator.callback_answers, 5)
    second = harness.emulator.callback_answers[late]
    assert "已满" in second["text"] and second["show_alert"]


# --- claiming --------------------------------------------------------------------------


async def test_claim_refusals_full_already_yours_unknown(cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast, 1)
    await cast.group.say(cast.worker, "/claim 1")
    assert "你已经认领了题目 #1" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/claim 1")
    assert "已满" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/claim 7")
    assert "没有找到题目 #7" in await cast.group.next_reply()
    for bad in ("/claim", "/claim abc", "/claim 1 2"):
        await cast.group.say(cast.driver, bad)
        assert "用法：/claim" in await cast.group.next_reply()


async def crowd(harness: Harness, group: GroupChat, size: int) -> list[Person]:
    people = [harness.world.person(f"队员{i:02d}", username=f"crew_{i:02d}") for i in range(size)]
    for person in people:
        group.chat.members[person.id] = "member"
    return people


@pytest.mark.parametrize(
    ("slots", "size"), [pytest.param(1, 50, id="1-slot-50"), pytest.param(3, 20, id="3-slots-20")]
)
async def test_concurrent_claims_produce_exactly_the_slots(
    harness: Harness, cast: Cast, slots: int, size: int
) -> None:
    await new_topic(cast, f"中东桥加固工程 slots:{slots}")
    people = await crowd(harness, cast.group, size)
    for person in people:  # all pushed before the bot fetches: one batch, handled concurrently
        harness.emulator.push(
            "message", harness.emulator.user_message(cast.group.chat, person.user, text="/claim 1")
        )
    replies = await cast.group.replies(size)
    batches = [
        len(c.result) for c in harness.emulator.calls if c.method == "getUpdates" and c.finished
    ]
    assert max(batches) == size  # one batch, dispatched concurrently (concurrent_updates)
    winners = [r for r in replies if "认领了题目" in r.text]
    refused = [r for r in replies if "已满" in r.text]
    assert len(winners) == slots
    assert len(refused) == size - slots
    detail = await stored_topic(harness, cast.group, 1)
    assert len(detail.claimants) == slots == detail.topic.claimed_count
    print(
        f"\n{slots}-slot topic, {size} concurrent claims: {len(winners)} winners, {len(refused)} refused"
    )


async def test_double_press_of_claim_gives_one_claim(harness: Harness, cast: Cast) -> None:
    reply = await new_topic(cast, "护栏修复 slots:3")
    button = reply.button("认领 #1")
    assert button.callback_data is not None
    current = harness.emulator.messages[(cast.group.id, reply.message_id)]
    ids = [
        harness.emulator.callback_query(cast.worker.user, current, button.callback_data)[0]
        for _ in range(3)
    ]
    await harness.world.settle()
    await harness.emulator.wait_for(
        lambda: all(i in harness.emulator.callback_answers for i in ids), 5
    )
    answers = [harness.emulator.callback_answers[i]["text"] for i in ids]
    assert answers.count("已认领 #1") == 1
    assert sum("你已经认领了" in a for a in answers) == 2
    assert "认领了题目" in await cast.group.next_reply()
    detail = await stored_topic(harness, cast.group, 1)
    assert detail.topic.claimed_count == 1


async def test_release_by_claimant_and_by_admin(cast: Cast) -> None:
    await new_topic(cast, "护栏修复 slots:2")
    await claimed(cast, 1, cast.worker)
    await claimed(cast, 1, cast.driver)
    await dialogue(
        cast.group,
        [
            (cast.driver, "/release 1", "Chen Driver 放弃了题目 #1"),
            (cast.driver, "/release 1 @zhang_gong", "只有本群管理员"),
            (cast.captain, "/release 1 @zhang_gong", "管理员收回了 张工"),
            (cast.worker, "/release 1", "只有题目 #1 的认领人"),
            (cast.captain, "/release 1 @nobody_here", "不认识 @nobody_here"),
        ],
    )


async def test_release_by_reply_to_the_claimants_message(cast: Cast) -> None:
    await new_topic(cast)
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    sent = await cast.group.say(cast.worker, "我这周去不了现场")
    await cast.group.say(cast.captain, "/release 1", reply_to=sent)
    assert "管理员收回了 张工" in await cast.group.next_reply()


# --- milestones, progress, photos, albums ------------------------------------------


async def test_milestones_progress_and_the_topic_page(harness: Harness, cast: Cast) -> None:
    await new_topic(cast, "S272 K93+520 平交口整治 | 施划标线")
    await claimed(cast)
    first, second = harness.day(5), harness.day(9)
    await cast.group.say(cast.worker, f"/milestone 1 {first} 完成标线施划")
    assert "新里程碑" in await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/milestone 1 {second} 护栏到货")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, f"/milestone 1 {second} 我不是认领人")
    assert "只有题目 #1 的认领人" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/progress 1 60% 标线完成一半")
    posted = await cast.group.next_reply()
    assert "▓▓▓▓▓▓░░░░ 60%" in posted and "标线完成一半" in posted
    await cast.group.say(cast.worker, "/milestone 1 done 1")
    assert "里程碑完成" in await cast.group.next_reply()
    harness.clock.advance(timedelta(days=12))
    await cast.group.say(cast.driver, "/topic 1")
    page = (await cast.group.next_reply()).text
    assert "认领人：张工" in page and "▓▓▓▓▓▓░░░░ 60%" in page and "施划标线" in page
    assert f"✔ {first} 完成标线施划" in page
    assert f"⚠️ {second} 护栏到货（已逾期 3 天）" in page
    assert "60% 标线完成一半" in page
    for what in ("发布了题目", "认领了题目", "添加了里程碑", "报告了进度"):
        assert what in page


async def test_progress_refusals(cast: Cast) -> None:
    await new_topic(cast)
    await cast.group.say(cast.worker, "/progress 1 50%")
    assert "只有题目 #1 的认领人" in await cast.group.next_reply()
    await claimed(cast)
    for bad, fragment in (
        ("/progress 1 150%", "0 到 100"),
        ("/progress 1", "用法：/progress"),
        ("/progress x 5%", "用法：/progress"),
    ):
        await cast.group.say(cast.worker, bad)
        assert fragment in await cast.group.next_reply()


async def test_progress_as_a_photo_caption_keeps_and_downloads_the_photo(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast)
    await claimed(cast)
    content = harness.world.fake_jpeg(4096)
    await cast.group.send_photo(cast.worker, "/progress 1 30% 基层处理", content=content)
    reply = await cast.group.next_reply()
    assert "30%" in reply and "📷 1 张" in reply
    detail = await stored_topic(harness, cast.group, 1)
    event = next(e for e in detail.events if e.kind == "progress")
    photo = detail.photos[event.id][0]
    db = harness.app.bot_data.db
    assert db is not None

    async def downloaded() -> Photo:
        while True:
            async with db.transaction() as session:
                row = await session.get(Photo, photo.id)
            assert row is not None
            if row.local_path:
                return row
            await asyncio.sleep(0.05)

    row = await asyncio.wait_for(downloaded(), 10)
    assert row.local_path is not None
    assert Path(row.local_path).read_bytes() == content
    assert Path(row.local_path).is_relative_to(harness.config.media.dir)


async def test_a_photo_is_downloaded_even_when_the_bot_was_too_busy_to_start_on_time(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast)
    await claimed(cast)
    await cast.group.send_photo(cast.worker, "/progress 1 30% 基层处理")
    assert "30%" in await cast.group.next_reply()
    # the download is due half a second after the reply; the event loop is held up for
    # two (a loaded machine): the scheduler finds it late, and it must run all the same
    harness.hold_up(2.0)
    await harness.idle()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        paths = list(await session.scalars(select(Photo.local_path)))
    assert len(paths) == 1 and paths[0] is not None and Path(paths[0]).is_file()


async def album_photos(harness: Harness, group: GroupChat, kind: str) -> list[str]:
    db = harness.app.bot_data.db
    assert db is not None
    detail = await stored_topic(harness, group, 1)
    event = next(e for e in detail.events if e.kind == kind)
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Photo.file_unique_id).where(
                Photo.subject_kind == Subject.TOPIC_EVENT, Photo.subject_id == event.id
            )
        )
        return list(rows)


@pytest.mark.parametrize("split", [False, True], ids=["one-batch", "split-batches"])
async def test_album_caption_attaches_every_photo_to_one_entry(
    harness: Harness, cast: Cast, split: bool
) -> None:
    await new_topic(cast)
    await claimed(cast)
    sent = await cast.group.send_album(cast.worker, 4, "/progress 1 80% 护栏安装", split=split)
    reply = await cast.group.next_reply()
    assert "80%" in reply and "📷 4 张" in reply
    await cast.group.expect_silence()
    expected = sorted(m["photo"][-1]["file_unique_id"] for m in sent)
    assert sorted(await album_photos(harness, cast.group, "progress")) == expected
    detail = await stored_topic(harness, cast.group, 1)
    assert [e.kind for e in detail.events].count("progress") == 1


async def test_album_photo_arriving_after_the_entry_joins_it(harness: Harness, cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast)
    first = await cast.group.send_photo(
        cast.worker, "/progress 1 50% 先发两张", media_group_id="777"
    )
    second = await cast.group.send_photo(cast.worker, media_group_id="777")
    assert "50%" in await cast.group.next_reply()  # the album went quiet: acted on
    late = await cast.group.send_photo(cast.worker, media_group_id="777")
    await cast.group.expect_silence()
    expected = sorted(m["photo"][-1]["file_unique_id"] for m in (first, second, late))
    assert sorted(await album_photos(harness, cast.group, "progress")) == expected


async def test_album_without_a_command_is_ignored(harness: Harness, cast: Cast) -> None:
    await cast.group.send_album(cast.worker, 3, "今天的现场照片")
    await harness.idle()  # its quiet time has passed and the album was looked at
    await cast.group.expect_silence()


async def test_edited_progress_does_not_create_a_second_entry(harness: Harness, cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast)
    sent = await cast.group.say(cast.worker, "/progress 1 40% 第一次")
    await cast.group.next_reply()
    await cast.group.edit(cast.worker, sent, "/progress 1 45% 改过的")
    assert "请重新发送 /progress" in await cast.group.next_reply()
    detail = await stored_topic(harness, cast.group, 1)
    assert [e.kind for e in detail.events].count("progress") == 1
    assert detail.topic.progress == 40


# --- result, rating, approval -----------------------------------------------------------


async def submitted(cast: Cast) -> BotMessage:
    await new_topic(cast, "护栏修复 slots:2")
    await claimed(cast, 1, cast.worker)
    await claimed(cast, 1, cast.driver)
    await cast.group.send_album(cast.worker, 2, "/done 1 护栏全部修复，通行恢复")
    result = await cast.group.next_reply()
    assert "提交成果" in result and "护栏全部修复" in result
    return result


async def test_rating_buttons_one_per_member_changeable_not_own(
    harness: Harness, cast: Cast
) -> None:
    result = await submitted(cast)
    assert [b.text for b in result.buttons] == ["⭐1", "⭐2", "⭐3", "⭐4", "⭐5"]
    assert (await cast.group.press(cast.captain, result, "5"))["text"].startswith(
        "你给 #1 打了 5 星"
    )
    changed = await cast.group.press(cast.captain, result, "3")
    assert "已改为 3 星" in changed["text"] and "3.0（1 人）" in changed["text"]
    own = await cast.group.press(cast.driver, result, "5")
    assert "不能给自己打分" in own["text"] and own["show_alert"]
    assert "4.0（2 人）" in (await cast.group.press(cast.secretary, result, "5"))["text"]
    detail = await stored_topic(harness, cast.group, 1)
    assert detail.rating.count == 2 and detail.topic.status == "review"


async def test_forged_and_stale_rating_presses_are_refused_politely(
    harness: Harness, cast: Cast
) -> None:
    result = await submitted(cast)
    emulator = harness.emulator
    raw = emulator.messages[(cast.group.id, result.message_id)]
    forged, _ = emulator.callback_query(cast.captain.user, raw, "rate:9:5")
    other_owner = harness.world.person("别", last_name="群主")
    other = harness.world.group("二班", creator=other_owner, members=(cast.captain,))
    await other.add_bot(by=other_owner)
    await other.next_reply()
    await harness.world.settle()
    # a press in group 2 naming topic 1, which exists only in group 1
    await other.say(other_owner, "/help")
    await other.next_reply()
    sent = await harness.app.bot.send_message(other.id, "x")
    await other.next_reply()
    cross, _ = emulator.callback_query(
        cast.captain.user, emulator.messages[(other.id, sent.message_id)], "rate:1:5"
    )
    await harness.world.settle()
    await emulator.wait_for(
        lambda: forged in emulator.callback_answers and cross in emulator.callback_answers, 5
    )
    assert "没有找到题目 #9" in emulator.callback_answers[forged]["text"]
    assert "没有找到题目 #1" in emulator.callback_answers[cross]["text"]
    await cast.group.say(cast.secretary, "/approve 1 很好")
    assert "验收通过" in await cast.group.next_reply()
    assert "reply_markup" not in emulator.messages[(cast.group.id, result.message_id)]
    # a phone that still shows the old buttons
    stale, _ = emulator.callback_query(cast.captain.user, raw, "rate:1:4")
    await harness.world.settle()
    await emulator.wait_for(lambda: stale in emulator.callback_answers, 5)
    assert "不接受评分" in emulator.callback_answers[stale]["text"]


async def test_done_and_approve_permissions_and_status(cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast)
    await cast.group.say(cast.driver, "/done 1 我来提交")
    assert "只有题目 #1 的认领人" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/approve 1")
    assert "现在是“进行中”" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/done 1 完成")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/approve 1")
    assert "只有本群管理员" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/done 1 再交一次")
    assert "现在是“待评审”" in await cast.group.next_reply()
    for bad in ("/done 1", "/reject 1", "/approve", "/approve x"):
        await cast.group.say(cast.captain, bad)
        assert "用法：" in await cast.group.next_reply()


async def test_reject_sends_the_reason_to_the_claimants_and_back_to_work(
    harness: Harness, cast: Cast
) -> None:
    await submitted(cast)
    worker_chat = cast.worker.private()
    await worker_chat.start()
    await worker_chat.next_reply()
    await cast.group.say(cast.secretary, "/reject 1 缺少整改后照片")
    reply = await cast.group.next_reply()
    assert "退回修改：缺少整改后照片" in reply
    assert "缺少整改后照片" in await worker_chat.next_reply()  # the driver never pressed Start
    detail = await stored_topic(harness, cast.group, 1)
    assert detail.topic.status == "claimed"
    await cast.group.say(cast.worker, "/progress 1 90% 补拍照片")
    assert "90%" in await cast.group.next_reply()


async def test_wall_lists_done_topics_with_rating_and_first_photo(
    harness: Harness, cast: Cast
) -> None:
    result = await submitted(cast)
    await cast.group.press(cast.captain, result, "4")
    await cast.group.say(cast.secretary, "/approve 1 成效明显")
    await cast.group.next_reply()
    await new_topic(cast, "中东桥加固工程")
    await cast.group.say(cast.worker, "/wall")
    wall = await cast.group.next_reply()
    assert "#1 护栏修复" in wall and "中东桥" not in wall
    assert "张工、Chen Driver" in wall and "护栏全部修复，通行恢复" in wall
    assert "★ 4.0（1 人）" in wall and harness.today().isoformat() in wall
    photo = await cast.group.next_reply()
    assert photo.raw.get("photo") and "#1 护栏修复" in photo.text


async def test_wall_when_empty(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/wall")
    assert "成果墙还是空的" in await cast.group.next_reply()


# --- groups, private chat, languages ---------------------------------------------------


async def test_topic_numbers_are_per_group_and_invisible_elsewhere(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast, "一班的题目")
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    await other.say(cast.worker, "/topic 1")
    assert "没有找到题目 #1" in await other.next_reply()
    await other.say(cast.worker, "/claim 1")
    assert "没有找到题目 #1" in await other.next_reply()
    await other.say(owner, "/newtopic 二班的题目")
    assert "#1 二班的题目" in await other.next_reply()
    await cast.group.say(cast.worker, "/topic 1")
    assert "一班的题目" in await cast.group.next_reply()


async def test_progress_from_private_chat_with_one_group(cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast)
    chat = cast.worker.private()
    await chat.send_photo(cast.worker, "/progress 1 70% 在现场")
    assert "已发到“养护一班”" in await chat.next_reply()
    posted = await cast.group.next_reply()
    assert posted.raw.get("photo") and "70%" in posted.text


async def test_private_command_from_someone_in_two_groups_asks_which(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast)
    await claimed(cast)
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    await other.say(cast.worker, "收到")
    await harness.world.settle()
    chat = cast.worker.private()
    await chat.send("/progress 1 55% 从私聊发的")
    question = await chat.next_reply()
    assert "哪个群" in question and {b.text for b in question.buttons} == {"养护一班", "二班"}
    answer = await chat.press(cast.worker, question, "养护一班")
    assert "已发往：养护一班" in answer["text"]
    assert "已发到“养护一班”" in await chat.next_reply()
    assert "55%" in await cast.group.next_reply()
    again = await chat.press(cast.worker, question, "二班")
    assert "过期" in again["text"]
    await other.expect_silence()


async def test_topics_in_english(cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings lang en")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/newtopic Bridge reinforcement")
    assert "New topic" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    assert "claimed topic" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/claim 1")
    assert "is full" in await cast.group.next_reply()
    await cast.group.say(cast.driver, "/progress 1")
    assert "Usage: /progress" in await cast.group.next_reply()


async def test_help_lists_topic_commands(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/help")
    reply = await cast.group.next_reply()
    assert "领题解题" in reply and "/claim" in reply and "/newtopic" not in reply


async def test_roster_shows_claimed_topics(cast: Cast) -> None:
    await new_topic(cast, "甲")
    await new_topic(cast, "乙")
    await claimed(cast, 1)
    await claimed(cast, 2)
    await cast.group.say(cast.worker, "/members")
    line = next(x for x in (await cast.group.next_reply()).text.splitlines() if "张工" in x)
    assert "题目 #1 #2" in line


async def test_unknown_button_is_still_answered(harness: Harness, cast: Cast) -> None:
    sent = await harness.app.bot.send_message(cast.group.id, "旧消息")
    await cast.group.next_reply()
    query_id, _ = harness.emulator.callback_query(
        cast.worker.user, harness.emulator.messages[(cast.group.id, sent.message_id)], "old:format"
    )
    await harness.world.settle()
    await harness.emulator.wait_for(lambda: query_id in harness.emulator.callback_answers, 5)
    assert "按钮已失效" in harness.emulator.callback_answers[query_id]["text"]


async def test_failed_photo_download_is_retried_and_never_blocks_the_reply(
    harness: Harness, cast: Cast
) -> None:
    await new_topic(cast)
    await claimed(cast)
    harness.emulator.fail("getFile", 502)
    await cast.group.send_photo(cast.worker, "/progress 1 20% 开工")
    assert "20%" in await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None

    async def photo_row() -> Photo:
        async with db.transaction() as session:
            rows = list(await session.scalars(select(Photo)))
        assert len(rows) == 1
        return rows[0]

    for _ in range(100):
        if (await photo_row()).download_attempts:
            break
        await asyncio.sleep(0.05)
    failed = await photo_row()
    assert failed.download_attempts == 1 and failed.local_path is None and failed.download_error
    job_queue = harness.app.job_queue
    assert job_queue is not None
    (retry,) = job_queue.get_jobs_by_name("photo-downloads")
    await retry.run(harness.app)  # the minute's retry, without waiting a minute
    assert (await photo_row()).local_path is not None


async def test_done_from_private_chat_posts_photos_then_the_rating_buttons(cast: Cast) -> None:
    await new_topic(cast)
    await claimed(cast)
    chat = cast.worker.private()
    await chat.send_photo(cast.worker, "/done 1 私聊提交的成果")
    photo = await cast.group.next_reply()
    assert photo.raw.get("photo") and not photo.text
    ask = await cast.group.next_reply()
    assert "私聊提交的成果" in ask and [b.text for b in ask.buttons][-1] == "⭐5"
    assert "已发到“养护一班”" in await chat.next_reply()


async def test_wall_without_web_pages_has_no_button_and_answers_bad_arguments(
    cast: Cast,
) -> None:
    await cast.group.say(cast.worker, "/wall")
    empty = await cast.group.next_reply()
    assert "成果墙还是空的" in empty and not empty.buttons
    await cast.group.say(cast.worker, "/wall 全部 给我")
    assert "/wall link reset" in await cast.group.next_reply()  # the usage line
    await cast.group.say(cast.captain, "/wall poster")
    assert "没有开启" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/wall link reset")
    assert "没有开启" in await cast.group.next_reply()
    chat = cast.worker.private()
    await chat.send("/wall")
    assert "没有开启" in await chat.next_reply()
