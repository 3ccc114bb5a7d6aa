"""Every update the emulator emits, every result it returns and every call the bot makes
conforms to ../shared/telegram-bot-api/api.json."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

from tests.api_spec import API_JSON, check_call, check_object, check_result
from tests.conftest import Cast, Harness

pytestmark = pytest.mark.skipif(
    not API_JSON.exists(),
    reason=f"{API_JSON} is absent: the Bot API spec is needed to check shapes",
)


async def play_everything(harness: Harness, cast: Cast) -> None:
    """A session that makes the emulator emit every kind of update it knows."""
    group, world = cast.group, harness.world
    await group.say(cast.worker, "/help")
    await group.next_reply()
    await group.say(cast.captain, "/settings@vanguard_bot")
    await group.next_reply()
    await group.send_photo(cast.worker, caption="/report S272 K93+520 护栏缺损")
    assert "#1" in await group.next_reply()
    await group.send_album(cast.worker, 3, caption="整改前", split=True)
    await group.send_location(cast.worker, 23.1291, 113.2644)
    assert "添加位置" in await group.next_reply()
    await group.send_document(cast.worker, "台账.xlsx", b"PK\x03\x04", "application/vnd.ms-excel")
    sent = await group.say(cast.worker, "@zhang_gong 请处理 /issues")
    await group.edit(cast.worker, sent, "@zhang_gong 请尽快处理")
    newcomer = world.person("赵", last_name="新", username="zhao_xin")
    await group.join(newcomer)
    await group.next_reply()
    await group.leave(newcomer)
    private = cast.worker.private()
    await private.start("help")
    await private.next_reply()
    await private.send("/profile joined 2008-07-01")
    await private.next_reply()
    await private.send("/wall")  # the Mini App's web_app button
    assert (await private.next_reply()).buttons[0].web_app
    await world.settle()
    # a button press on a bot message, and what the bot itself sends with photos
    bot = harness.app.bot
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("认领", callback_data="claim:1")]])
    message = await bot.send_message(group.id, "题目 #1", reply_markup=markup)
    shown = await group.next_reply()
    assert shown.message_id == message.message_id
    query_id, _ = harness.emulator.callback_query(
        cast.worker.user, harness.emulator.messages[(group.id, message.message_id)], "claim:1"
    )
    await world.settle()
    await bot.send_photo(group.id, world.fake_jpeg(), caption="整改后")
    await bot.send_media_group(group.id, [InputMediaPhoto(world.fake_jpeg()) for _ in range(2)])
    await bot.send_document(group.id, b"PK\x03\x04", filename="register.xlsx")
    await bot.edit_message_text(
        "题目 #1（已认领）", chat_id=group.id, message_id=message.message_id
    )
    await bot.get_chat(group.id)
    await bot.get_chat_member(group.id, cast.worker.id)
    user_photo = next(
        u for u in harness.emulator.emitted_updates if "photo" in u.get("message", {})
    )
    await bot.get_file(user_photo["message"]["photo"][-1]["file_id"])
    await group.replies(4)
    # a topic's life and an inspection issue, for the calls the features make
    await group.say(cast.captain, "/newtopic 中东桥加固工程")
    created = await group.next_reply()
    await group.press(cast.worker, created, "认领")
    await group.next_reply()
    await group.send_photo(cast.worker, "/done 1 加固完成")
    result = await group.next_reply()
    await group.press(cast.captain, result, "5")
    await group.say(cast.secretary, "/approve 1")
    await group.next_reply()
    await group.say(cast.worker, "/topic 1")
    await group.replies(2)
    await group.say(cast.worker, "/wall")  # the page's url button, then the photo
    assert (await group.next_reply()).buttons[0].url
    await group.next_reply()
    await group.send_album(cast.worker, 2, "/report S272 K93+600 标线模糊")
    await group.next_reply()
    await group.say(cast.worker, "/fixed 2")
    await group.next_reply()
    await group.send_photo(cast.worker)
    await group.next_reply()
    await group.say(cast.worker, "/issue 2")
    await group.replies(4)
    await group.say(cast.secretary, "/export issues")
    await group.next_reply()
    supergroup = await group.migrate(by=cast.secretary)
    await world.settle()
    await supergroup.say(cast.worker, "/help")
    await supergroup.next_reply()
    await group.remove_bot(by=cast.secretary)
    await world.settle()
    assert query_id


@pytest.mark.web
async def test_emitted_updates_conform(harness: Harness, cast: Cast) -> None:
    await play_everything(harness, cast)
    kinds: set[str] = set()
    problems: list[str] = []
    for update in harness.emulator.emitted_updates:
        kinds.update(k for k in update if k != "update_id")
        problems += check_object(update, "Update", f"update {update['update_id']}")
    assert not problems, "\n".join(problems[:20])
    assert {"message", "edited_message", "callback_query", "my_chat_member"} <= kinds


@pytest.mark.web
async def test_calls_and_results_conform(harness: Harness, cast: Cast) -> None:
    await play_everything(harness, cast)
    methods = set()
    problems: list[str] = []
    for call in harness.emulator.calls:
        methods.add(call.method)
        problems += check_call(call.method, call.params, call.files)
        if call.finished:
            problems += check_result(call.method, call.result)
    assert not problems, "\n".join(problems[:20])
    assert {
        "getMe",
        "deleteWebhook",
        "getUpdates",
        "sendMessage",
        "setMyCommands",
        "getChatAdministrators",
        "sendPhoto",
        "sendMediaGroup",
        "sendDocument",
        "editMessageText",
        "getChat",
        "getChatMember",
        "getFile",
    } <= methods
    assert any("web_app" in str(call.params.get("reply_markup")) for call in harness.emulator.calls)


def test_the_checker_catches_bad_shapes() -> None:
    assert check_object({"update_id": "1"}, "Update", "u")
    assert check_object({"message_id": 1, "date": 0, "chat": {"id": 1}}, "Message", "m")
    assert check_object(
        {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "colour": 1},
        "Message",
        "m",
    )
    assert check_call("sendMessage", {"chat_id": "1"}, {})
    assert check_call("sendHologram", {}, {})
    assert check_call(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": 1}'}, {}
    )
    assert not check_call("sendMessage", {"chat_id": "1", "text": "x"}, {})
    assert check_result("getUpdates", None)
