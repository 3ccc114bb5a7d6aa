"""Telegram's flood limits, kept per chat, so that one chat's wait never delays another.

Telegram allows a bot about 30 messages a second overall, 20 a minute into one group
and about one a second into one private chat; past that it answers 429 with
``retry_after``. python-telegram-bot's ``AIORateLimiter`` counts every request that names
a chat (reading a group's admins too) and stops *all* requests while one chat waits out a
429. :class:`ChatRateLimiter` counts only what sends or edits a message, keeps one queue
per chat, pauses only the chat a 429 was about, and lets replies to people overtake
bulk sends (briefings, reminders: ``rate_limit_args=BULK``). The slots come from a
budget (bot/budget.py) that several processes on one PostgreSQL database share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.budget import OVERALL, Budget, LocalBudget, Rate
from domain.clock import as_seconds
from domain.kinds import BULK_SEND

log = logging.getLogger(__name__)

BULK = BULK_SEND  # rate_limit_args of a send that may wait for replies to people

# methods that put a message into a chat (or change one): what Telegram's limits count
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendVideo",
        "sendAnimation",
        "sendAudio",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "editMessageLiveLocation",
    }
)


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits, as counts per period; ``margin`` stretches each period a
    little so that network jitter never turns our last allowed message into a 429;
    ``group_burst``: how many messages may go into a quiet group at once (then they are
    spaced evenly, so that no minute holds more than the limit)."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    private: tuple[int, float] = (1, 1.0)
    margin: float = 1.06
    group_burst: int = 3

    def rates(self) -> tuple[Rate, Rate, Rate]:
        """The overall, group and private-chat limits as slot rates."""
        return (
            Rate.of(*self.overall, self.margin),
            Rate.of(*self.group, self.margin, self.group_burst),
            Rate.of(*self.private, self.margin),
        )


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class ChatRateLimiter(BaseRateLimiter[str]):
    """Keeps message sends within Telegram's limits, per chat and overall, booking each
    message a slot of the budget (bot/budget.py: this process's, or on PostgreSQL every
    process's); waits out a 429 for the chat it names (up to ``max_retries`` times).
    ``limits=None`` sends at once but still waits out 429s (tests)."""

    def __init__(
        self, limits: Limits | None = None, *, max_retries: int = 3, budget: Budget | None = None
    ) -> None:
        self.limits = limits
        self.max_retries = max_retries
        self.budget: Budget = budget or LocalBudget()
        self.rates = limits.rates() if limits else None
        self._chats: dict[str, _Chat] = {}
        self._bulk_lock = asyncio.Lock()
        self._paused_until = 0.0  # (loop time) a 429 about a request naming no chat
        self.on_flood_wait: Callable[[], None] | None = None  # told of every 429 (metrics)

    def share(self, budget: Budget) -> None:
        """Book from ``budget`` from now on (the database's, once it is open)."""
        self.budget = budget

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's and the overall slot (messages only), then send; on 429
        hold that chat (or everything, for a request naming no chat) and retry."""
        key = _chat_key(data.get("chat_id"))
        counted = endpoint in MESSAGE_METHODS
        media = data.get("media")
        cost = len(media) if endpoint == "sendMediaGroup" and isinstance(media, list) else 1
        for attempt in range(self.max_retries + 1):
            if counted:
                await self._admit(key, cost, bulk=rate_limit_args == BULK)
            elif key is None:  # (getUpdates, answerCallbackQuery…: no slot, no statement)
                await _sleep(self._paused_until - asyncio.get_running_loop().time())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if self.on_flood_wait is not None:
                    self.on_flood_wait()
                if attempt == self.max_retries:
                    raise
                wait = retry_seconds(exc.retry_after) + 0.1
                log.info("flood limit in chat %s: waiting %.1fs", key, wait)
                held = key or OVERALL
                await self.budget.hold(held, self._rate(held) or Rate(0.0), wait)
                if key is None:
                    until = asyncio.get_running_loop().time() + wait
                    self._paused_until = max(self._paused_until, until)
                if not counted:
                    await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    def _rate(self, key: str) -> Rate | None:
        if self.rates is None:
            return None
        overall, group, private = self.rates
        if key == OVERALL:
            return overall
        return private if key.isdigit() else group  # a group's id is negative

    async def _admit(self, key: str | None, cost: int, *, bulk: bool) -> None:
        """Wait for the chat's slot (in the order the chat's messages came), then for
        the overall one."""
        if key is None:
            await self._wait_for(OVERALL, self._rate(OVERALL), cost, bulk=bulk)
            return
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat()
        chat.waiting += 1
        try:
            async with chat.lock:
                await self._wait_for(key, self._rate(key), cost, bulk=bulk)
                await self._wait_for(OVERALL, self._rate(OVERALL), cost, bulk=bulk)
        finally:
            chat.waiting -= 1
            if not chat.waiting:
                del self._chats[key]

    async def _wait_for(self, key: str, rate: Rate | None, cost: int, *, bulk: bool) -> None:
        """Book a slot of ``key``'s budget and sleep until it (a bulk send: one at a time
        in this process, and only when the budget is not spent ahead)."""
        if rate is None:  # not counted, or no limits: only a 429's hold is kept
            rate = Rate(0.0)
            cost = 0
        if not bulk:
            booked, wait = await self.budget.book(key, rate, cost, True)
            await _sleep(wait)
            return
        async with self._bulk_lock if key == OVERALL else contextlib.nullcontext():
            while True:
                booked, wait = await self.budget.book(key, rate, cost, False)
                if booked:
                    break
                await _sleep(wait)
        # (outside the lock: the next bulk send books its slot while this one waits for
        # its own, so the slots follow each other without a round trip between them)
        await _sleep(wait)


def _chat_key(chat_id: Any) -> str | None:
    """The budget key of a chat: its id as text ('@channelname' as given)."""
    if chat_id is None:
        return None
    try:
        return str(int(chat_id))
    except (TypeError, ValueError):
        return str(chat_id)


def retry_seconds(value: Any) -> float:
    """A ``retry_after`` (seconds, or a timedelta in newer python-telegram-bot) in seconds."""
    return as_seconds(value)


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
