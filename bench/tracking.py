"""Watching the bot: when each message is answered (:class:`Tracker`), how many SQL
statements run (:class:`SqlCounter`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from emulator.core import Call, EChat, EUser, TelegramEmulator

SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation"}
)
SKIPPED_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


Key = tuple[int, int]  # (chat id, message id) of a message a person sent


class Tracker:
    """Times replies: when a person's message was pushed, when the bot's first message
    answering it was sent (through the emulator's ``on_call`` hook).

    A bot message that quotes the person's message answers it. One that quotes nothing
    answers the oldest unanswered message in its chat when ``unquoted`` is "oldest"; with
    "trailing" it is taken for a further message of an answer already given (the bot
    answers one chat's updates in order) and ignored for timing."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        """Track ``emulator``'s calls (replaces its ``on_call`` hook)."""
        self.emulator = emulator
        self.unquoted = "oldest"
        self.sent_at: dict[Key, float] = {}
        self.answered_at: dict[Key, float] = {}
        self.pending: dict[int, deque[Key]] = {}
        self.outputs: list[tuple[float, int, str, dict[str, Any]]] = []  # t, chat, method, msg
        self.last_output = 0.0
        self.method_counts: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        emulator.on_call = self._on_call

    def say(self, chat: EChat, user: EUser, text_: str) -> Key:
        """``user`` sends ``text_`` into ``chat`` now; returns the message's key."""
        message = self.emulator.user_message(chat, user, text=text_)
        key = (chat.id, int(message["message_id"]))
        self.pending.setdefault(chat.id, deque()).append(key)
        self.sent_at[key] = time.perf_counter()
        self.emulator.push("message", message)
        return key

    def expect(self, message: dict[str, Any]) -> Key:
        """Track an answer to a message pushed by other means (e.g. the bot's arrival)."""
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        self.pending.setdefault(key[0], deque()).append(key)
        self.sent_at[key] = time.perf_counter()
        return key

    def latency(self, key: Key) -> float | None:
        """Seconds from push to the first answer; None while unanswered."""
        done = self.answered_at.get(key)
        return None if done is None else done - self.sent_at[key]

    def outputs_in(self, chat_id: int, since: float) -> list[tuple[float, str, dict[str, Any]]]:
        """Bot messages in ``chat_id`` sent after ``since`` (perf_counter)."""
        return [(t, m, msg) for t, c, m, msg in self.outputs if c == chat_id and t >= since]

    async def wait(self, keys: Sequence[Key], timeout: float) -> bool:
        """Wait until every one of ``keys`` has been answered (False on timeout)."""
        return await self.emulator.wait_for(
            lambda: all(k in self.answered_at for k in keys), timeout
        )

    async def wait_quiet(
        self, sql: SqlCounter | None, quiet: float = 0.15, cap: float = 10.0
    ) -> None:
        """Wait until neither a bot message nor (with ``sql``) a statement came for
        ``quiet`` seconds (at most ``cap`` seconds)."""
        began = time.perf_counter()
        while time.perf_counter() - began < cap:
            last = max(self.last_output, sql.last if sql is not None else 0.0)
            idle = time.perf_counter() - last
            if idle >= quiet:
                return
            await asyncio.sleep(quiet - idle + 0.005)

    def _on_call(self, call: Call) -> None:
        """Count the call; time the bot messages it sent."""
        self.method_counts[call.method] = self.method_counts.get(call.method, 0) + 1
        if call.error is not None:
            name = f"{call.method}:{call.error.code}"
            self.errors[name] = self.errors.get(name, 0) + 1
            return
        if call.method not in SEND_METHODS or call.result is None:
            return
        now = time.perf_counter()
        self.last_output = now
        results = call.result if isinstance(call.result, list) else [call.result]
        for message in results:
            chat_id = int(message["chat"]["id"])
            self.outputs.append((now, chat_id, call.method, message))
            self._answer(chat_id, message, now)

    def _answer(self, chat_id: int, message: dict[str, Any], now: float) -> None:
        """Take ``message`` as the answer to a pending message of ``chat_id``, if any."""
        queue = self.pending.get(chat_id)
        if not queue:
            return
        quoted = (message.get("reply_to_message") or {}).get("message_id")
        if quoted is not None:
            key = (chat_id, int(quoted))
            if key in self.answered_at or key not in self.sent_at:
                return
            self.answered_at[key] = now
            with contextlib.suppress(ValueError):
                queue.remove(key)
            return
        if self.unquoted == "oldest":
            key = queue.popleft()
            self.answered_at[key] = now


class SqlCounter:
    """Counts the SQL statements every engine in this process runs (BEGIN, COMMIT,
    SAVEPOINT, PRAGMA … left out), while installed."""

    def __init__(self) -> None:
        """Nothing counted yet."""
        self.count = 0
        self.last = 0.0
        self.texts: list[str] = []
        self.keep_texts = False

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Count one statement (SQLAlchemy's ``before_cursor_execute`` event)."""
        if statement.lstrip().upper().startswith(SKIPPED_SQL):
            return
        self.count += 1
        self.last = time.perf_counter()
        if self.keep_texts:
            self.texts.append(statement)

    @contextlib.contextmanager
    def installed(self) -> Iterator[SqlCounter]:
        """Listen on every Engine while the block runs."""
        event.listen(Engine, "before_cursor_execute", self._on_execute)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._on_execute)
