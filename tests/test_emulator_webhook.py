"""The emulator's webhook: setWebhook's parameters, and updates posted to the webhook as
Telegram posts them (emulator/webhook.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest

from emulator import TelegramEmulator
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest
from emulator.webhook import SECRET_HEADER, WebhookPusher


class Hook:
    """A webhook on 127.0.0.1 that notes each request and answers as told: 200 unless
    ``failing`` names the update, and only once ``release`` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, str | None]] = []  # (update id, secret header)
        self.in_flight: set[int] = set()
        self.failing: set[int] = set()
        self.release = asyncio.Event()
        self.release.set()
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        """One POST from the emulator."""
        update = json.loads(await request.read())
        update_id = int(update["update_id"])
        self.requests.append((update_id, request.headers.get(SECRET_HEADER)))
        self.in_flight.add(update_id)
        try:
            await self.release.wait()
        finally:
            self.in_flight.discard(update_id)
        if update_id in self.failing:
            self.failing.discard(update_id)
            return web.Response(status=500)
        return web.Response(status=200)


@asynccontextmanager
async def webhook(
    emulator: TelegramEmulator, *, one_per_chat: bool = True
) -> AsyncIterator[tuple[Hook, WebhookPusher, Bot]]:
    """A hook listening, a pusher sending to it, and a bot that registered the webhook."""
    hook = Hook()
    app = web.Application()
    app.router.add_post("/tg", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pusher = WebhookPusher(emulator, f"http://127.0.0.1:{hook.port}", one_per_chat=one_per_chat)
    await pusher.start()
    bot = Bot(
        emulator.token,
        base_url=IN_PROCESS_API,
        base_file_url=IN_PROCESS_FILES,
        request=EmulatorRequest(emulator),
    )
    try:
        async with bot:
            await bot.set_webhook("https://bot.example/tg", secret_token="hook-secret")
            yield hook, pusher, bot
    finally:
        hook.release.set()
        await pusher.stop()
        await runner.cleanup()


async def until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Whether ``condition`` holds within ``timeout`` seconds (the hook's own state is
    no emulator state, so the emulator's wait_for would not look again)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def say(emulator: TelegramEmulator, title: str, text: str) -> int:
    """A message in the group called ``title`` (made on first use); the update's id."""
    user = emulator.users.get(7) or emulator.add_user("甲", user_id=7)
    chat = next((c for c in emulator.chats.values() if c.title == title), None)
    chat = chat or emulator.add_group(title, creator=user)
    return int(emulator.push("message", emulator.user_message(chat, user, text=text))["update_id"])


async def test_updates_are_posted_with_the_secret_and_sent_again_until_answered() -> None:
    emulator = TelegramEmulator()
    async with webhook(emulator) as (hook, pusher, bot):
        first = say(emulator, "一班", "/help")
        hook.failing.add(first)
        second = say(emulator, "二班", "/help")
        assert await emulator.wait_for(lambda: emulator.pending_updates() == 0, 10)
        info = await bot.get_webhook_info()
    assert [i for i, _ in hook.requests].count(first) == 2  # refused with 500: sent again
    assert [i for i, _ in hook.requests].count(second) == 1
    assert {secret for _, secret in hook.requests} == {"hook-secret"}
    assert pusher.redelivered() == [first]
    assert info.url == "https://bot.example/tg" and info.max_connections == 40
    assert info.last_error_message == "Wrong response from the webhook: 500"


async def test_a_chats_updates_go_one_at_a_time_and_other_chats_beside_them() -> None:
    emulator = TelegramEmulator()
    async with webhook(emulator) as (hook, _, _bot):
        hook.release.clear()
        a1, a2 = say(emulator, "一班", "1"), say(emulator, "一班", "2")
        b1 = say(emulator, "二班", "1")
        assert await until(lambda: hook.in_flight == {a1, b1})
        hook.release.set()
        assert await emulator.wait_for(lambda: emulator.pending_updates() == 0, 10)
    sent = [i for i, _ in hook.requests]
    assert set(sent[:2]) == {a1, b1} and sent[2:] == [a2]  # a2 only after a1 was answered


async def test_without_one_per_chat_a_chats_updates_go_at_once() -> None:
    emulator = TelegramEmulator()
    async with webhook(emulator, one_per_chat=False) as (hook, _, _bot):
        hook.release.clear()
        sent = {say(emulator, "一班", str(n)) for n in range(3)}
        assert await until(lambda: hook.in_flight == sent)


async def test_set_webhook_takes_https_and_its_limits_and_the_front_is_local() -> None:
    emulator = TelegramEmulator()
    bot = Bot(emulator.token, base_url=IN_PROCESS_API, request=EmulatorRequest(emulator))
    async with bot:
        with pytest.raises(BadRequest, match=r"(?i)https url"):
            await bot.set_webhook("http://127.0.0.1:8443/tg")
        with pytest.raises(BadRequest, match=r"(?i)max_connections"):
            await bot.set_webhook("https://bot.example/tg", max_connections=101)
        with pytest.raises(BadRequest, match=r"(?i)secret token"):
            await bot.set_webhook("https://bot.example/tg", secret_token="no spaces")
        assert await bot.set_webhook("https://bot.example/tg", max_connections=2)
        assert (await bot.get_webhook_info()).max_connections == 2
    for front in ("https://127.0.0.1:1", "http://10.0.0.1:80", "http://127.0.0.1:80/tg"):
        with pytest.raises(ValueError, match="front"):
            WebhookPusher(emulator, front)
