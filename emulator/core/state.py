"""What one Telegram holds for one bot, and the helpers every Bot API area uses.

:class:`EmulatorState` is the base of each area's mixin (:mod:`emulator.core.calls`,
:mod:`~emulator.core.updates`, :mod:`~emulator.core.messages`, …); the areas are composed
into :class:`~emulator.core.emulator.TelegramEmulator`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ApiError, bad_request
from emulator.core.objects import Call, EChat, EUser, StoredFile, UploadedFile
from emulator.core.params import Params

if TYPE_CHECKING:
    from emulator.core.errors import Fault
    from emulator.limits import FloodLimits

Method = Callable[[Params, dict[str, UploadedFile]], Any]
"""A Bot API method: the call's parameters and uploaded files in, its result out."""


class EmulatorState:
    """Telegram's state as one bot sees it: people, chats, messages, files, updates."""

    def __init__(
        self,
        token: str = "1000001:EMULATOR-TOKEN",
        bot_username: str = "vanguard_bot",
        bot_name: str = "先锋助手",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.clock = clock  # seconds since the epoch: the dates of the messages it makes
        bot_id = int(token.split(":", 1)[0])
        self.bot = EUser(bot_id, bot_name, username=bot_username, is_bot=True)
        self.users: dict[int, EUser] = {bot_id: self.bot}
        self.chats: dict[int, EChat] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.emitted_updates: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_max_connections = 40
        self.webhook_error: tuple[int, str] | None = None  # (date, message) of the last
        self.allowed_updates: list[str] | None = None
        self.confirmed_offset = 0
        self.polls_started = 0  # getUpdates calls so far: a newer one ends a waiting one
        self.conflicts = 0  # getUpdates calls ended with 409 Conflict by a newer one
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._group_ids = itertools.count(1)
        self._unique = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._bot_output: list[tuple[int, dict[str, Any]]] = []  # (chat id, message)
        self.read_marks: set[int] = set()  # indexes into _bot_output read by scenarios
        self.on_call: Callable[[Call], Awaitable[None] | None] | None = None
        self.limits: FloodLimits | None = None  # Telegram's flood limits; off unless set
        self._methods = self._method_table()

    def _method_table(self) -> dict[str, Method]:
        """The Bot API methods by name (the composed emulator lists them)."""
        return {}

    # ------------------------------------------------------------------ changes

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (re-checked after every call/update)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                return predicate()
        return True

    def _kick(self) -> None:
        async def notify() -> None:
            await self._notify()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.clock())

    def _new_unique(self, prefix: str) -> tuple[str, str]:
        n = next(self._unique)
        digest = hashlib.sha1(f"{prefix}{n}".encode()).hexdigest()
        return f"{prefix}{digest[:24]}{n}", f"U{digest[24:36]}{n}"

    def private_chat(self, user: EUser) -> EChat:
        """The private chat between ``user`` and the bot."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = EChat(user.id, "private")
            self.chats[user.id] = chat
        return chat

    def _chat(self, params: Params) -> EChat:
        raw = params.text("chat_id", required=True)
        assert raw is not None
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None and chat_id in self.users:
            # a person the bot has seen who never opened a private chat with it: the
            # chat exists for Telegram, but the bot may not start it (403 on writing)
            chat = self.private_chat(self.users[chat_id])
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        return chat

    def _writable_chat(self, params: Params) -> EChat:
        chat = self._chat(params)
        if chat.type == "private":
            if chat.bot_blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.bot_started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.members.get(self.bot.id) not in ("member", "administrator", "creator"):
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _base_message(self, chat: EChat, sender: EUser) -> dict[str, Any]:
        return {
            "message_id": self._next_message_id(chat.id),
            "date": self._now(),
            "chat": chat.to_api(self.users),
            "from": sender.to_api(),
        }
