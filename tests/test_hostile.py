"""What a hostile or careless member tries: other groups' people and buttons, numbers
past the database's range, text past Telegram's limits, control characters, formulas in
the register, malformed roads and stakes, invisible names, a redelivered refusal, and
commands addressed to another bot. Each test first reproduced the fault it guards."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from domain.text import LIMITS
from emulator.scenario import GroupChat, Person
from storage import issue_reads
from storage import milestones as milestone_store
from storage import topics as topic_store
from storage.groups import get_group
from storage.models import Issue, Member, Topic
from tests.conftest import Cast, Harness, li_ming_wei

LONG = "长" * 4080


async def second_group(harness: Harness, cast: Cast) -> tuple[GroupChat, Person]:
    """Another group with the bot, whose member has set a private name."""
    world = harness.world
    outsider = world.person("外", last_name="人", username="g2_member")
    boss = world.person("二", last_name="组长", username="g2_boss")
    group = world.group("养护二班", creator=boss, members=(outsider,))
    await group.add_bot(by=boss)
    await group.next_reply()
    await group.say(outsider, "/members")
    await group.next_reply()
    private = outsider.private()
    await private.start()
    await private.next_reply()
    await private.send("/profile name 王秘密")
    await private.next_reply()
    return group, outsider


async def rows(harness: Harness, model: type[Issue] | type[Topic], chat_id: int) -> list[object]:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, chat_id)
        assert group is not None
        if model is Issue:
            found = await issue_reads.list_page(
                session, group.id, "all", 0, harness.today(), offset=0, limit=10**6
            )
            return [issue for issue, _ in found]
        return list(await topic_store.list_topics(session, group.id))


# --- 1, 2: one group never sees or touches another's people and data -------------------


async def test_assign_refuses_a_person_who_is_only_in_another_group(
    harness: Harness, cast: Cast
) -> None:
    await second_group(harness, cast)
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/assign 1 @g2_member")
    reply = (await cast.group.next_reply()).text
    assert "不认识 @g2_member" in reply and "王秘密" not in reply
    issue = (await rows(harness, Issue, cast.group.id))[0]
    assert isinstance(issue, Issue) and issue.assignee_id is None


async def test_release_refuses_a_person_who_is_only_in_another_group(
    harness: Harness, cast: Cast
) -> None:
    await second_group(harness, cast)
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/release 1 @g2_member")
    reply = (await cast.group.next_reply()).text
    assert "不认识" in reply and "王秘密" not in reply


async def test_forged_page_button_cannot_show_another_groups_list(
    harness: Harness, cast: Cast
) -> None:
    other, outsider = await second_group(harness, cast)
    await other.say(outsider, "/report S9 K1+000 二班的秘密问题")
    await other.next_reply()
    cast.group.chat.members[outsider.id] = "member"  # a member of both groups
    await cast.group.say(outsider, "/issues all")
    listing = await cast.group.next_reply()
    forged = [f"iss:{internal}:all:0" for internal in (1, 2, 3)]  # the old shape, G2's id
    forged += [f"iss:all:0:{other.id}", "iss:all:0:1", "iss:all:99999999999:0", "iss:", ""]
    for data in forged:
        answer = await cast.group.press_data(outsider, listing, data)
        assert answer.get("show_alert") is True, data
    shown = harness.emulator.messages[(cast.group.id, listing.message_id)]["text"]
    assert "秘密" not in shown


async def test_page_buttons_still_page_in_group_and_private(harness: Harness, cast: Cast) -> None:
    for km in range(25):
        await cast.group.say(cast.worker, f"/report S272 K{km}+000 坑槽{km}")
        await cast.group.next_reply()
    await cast.group.say(cast.worker, "/issues all")
    listing = await cast.group.next_reply()
    await cast.group.press(cast.worker, listing, "下一页 ▶")
    edited = harness.emulator.messages[(cast.group.id, listing.message_id)]["text"]
    assert "坑槽24" in edited and "2/2" in edited
    private = cast.worker.private()
    await private.send("/issues all")
    mine = await private.next_reply()
    await private.press(cast.worker, mine, "下一页 ▶")
    edited = harness.emulator.messages[(private.id, mine.message_id)]["text"]
    assert "坑槽24" in edited


async def test_repr_of_the_application_and_bot_hides_the_token(harness: Harness) -> None:
    token = harness.emulator.token
    secret = token.split(":", 1)[1]
    for shown in (repr(harness.app), repr(harness.app.bot), str(harness.app.bot)):
        assert secret not in shown and "***" in shown


# --- 4: numbers past the database's range ----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "/claim 99999999999999999999",
        "/topic 2147483648",
        "/release 9223372036854775808",
        "/milestone 99999999999999999999 2030-01-01 x",
        "/progress 2147483648 50%",
        "/approve 2147483648",
        "/issue 13800138000",
        "/fixed 13800138000",
        "/verify 13800138000",
        "/verify 1 dup:99999999999999999999",
    ],
)
async def test_numbers_past_the_integer_range_are_no_such_number(
    harness: Harness, cast: Cast, command: str
) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.say(cast.secretary, command)
    assert "没有找到" in (await cast.group.next_reply()).text


@pytest.mark.parametrize(
    "data", ["claim:99999999999999999999", "rate:2147483648:5", "pick:99999999999:1", "claim:"]
)
async def test_buttons_with_huge_or_empty_numbers_are_answered(
    harness: Harness, cast: Cast, data: str
) -> None:
    await cast.group.say(cast.worker, "/help")
    message = await cast.group.next_reply()
    answer = await cast.group.press_data(cast.worker, message, data)
    assert answer.get("text") and "错误编号" not in answer["text"]  # an answer, not a crash


# --- 5, 6: long text is refused at the door, and no stored text breaks a view -----------


async def test_overlong_milestone_is_refused_with_usage_and_limit(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/milestone 1 {harness.day(3)} {'步' * 4070}")
    reply = (await cast.group.next_reply()).text
    assert f"最多 {LIMITS['milestone']} 个字" in reply and "用法：/milestone" in reply
    await cast.group.say(cast.captain, "/topic 1")
    assert "中东桥加固" in (await cast.group.next_reply()).text


@pytest.mark.parametrize(
    ("command", "field"),
    [
        ("/reject 1 {text}", "reason"),
        ("/done 1 {text}", "result"),
        ("/approve 1 {text}", "comment"),
    ],
)
async def test_overlong_topic_texts_are_refused(
    harness: Harness, cast: Cast, command: str, field: str
) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.secretary, command.format(text="字" * 4085))
    reply = (await cast.group.next_reply()).text
    assert f"最多 {LIMITS[field]} 个字" in reply and len(reply) <= 4096


async def test_views_of_the_longest_stored_texts_fit_in_messages(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固 | " + "说" * LIMITS["description"])
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    for _ in range(6):
        await cast.group.say(
            cast.worker, f"/milestone 1 {harness.day(5)} {'步' * LIMITS['milestone']}"
        )
        await cast.group.next_reply()
        await cast.group.say(cast.worker, f"/progress 1 10% {'进' * LIMITS['note']}")
        await cast.group.next_reply()
    await cast.group.say(cast.worker, f"/done 1 {'果' * LIMITS['result']}")
    await cast.group.next_reply()
    await cast.group.say(cast.secretary, f"/reject 1 {'因' * LIMITS['reason']}")
    await cast.group.next_reply()
    for claimant in (cast.worker,):
        await claimant.private().expect_silence()
    await cast.group.say(cast.worker, "/topic 1")
    await harness.world.settle()
    unread = [m for chat, m in harness.emulator.unread() if chat == cast.group.id]
    pages = await cast.group.replies(len(unread))
    assert len(pages) >= 3 and all(len(p.text) <= 4096 for p in pages)
    assert "果" in "".join(p.text for p in pages)


async def test_text_stored_before_the_limits_still_shows(harness: Harness, cast: Cast) -> None:
    """Rows written before the limits existed (or by hand) must not break a view."""
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        topic = await topic_store.get_topic(session, group.id, 1)
        topic.description = "<说明>&" * 1400  # 5,600 characters on one line
        for _ in range(20):  # 300 is what the column holds; twenty of them fill two pages
            await milestone_store.add_milestone(
                session, topic, harness.today(), "步" * 300, cast.captain.id, harness.clock.now()
            )
    await cast.group.say(cast.worker, "/topic 1")
    await harness.world.settle()
    unread = [m for chat, m in harness.emulator.unread() if chat == cast.group.id]
    pages = await cast.group.replies(len(unread))
    assert pages and all(len(p.text) <= 4096 for p in pages)
    assert any("步步步" in p.text for p in pages) and any("<说明>&" in p.text for p in pages)


async def test_fixed_with_an_overlong_note_is_refused_and_issue_still_shows(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.send_photo(cast.worker, caption=f"/fixed 1 {'修' * 4085}")
    reply = (await cast.group.next_reply()).text
    assert f"最多 {LIMITS['comment']} 个字" in reply
    await cast.group.say(cast.worker, "/issue 1")
    assert "坑槽" in (await cast.group.next_reply()).text


async def test_error_reply_quotes_only_an_excerpt(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, f"/progress 1 {LONG}")
    reply = (await cast.group.next_reply()).text
    assert "用法：/progress" in reply and len(reply) < 400


# --- 7, 8: the register is always exportable, and text never runs as a formula ----------


async def export_sheet(cast: Cast, harness: Harness) -> list[tuple[object, ...]]:
    await cast.group.say(cast.secretary, "/export issues")
    document = await cast.group.next_reply()
    file_id = document.raw["document"]["file_id"]
    content = harness.emulator.files[file_id].content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [tuple(c for c in row) for row in sheet.iter_rows(min_row=2)]


async def test_control_characters_are_cleaned_and_the_register_exports(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/report S272 K2+000 a\x0bb\x00c\u202ed")
    assert "a b" in (await cast.group.next_reply()).text
    cells = await export_sheet(cast, harness)
    description = cells[0][5]
    assert getattr(description, "value", None) == "a bcd"


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil.example","点我")', "=1+1", "@SUM(A1)", "+1+2", "-3+4"]
)
async def test_formulas_are_written_as_text(harness: Harness, cast: Cast, text: str) -> None:
    await cast.group.say(cast.worker, f"/report S272 K1+000 {text}")
    await cast.group.next_reply()
    cell = (await export_sheet(cast, harness))[0][5]
    assert getattr(cell, "value", None) == text
    assert getattr(cell, "data_type", None) == "s"


# --- 9, 10: malformed places and invisible names get a clear reply -----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S99999 K1+000 x", "路线编号“S99999”格式不对"),
        ("S272 K-1+000 x", "桩号“K-1+000”格式不对"),
        ("K93+520 坑槽", "前面要写路线"),
    ],
)
async def test_malformed_road_or_stake_is_refused(
    harness: Harness, cast: Cast, text: str, expected: str
) -> None:
    await cast.group.say(cast.worker, f"/report {text}")
    reply = (await cast.group.next_reply()).text
    assert expected in reply and "用法：/report" in reply
    assert await rows(harness, Issue, cast.group.id) == []


async def test_invisible_topic_title_is_refused(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/newtopic \u200b\u200b\u2060")
    assert "用法：/newtopic" in (await cast.group.next_reply()).text
    assert await rows(harness, Topic, cast.group.id) == []


@pytest.mark.parametrize("name", ["\u200b\u200b", "a\nb", "a\u2028b"])
async def test_invisible_or_multiline_profile_name_is_refused(
    harness: Harness, cast: Cast, name: str
) -> None:
    private = cast.worker.private()
    await private.start()
    await private.next_reply()
    await private.send(f"/profile name {name}")
    assert "用法：/profile" in (await private.next_reply()).text
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        member = await session.get(Member, cast.worker.id)
    assert member is not None and member.real_name is None


async def test_position_off_the_earth_is_refused(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.send_location(cast.worker, 91, 181)
    assert "不在地球上" in (await cast.group.next_reply()).text
    issue = (await rows(harness, Issue, cast.group.id))[0]
    assert isinstance(issue, Issue) and issue.latitude is None


# --- 11, 12: a redelivered refusal is silent; other bots' commands are not ours ----------


async def test_redelivered_refusal_is_answered_once(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/approve 1")
    assert "管理员" in (await cast.group.next_reply()).text
    update = harness.emulator.emitted_updates[-1]
    assert update["message"]["text"] == "/approve 1"
    await harness.world.settle()  # confirmed, as after a crash it would have been
    harness.emulator.redeliver(update)
    await cast.group.expect_silence()


@pytest.mark.parametrize("where", ["group", "private"])
async def test_command_for_another_bot_is_ignored(harness: Harness, cast: Cast, where: str) -> None:
    chat = cast.group if where == "group" else cast.worker.private()
    await chat.say(cast.worker, "/claim@otherbot 2")
    await chat.say(cast.worker, "/nosuch@otherbot")
    await chat.expect_silence()


# --- 13, 14, 16, 17: newcomer friction ---------------------------------------------------


def test_demo_transcript_is_printed_as_it_goes(capsys: pytest.CaptureFixture[str]) -> None:
    from emulator.scenario import Transcript

    transcript = Transcript(echo=True)
    transcript.append("[群] 张工: /help")
    assert capsys.readouterr().out == "[群] 张工: /help\n"
    transcript.extend(["a", "b"])
    assert capsys.readouterr().out == "a\nb\n" and list(transcript) == [
        "[群] 张工: /help",
        "a",
        "b",
    ]


async def test_settings_point_to_how_the_briefings_went_out(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings")
    shown = (await cast.group.next_reply()).text
    assert "/briefing status" in shown and "尚未上线" not in shown


async def test_group_help_is_short_with_a_button_to_the_full_help(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    reply = await cast.group.next_reply()
    assert len(reply.text.splitlines()) <= 8 and "/claim" in reply and "/settings" not in reply
    assert reply.button("私聊").url == "https://t.me/vanguard_bot?start=help"
    private = cast.worker.private()
    await private.start("help")
    full = (await private.next_reply()).text
    assert "/claim 编号" in full and "/settings" in full and "管理员" in full


@pytest.mark.parametrize(
    ("word", "expected", "absent"),
    [
        ("领题", "/claim 编号", "/report"),
        ("问题", "类别:护栏", "/claim"),
        ("claim", "/claim 编号", "/report"),
        ("/issues", "全部", "/claim"),
    ],
)
async def test_help_for_one_section_or_command(
    harness: Harness, cast: Cast, word: str, expected: str, absent: str
) -> None:
    await cast.group.say(cast.worker, f"/help {word}")
    reply = (await cast.group.next_reply()).text
    assert expected in reply and absent not in reply


async def test_help_with_an_unknown_word_shows_usage(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/help 天气")
    assert "用法：/help" in (await cast.group.next_reply()).text


@pytest.mark.parametrize(
    ("word", "shown"), [("全部", "全部"), ("未完成", "未销号"), ("逾期", "逾期")]
)
async def test_issue_list_takes_chinese_keywords(
    harness: Harness, cast: Cast, word: str, shown: str
) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, f"/issues {word}")
    assert shown in (await cast.group.next_reply()).text


async def test_a_milestone_nobody_completed_is_not_ticked(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, f"/milestone 1 {harness.day(3)} 完成加固")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/done 1 已完成")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/topic 1")
    page = (await cast.group.next_reply()).text
    assert f"○ {harness.day(3)} 完成加固" in page and "✔" not in page


async def test_chinese_names_take_no_space_and_others_do(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.driver, "/help")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/members")
    roster = (await cast.group.next_reply()).text
    assert "王书记" in roster and "张工" in roster and "Chen Driver" in roster


# --- the same classes of fault, found elsewhere on a second look -------------------------


def one_batch(
    harness: Harness, group: GroupChat, *messages: tuple[Person, dict[str, object]]
) -> None:
    """Push several messages before the bot fetches: they arrive in one getUpdates batch."""
    for person, content in messages:
        message = harness.emulator.user_message(group.chat, person.user, **content)  # type: ignore[arg-type]
        harness.world.log_user(group, person, message)
        harness.emulator.push("message", message)


async def test_a_chat_s_updates_are_handled_in_order(harness: Harness, cast: Cast) -> None:
    one_batch(
        harness,
        cast.group,
        (cast.captain, {"text": "/newtopic 中东桥加固"}),
        (cast.worker, {"text": "/claim 1"}),
        (cast.worker, {"text": "/report S272 K1+000 坑槽"}),
        (cast.worker, {"location": {"latitude": 23.02, "longitude": 113.75}}),
    )
    replies = [r.text for r in await cast.group.replies(4)]
    assert "新题目 #1" in replies[0] and "认领了题目 #1" in replies[1]
    assert "问题 #1 已登记" in replies[2] and "已为问题 #1" in replies[3]


async def test_a_location_after_an_album_report_joins_that_report(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 a")
    await cast.group.next_reply()
    await cast.group.send_location(cast.worker, 23.01, 113.75)
    await cast.group.next_reply()
    await cast.group.send_album(cast.worker, 2, "/report S272 K1+300 b")
    await cast.group.send_location(cast.worker, 23.02, 113.76)
    replies = [r.text for r in await cast.group.replies(2)]
    assert "问题 #2 已登记" in replies[0] and "已为问题 #2" in replies[1]
    issues = await rows(harness, Issue, cast.group.id)
    located = {i.number: i.latitude for i in issues if isinstance(i, Issue)}
    assert located == {1: 23.01, 2: 23.02}


async def test_commands_sent_anonymously_or_as_a_channel_get_a_clear_reply(
    harness: Harness, cast: Cast
) -> None:
    anonymous = harness.world.person("Group", username="GroupAnonymousBot")
    anonymous.user.is_bot = True
    as_group = cast.group.chat.to_api(harness.emulator.users)
    for text in ("/report S272 K1+000 x", "/claim 1", "/newtopic 匿名题目"):
        await cast.group._send(anonymous, text=text, sender_chat=as_group)
        assert "请用自己的账号" in await cast.group.next_reply()
    assert await rows(harness, Issue, cast.group.id) == []


@pytest.mark.parametrize("zone", ["Asia", "America", "__pycache__", "localtime", "Factory"])
async def test_a_folder_of_the_zone_database_is_no_time_zone(
    harness: Harness, cast: Cast, zone: str
) -> None:
    await cast.group.say(cast.captain, f"/settings timezone {zone}")
    assert "不认识时区" in await cast.group.next_reply()


async def test_wall_captions_escape_titles_that_look_like_html(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/newtopic <b>加固 & <i 桥")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    await cast.group.send_photo(cast.worker, "/done 1 完成")
    await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/approve 1")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/wall")
    wall, photo = await cast.group.replies(2)
    assert "<b>加固 & <i 桥" in wall.text and "<b>加固 & <i 桥" in photo.raw["caption"]


async def test_noncharacters_never_reach_the_register(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坏\ufffe了\uffff")
    await cast.group.next_reply()
    cell = (await export_sheet(cast, harness))[0][5]
    assert getattr(cell, "value", None) == "坏了"


async def test_every_issue_is_on_a_page_whatever_the_names(harness: Harness, cast: Cast) -> None:
    longname = harness.world.person("名" * 64, last_name="姓" * 64, username="long_name")
    cast.group.chat.members[longname.id] = "member"
    for km in range(20):
        await cast.group.say(cast.worker, f"/report S272 K{km}+000 {'🙂' * 60}")
        await cast.group.next_reply()
    await cast.group.say(longname, "/help")
    await cast.group.next_reply()
    for number in range(1, 21):
        await cast.group.say(longname, f"/assign {number} me")
        await cast.group.next_reply()
    await cast.group.say(cast.worker, "/issues")
    page = (await cast.group.next_reply()).text
    assert all(f"#{n} " in page for n in range(1, 21)) and len(page) <= 4096


async def test_a_mention_of_a_name_of_several_words_names_that_person(
    harness: Harness, cast: Cast
) -> None:
    li = await li_ming_wei(harness, cast)
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    text = f"/assign 1 Li Ming Wei {harness.day(3)}"
    entities = [
        {"type": "bot_command", "offset": 0, "length": 7},
        {"type": "text_mention", "offset": 10, "length": 11, "user": li.user.to_api()},
    ]
    await cast.group._send(cast.captain, text=text, entities=entities)
    assert "已指派给 Li Ming Wei" in await cast.group.next_reply()


async def test_hours_of_a_person_named_by_a_mention_of_several_words(
    harness: Harness, cast: Cast
) -> None:
    li = await li_ming_wei(harness, cast)
    entities = [
        {"type": "bot_command", "offset": 0, "length": 6},
        {"type": "text_mention", "offset": 7, "length": 11, "user": li.user.to_api()},
    ]
    await cast.group._send(cast.captain, text="/hours Li Ming Wei", entities=entities)
    assert "Li Ming Wei 的志愿服务时长" in await cast.group.next_reply()


@pytest.mark.parametrize("caption", ["/claim 1", "/help", "/issue 1"])
async def test_a_photo_with_a_command_that_takes_none_is_answered(
    harness: Harness, cast: Cast, caption: str
) -> None:
    await cast.group.send_photo(cast.worker, caption)
    reply = await cast.group.next_reply()
    assert f"{caption.split()[0]} 不带照片" in reply and "{" not in reply


async def test_a_video_with_a_command_is_answered(harness: Harness, cast: Cast) -> None:
    video = {"file_id": "v1", "file_unique_id": "uv1", "width": 1, "height": 1, "duration": 1}
    await cast.group._send(cast.worker, caption="/report S272 K1+000 x", video=video)
    reply = await cast.group.next_reply()
    assert "只能附照片" in reply and "/report 收到的这个文件没有保存" in reply


async def test_an_album_of_image_files_keeps_every_file(harness: Harness, cast: Cast) -> None:
    album = "13999999999999999"
    for index in range(3):
        document = harness.emulator.document_payload(
            harness.world.fake_jpeg(1000 + index), f"p{index}.jpg", "image/jpeg"
        )
        await cast.group._send(
            cast.worker,
            caption="/report S272 K1+000 护栏" if index == 0 else None,
            document=document,
            media_group_id=album,
        )
    assert "📷 3 张" in await cast.group.next_reply()


async def test_a_member_cannot_take_someone_elses_assignment(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, f"/assign 1 @zhang_gong {harness.day(5)}")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, "/assign 1 me")
    assert "只有管理员可以改派" in await cast.group.next_reply()
    await cast.group.say(cast.captain, "/assign 1 @li_duizhang")
    assert harness.day(5) in await cast.group.next_reply()  # the deadline stays


async def test_a_member_replying_with_release_gives_up_their_own_claim(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.captain, "/newtopic 中东桥加固 slots:2")
    await cast.group.next_reply()
    await cast.group.say(cast.driver, "/claim 1")
    colleague = await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 1")
    await cast.group.next_reply()
    driver_message = harness.emulator.messages[(cast.group.id, colleague.message_id - 1)]
    await cast.group.say(cast.worker, "/release 1", reply_to=driver_message)
    assert "放弃" in await cast.group.next_reply()


async def test_issue_list_takes_a_chinese_road_name(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report 国道325 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/issues 国道325")
    assert "G325 K1+000" in await cast.group.next_reply()


async def test_guided_report_without_a_group_says_so_at_once(harness: Harness) -> None:
    loner = harness.world.person("独", last_name="行")
    private = loner.private()
    await private.send("/report")
    assert "不在任何" in await private.next_reply()


@pytest.mark.parametrize("command", ["/summary 2026-11", "/summary", "/summary 2026-11 xlsx"])
async def test_the_monthly_report_is_for_admins(harness: Harness, cast: Cast, command: str) -> None:
    await cast.group.say(cast.worker, command)
    assert "管理员" in await cast.group.next_reply()


async def test_plain_text_and_photos_in_private_get_a_hint(harness: Harness, cast: Cast) -> None:
    private = cast.worker.private()
    await private.send("你好")
    assert "/help" in await private.next_reply()
    await private.send_photo(cast.worker)
    assert "/report" in await private.next_reply()


async def test_help_texts_carry_no_escaped_newlines(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "/help")
    assert "\\n" not in (await cast.group.next_reply()).text
