"""Telegram's flood limits, kept per chat, so that one chat's wait never delays another.

Telegram allows a bot about 30 messages a second overall, 20 a minute into one group
and about one a second into one private chat; past that it answers 429 with
``retry_after``. python-telegram-bot's ``AIORateLimiter`` counts every request that names
a chat (reading a group's admins too) and stops *all* requests while one chat waits out a
429. :class:`ChatRateLimiter` counts only what sends or edits a message, keeps one queue
per chat, pauses only the chat a 429 was about, and lets replies to people overtake
bulk sends (briefings, reminders: ``rate_limit_args=BULK``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

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


# the share of the overall allowance (5 of Telegram's 30 a second) that a broadcast (bulk
# sends) leaves free, so a reply that arrives just after a burst need not wait a second
BULK_RESERVE_SHARE = 6


class Window:
    """At most ``limit`` events in any ``period`` seconds (a sliding log of times)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def delay(self, now: float, cost: int = 1, reserve: int = 0) -> float:
        """Seconds until ``cost`` more events fit (0: they fit now), keeping ``reserve``
        places free for others."""
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        limit = max(self.limit - reserve, 1)
        cost = min(cost, limit)
        excess = len(self._times) + cost - limit
        if excess <= 0:
            return 0.0
        return self._times[excess - 1] + self.period - now

    def take(self, now: float, cost: int = 1) -> None:
        """Record ``cost`` events at ``now``."""
        self._times.extend([now] * min(cost, self.limit))

    @property
    def empty(self) -> bool:
        """Whether no event is remembered (after the last ``delay``)."""
        return not self._times


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits, as counts per period; ``margin`` stretches each period a
    little so that network jitter never turns our last allowed message into a 429."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    private: tuple[int, float] = (1, 1.0)
    margin: float = 1.04


@dataclass
class _Chat:
    window: Window
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    paused_until: float = 0.0


class ChatRateLimiter(BaseRateLimiter[str]):
    """Keeps message sends within Telegram's limits, per chat and overall; waits out a
    429 for the chat it names (up to ``max_retries`` times). ``limits=None`` sends at once
    but still waits out 429s (tests)."""

    def __init__(self, limits: Limits | None = None, *, max_retries: int = 3) -> None:
        self.limits = limits
        self.max_retries = max_retries
        self._chats: dict[int | str, _Chat] = {}
        self._overall = Window(*self._stretched(limits.overall)) if limits else None
        self._overall_lock = asyncio.Lock()
        self._bulk_lock = asyncio.Lock()
        self._urgent = 0  # replies to people waiting for the overall allowance
        self._overall_paused_until = 0.0
        self._admitted = 0
        self.on_flood_wait: Callable[[], None] | None = None  # told of every 429 (metrics)

    def _stretched(self, limit: tuple[int, float]) -> tuple[int, float]:
        assert self.limits is not None
        return limit[0], limit[1] * self.limits.margin

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
        """Wait for the chat's and the overall allowance (messages only), then send;
        on 429 pause that chat (or everything, for a request naming no chat) and retry."""
        key = _chat_key(data.get("chat_id"))
        counted = endpoint in MESSAGE_METHODS
        media = data.get("media")
        cost = len(media) if endpoint == "sendMediaGroup" and isinstance(media, list) else 1
        for attempt in range(self.max_retries + 1):
            if counted or key is None:
                await self._admit(key, cost, bulk=rate_limit_args == BULK, counted=counted)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if self.on_flood_wait is not None:
                    self.on_flood_wait()
                if attempt == self.max_retries:
                    raise
                wait = retry_seconds(exc.retry_after) + 0.1
                log.info("flood limit in chat %s: waiting %.1fs", key, wait)
                until = asyncio.get_running_loop().time() + wait
                if key is None:
                    self._overall_paused_until = max(self._overall_paused_until, until)
                else:
                    chat = self._chat(key)
                    chat.paused_until = max(chat.paused_until, until)
                    if not counted:
                        await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    def _chat(self, key: int | str) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            if self.limits is None:
                window = Window(1, 0.0)  # never waits
            elif isinstance(key, int) and key > 0:
                window = Window(*self._stretched(self.limits.private))
            else:
                window = Window(*self._stretched(self.limits.group))
            chat = self._chats[key] = _Chat(window)
        return chat

    async def _admit(self, key: int | str | None, cost: int, *, bulk: bool, counted: bool) -> None:
        """Wait until the message may go: the chat's own queue first, then the overall one."""
        loop = asyncio.get_running_loop()
        if key is None:
            await _sleep_until(loop, self._overall_paused_until)
            if counted:
                await self._take_overall(cost, bulk)
            return
        chat = self._chat(key)
        async with chat.lock:
            while True:
                now = loop.time()
                wait = max(chat.paused_until - now, chat.window.delay(now, cost))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            await self._take_overall(cost, bulk)
            chat.window.take(loop.time(), cost)
        self._admitted += 1
        if self._admitted % 1000 == 0:
            self._forget_quiet_chats(loop.time())

    async def _take_overall(self, cost: int, bulk: bool) -> None:
        """The overall allowance; a bulk send lets every waiting reply go first."""
        if self._overall is None:
            return
        if not bulk:
            self._urgent += 1
            try:
                async with self._overall_lock:
                    await self._wait_overall(cost)
            finally:
                self._urgent -= 1
            return
        async with self._bulk_lock:
            while True:
                wait = 0.0
                async with self._overall_lock:  # never held while a bulk send sleeps
                    if not self._urgent:  # and a few places a second stay free for replies
                        wait = self._try_overall(cost, self._overall.limit // BULK_RESERVE_SHARE)
                        if wait <= 0:
                            return
                await asyncio.sleep(wait)

    async def _wait_overall(self, cost: int) -> None:
        while True:
            wait = self._try_overall(cost)
            if wait <= 0:
                return
            await asyncio.sleep(wait)  # a time to wait for, not an event

    def _try_overall(self, cost: int, reserve: int = 0) -> float:
        """Take the overall allowance if it is there (0), else the seconds to wait."""
        assert self._overall is not None
        now = asyncio.get_running_loop().time()
        wait = max(self._overall_paused_until - now, self._overall.delay(now, cost, reserve))
        if wait <= 0:
            self._overall.take(now, cost)
        return wait

    def _forget_quiet_chats(self, now: float) -> None:
        """Drop the state of chats with nothing in their window (memory stays bounded)."""
        for key in [
            k
            for k, c in self._chats.items()
            if not c.lock.locked()
            and c.paused_until <= now
            and c.window.delay(now) == 0
            and c.window.empty
        ]:
            del self._chats[key]


def _chat_key(chat_id: Any) -> int | str | None:
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)  # '@channelname'


def retry_seconds(value: Any) -> float:
    """A ``retry_after`` (seconds, or a timedelta in newer python-telegram-bot) in seconds."""
    return as_seconds(value)


async def _sleep_until(loop: asyncio.AbstractEventLoop, when: float) -> None:
    wait = when - loop.time()
    if wait > 0:
        await asyncio.sleep(wait)
