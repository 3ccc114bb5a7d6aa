"""Updates of one chat are handled one after another, in the order Telegram sent them;
different chats are handled side by side (up to a limit).

A location sent right after ``/report``, or ``/claim 1`` right after ``/newtopic``, must
see the effect of the message before it; with python-telegram-bot's plain concurrency
the two could run at once and the second would miss the first. Button presses are the
exception: each person's presses in a chat keep their own order, beside the chat's
messages (a press comes after the message whose button it is).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> Hashable | None:
    """The chat whose order this update keeps (the person's, for an update without a
    chat); None for updates that belong to no chat. A button press keeps the order of
    its presser's presses in that chat only: it must not wait behind the group's other
    messages, whose replies may be queued for minutes at 20 a minute, since Telegram
    drops a press that is not answered within seconds."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None and update.effective_chat is not None:
        return ("press", update.effective_chat.id, update.callback_query.from_user.id)
    message = update.effective_message
    if message is not None and message.migrate_from_chat_id:
        # the supergroup's "moved here" notice keeps its turn with the old group's
        # "moved away" notice, so the two never move the group's rows at once
        return message.migrate_from_chat_id
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


QUEUED = 32_768  # updates that may wait for their chat's turn (above the poller's bound)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` updates at once, and one at a time per chat,
    first come first served (asyncio's locks and semaphores wake waiters in order)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        # the base class's own limit is taken before the chat's turn: it must not be what
        # a long queue in one chat uses up (the poller bounds what is in flight); the
        # real limit is applied after the chat's turn has come
        super().__init__(max(max_concurrent_updates, QUEUED))
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._chats: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        # told of every update handled and how long it took from its turn (the metrics)
        self.observe: Callable[[object, float], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's earlier updates, then for a free slot, then run."""
        key = chat_key(update)
        if key is None:
            await self._run_when_free(update, coroutine, contextlib.nullcontext())
            return
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            await self._run_when_free(update, coroutine, lock)
        finally:
            lock, users = self._chats[key]
            if users == 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def _run_when_free(
        self, update: object, coroutine: Awaitable[Any], turn: AbstractAsyncContextManager[Any]
    ) -> None:
        started = False
        try:
            async with turn, self._slots:
                started = True
                began = time.perf_counter()
                await coroutine
                if self.observe is not None:
                    self.observe(update, time.perf_counter() - began)
        finally:
            if not started and isinstance(coroutine, Coroutine):
                coroutine.close()  # cancelled while waiting for its turn (shutdown)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
