"""The Telegram emulator, driven by python-telegram-bot's own Bot over both transports."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from emulator import TelegramEmulator
from emulator.limits import FloodLimits
from emulator.markup import detect_entities, parse_html
from emulator.server import EmulatorServer
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest


@pytest_asyncio.fixture(params=["in-process", "http"])
async def tg(request: pytest.FixtureRequest) -> AsyncIterator[tuple[TelegramEmulator, Bot]]:
    """An emulator and a PTB Bot talking to it in-process or over HTTP on 127.0.0.1."""
    emulator = TelegramEmulator()
    server: EmulatorServer | None = None
    if request.param == "http":
        server = EmulatorServer(emulator)
        await server.start()
        bot = Bot(
            emulator.token,
            base_url=server.api_base_url,
            base_file_url=server.file_base_url,
            request=HTTPXRequest(read_timeout=2.0),
            get_updates_request=HTTPXRequest(read_timeout=2.0),
        )
    else:
        bot = Bot(
            emulator.token,
            base_url=IN_PROCESS_API,
            base_file_url=IN_PROCESS_FILES,
            request=EmulatorRequest(emulator),
            get_updates_request=EmulatorRequest(emulator),
        )
    await bot.initialize()
    try:
        yield emulator, bot
    finally:
        await bot.shutdown()
        if server is not None:
            await server.stop()


def group_with_bot(emulator: TelegramEmulator) -> int:
    creator = emulator.add_user("王")
    chat = emulator.add_group("养护一班", creator=creator)
    chat.members[emulator.bot.id] = "member"
    return chat.id


async def test_get_me_is_the_token_owner(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    assert bot.id == int(emulator.token.split(":")[0])
    assert bot.username == "vanguard_bot"
    assert emulator.calls[0].method == "getMe"


async def test_wrong_token_is_invalid(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    emulator.token = "1000001:OTHER"
    with pytest.raises(InvalidToken):
        await bot.get_me()


async def test_unknown_method_is_a_clear_400_not_404(tg: tuple[TelegramEmulator, Bot]) -> None:
    _, bot = tg
    with pytest.raises(BadRequest, match=r"(?i)sendHologram.*not implemented"):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})


async def test_send_message_to_a_group_and_read_it_back(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("认领", callback_data="claim:1")]])
    sent = await bot.send_message(
        chat_id, "<b>题目 #1</b> 中东桥", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text == "题目 #1 中东桥"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    unread = emulator.take_unread(chat_id)
    assert unread is not None and unread["text"] == "题目 #1 中东桥"
    assert emulator.take_unread(chat_id) is None


async def test_text_is_never_json_decoded(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    sent = await bot.send_message(chat_id, "123")
    assert sent.text == "123"
    emulator.take_unread(chat_id)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("x" * 4097, "message is too long", id="too-long"),
        pytest.param("<b>open", "Can't parse entities", id="bad-html"),
        pytest.param("<blink>x</blink>", "unsupported start tag", id="unknown-tag"),
    ],
)
async def test_bad_messages_are_refused_like_telegram(
    tg: tuple[TelegramEmulator, Bot], text: str, error: str
) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    with pytest.raises(BadRequest, match=r"(?i)" + error):
        await bot.send_message(chat_id, text, parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_refused(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="题" * 22)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(chat_id, "x", reply_markup=markup)


async def test_web_app_buttons_are_https_and_private_only_and_open_signed(
    tg: tuple[TelegramEmulator, Bot],
) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    app = InlineKeyboardMarkup(
        [[InlineKeyboardButton("墙", web_app=WebAppInfo("https://w.test/app"))]]
    )
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_TYPE_INVALID"):
        await bot.send_message(chat_id, "x", reply_markup=app)
    user = emulator.add_user("张")
    chat = emulator.private_chat(user)
    emulator.push("message", emulator.user_message(chat, user, text="/start"))
    plain = InlineKeyboardMarkup(
        [[InlineKeyboardButton("墙", web_app=WebAppInfo("http://w.test/app"))]]
    )
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_URL_INVALID"):
        await bot.send_message(user.id, "x", reply_markup=plain)
    sent = await bot.send_message(user.id, "x", reply_markup=app)
    emulator.take_unread(user.id)
    launch = emulator.open_web_app(user.id, emulator.messages[(user.id, sent.message_id)], "墙")
    address, fragment = launch.split("#", 1)
    assert address == "https://w.test/app"
    data = dict(parse_qsl(dict(parse_qsl(fragment))["tgWebAppData"]))
    given = data.pop("hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(data.items()))
    key = hmac.new(b"WebAppData", emulator.token.encode(), hashlib.sha256).digest()
    assert hmac.new(key, check.encode(), hashlib.sha256).hexdigest() == given
    assert json.loads(data["user"])["id"] == user.id


async def test_private_chat_needs_start_and_blocking_is_403(
    tg: tuple[TelegramEmulator, Bot],
) -> None:
    emulator, bot = tg
    user = emulator.add_user("张")
    chat = emulator.private_chat(user)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(user.id, "你好")
    emulator.push("message", emulator.user_message(chat, user, text="/start"))
    await bot.send_message(user.id, "你好")
    emulator.take_unread(user.id)
    chat.bot_blocked = True
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(user.id, "你好")


async def test_not_a_member_of_the_group_is_403(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat = emulator.add_group("别的群")
    with pytest.raises(Forbidden):
        await bot.send_message(chat.id, "hi")


async def test_injected_faults(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    emulator.fail("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id, "a")
    assert caught.value.retry_after == timedelta(seconds=3)
    emulator.fail("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(chat_id, "b")
    emulator.fail("sendMessage", 403)
    with pytest.raises(Forbidden):
        await bot.send_message(chat_id, "c")
    emulator.fail("*", 502)
    with pytest.raises(NetworkError):
        await bot.send_message(chat_id, "d")
    emulator.fail("sendMessage", timeout=True, delay=3.0)
    with pytest.raises(TimedOut):
        await bot.send_message(chat_id, "e")
    assert (await bot.send_message(chat_id, "f")).text == "f"
    emulator.take_unread(chat_id)
    assert emulator.unread() == []


async def test_migrated_group_answers_with_the_new_id(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    emulator.chats[chat_id].migrated_to = -1001234
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(chat_id, "hi")
    assert caught.value.new_chat_id == -1001234


async def test_long_poll_wakes_on_push_and_offset_confirms(
    tg: tuple[TelegramEmulator, Bot],
) -> None:
    emulator, bot = tg
    user = emulator.add_user("张")
    chat = emulator.private_chat(user)

    async def later() -> None:
        await asyncio.sleep(0.2)  # real time: the long poll must be waiting when it comes
        emulator.push("message", emulator.user_message(chat, user, text="/start"))

    pusher = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    began = loop.time()
    updates = await bot.get_updates(timeout=5)
    waited = loop.time() - began
    await pusher
    assert [u.message.text for u in updates if u.message] == ["/start"]
    assert waited < 4
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]  # not confirmed yet
    confirmed = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert confirmed == ()
    assert emulator.confirmed_offset == updates[0].update_id + 1


async def test_allowed_updates_persist_between_calls(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    user = emulator.add_user("张")
    chat = emulator.private_chat(user)
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    emulator.push("message", emulator.user_message(chat, user, text="hi"))
    assert await bot.get_updates(timeout=0) == ()


async def test_commands_and_mentions_get_entities() -> None:
    text = "/claim@vanguard_bot 3 交给 @zhang_gong"
    entities = detect_entities(text)
    assert entities[0] == {"type": "bot_command", "offset": 0, "length": 19}
    assert entities[1]["type"] == "mention"
    assert parse_html("a &lt; <i>b</i>") == (
        "a < b",
        [{"type": "italic", "offset": 4, "length": 1}],
    )


async def test_photo_upload_get_file_and_download(
    tg: tuple[TelegramEmulator, Bot], tmp_path: Path
) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    content = b"\xff\xd8\xff" + b"photo-bytes" * 100
    sent = await bot.send_photo(chat_id, content, caption="整改前")
    emulator.take_unread(chat_id)
    largest = sent.photo[-1]
    assert [p.width for p in sent.photo] == sorted(p.width for p in sent.photo)
    file = await bot.get_file(largest.file_id)
    target = tmp_path / "after.jpg"
    await file.download_to_drive(target)
    assert target.read_bytes() == content


async def test_big_files_cannot_be_downloaded(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    user = emulator.add_user("张")
    document = emulator.document_payload(b"x" * (20 * 1024 * 1024 + 1), "big.mp4", "video/mp4")
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(document["file_id"])
    assert user.id in emulator.users


async def test_media_group_and_its_limits(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    photos = [InputMediaPhoto(b"\xff\xd8" + bytes([i]) * 50) for i in range(3)]
    sent = await bot.send_media_group(chat_id, photos, caption="整改前后")
    assert len(sent) == 3
    assert len({m.media_group_id for m in sent}) == 1
    for _ in sent:
        emulator.take_unread(chat_id)
    with pytest.raises(BadRequest, match=r"(?i)2-10"):
        await bot.send_media_group(chat_id, photos[:1])


async def test_edit_and_not_modified(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    sent = await bot.send_message(chat_id, "进度 10%")
    emulator.take_unread(chat_id)
    edited = await bot.edit_message_text("进度 60%", chat_id=chat_id, message_id=sent.message_id)
    assert (
        isinstance(edited, object)
        and emulator.messages[(chat_id, sent.message_id)]["text"] == "进度 60%"
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("进度 60%", chat_id=chat_id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=chat_id, message_id=999)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("1", callback_data="r:1")]])
    await bot.edit_message_reply_markup(
        chat_id=chat_id, message_id=sent.message_id, reply_markup=markup
    )
    assert emulator.messages[(chat_id, sent.message_id)]["reply_markup"]["inline_keyboard"]
    assert await bot.delete_message(chat_id, sent.message_id)


async def test_callback_queries_are_answered_once(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    user = emulator.add_user("张")
    sent = await bot.send_message(
        chat_id,
        "x",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("认领", callback_data="c:1")]]),
    )
    emulator.take_unread(chat_id)
    query_id, _ = emulator.callback_query(
        user, emulator.messages[(chat_id, sent.message_id)], "c:1"
    )
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.data == "c:1" and query.message is not None
    assert query.message.date.year > 2000  # a real date, not InaccessibleMessage
    assert await query.answer("已认领")
    assert emulator.callback_answers[query_id]["text"] == "已认领"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")


async def test_chat_members_admins_and_commands(tg: tuple[TelegramEmulator, Bot]) -> None:
    emulator, bot = tg
    chat_id = group_with_bot(emulator)
    admin = emulator.add_user("李")
    emulator.chats[chat_id].members[admin.id] = "administrator"
    admins = await bot.get_chat_administrators(chat_id)
    assert sorted(a.status for a in admins) == ["administrator", "creator"]
    member = await bot.get_chat_member(chat_id, admin.id)
    assert member.status == "administrator"
    chat = await bot.get_chat(chat_id)
    assert chat.title == "养护一班"
    assert await bot.set_my_commands([("help", "帮助")])
    assert [c.command for c in await bot.get_my_commands()] == ["help"]


async def test_an_unread_bot_message_fails_the_scenario() -> None:
    from emulator.scenario import World

    emulator = TelegramEmulator()
    world = World(emulator)
    chat_id = group_with_bot(emulator)
    bot = Bot(emulator.token, base_url=IN_PROCESS_API, request=EmulatorRequest(emulator))
    async with bot:
        await bot.send_message(chat_id, "没人看的消息")
    with pytest.raises(AssertionError, match="left unread"):
        world.assert_all_read()
    emulator.take_unread(chat_id)
    world.assert_all_read()


def test_flood_limits_refuse_past_telegrams_windows() -> None:
    now = [0.0]
    limits = FloodLimits(clock=lambda: now[0])
    for _ in range(20):
        assert limits.check("sendMessage", "-100") is None
    assert limits.check("sendMessage", "-100") == 60  # the 21st message this minute
    assert limits.check("getChatAdministrators", "-100") is None  # not a message
    assert limits.check("sendMessage", "7") is None
    assert limits.check("sendMessage", "7") == 1  # one a second in a private chat
    now[0] = 0.5
    for n in range(9):  # 21 counted so far; the overall window holds 30 a second
        assert limits.check("sendMessage", str(100 + n)) is None
    assert limits.check("sendMessage", "200") == 1
    now[0] = 60.0
    assert limits.check("sendMessage", "-100") is None
    assert limits.refused == 3


def test_html_entities_are_decoded_once() -> None:
    assert parse_html("&amp;lt;b&amp;gt; &amp;amp; <b>&lt;</b>") == (
        "&lt;b&gt; &amp; <",
        [{"type": "bold", "offset": 16, "length": 1}],
    )
