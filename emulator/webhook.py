"""Telegram's side of a webhook: the emulator's updates POSTed to the address the bot set
with setWebhook, the way Telegram's Bot API server sends them (``WebhookActor`` in
tdlib/telegram-bot-api): one update a request, several connections at once, a chat's
updates one at a time, and again until one is answered with 2xx."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from emulator.core import TelegramEmulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def queue_of(update: dict[str, Any]) -> tuple[str, int]:
    """The queue an update waits in: a button press in its presser's, anything else in
    its chat's (an update without either in a queue of its own)."""
    kind = next(k for k in update if k != "update_id")
    payload = update[kind]
    if kind == "callback_query":
        return ("user", int(payload["from"]["id"]))
    chat = payload.get("chat") if isinstance(payload, dict) else None
    if isinstance(chat, dict) and "id" in chat:
        return ("chat", int(chat["id"]))
    return ("update", int(update["update_id"]))


class WebhookPusher:
    """Sends the emulator's updates to the bot's webhook while one is set: each in its
    own POST (JSON, with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret was
    set), up to the webhook's ``max_connections`` at once. An update answered with
    anything but 2xx, or not within ``timeout`` seconds, is sent again — at once, then
    after 2, 4, … up to ``retry_max`` seconds — and stays pending until it is answered.

    ``front`` is where the requests go instead of the registered address, which
    setWebhook still requires to be https: an ``http://127.0.0.1:PORT`` address, the
    test's stand-in for the name and the TLS-terminating proxy in front of the bot.

    ``one_per_chat`` (Telegram's way): a queue's next update is sent only after its last
    one was answered with 2xx. ``one_per_chat=False`` sends every update as soon as a
    connection is free, a chat's too, so that they may arrive at once and out of order:
    the worst a front that retries or reorders can do, which the bot must survive.
    """

    def __init__(
        self,
        emulator: TelegramEmulator,
        front: str,
        *,
        one_per_chat: bool = True,
        timeout: float = 60.0,
        retry_max: float = 60.0,
    ) -> None:
        parts = urlsplit(front)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.path not in ("", "/"):
            raise ValueError(f"the webhook front must be http://127.0.0.1:PORT, got {front!r}")
        self.emulator = emulator
        self.front = front.rstrip("/")
        self.one_per_chat = one_per_chat
        self.timeout = timeout
        self.retry_max = retry_max
        self.sent: list[tuple[int, int | None]] = []  # (update id, HTTP status or None)
        self._flying: dict[int, asyncio.Task[None]] = {}
        self._tries: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start sending (whenever a webhook is set and updates wait)."""
        self._http = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop sending; requests in flight are abandoned (their updates stay pending)."""
        tasks = [t for t in (self._task, *self._flying.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    def redelivered(self) -> list[int]:
        """Update ids that were sent more than once."""
        counts: dict[int, int] = {}
        for update_id, _ in self.sent:
            counts[update_id] = counts.get(update_id, 0) + 1
        return sorted(i for i, n in counts.items() if n > 1)

    def _ready(self) -> list[dict[str, Any]]:
        """The updates to send now, oldest first, within the free connections."""
        if not self.emulator.webhook_url:
            return []
        now = asyncio.get_running_loop().time()
        free = self.emulator.webhook_max_connections - len(self._flying)
        busy = {
            queue_of(u) for u in self.emulator.webhook_updates() if u["update_id"] in self._flying
        }
        ready: list[dict[str, Any]] = []
        for update in self.emulator.webhook_updates():
            update_id, queue = update["update_id"], queue_of(update)
            if len(ready) >= free:
                break
            if self.one_per_chat and queue in busy:
                continue  # waits behind the queue's earlier update (sent, or to retry)
            busy.add(queue)
            if update_id not in self._flying and self._retry_at.get(update_id, 0.0) <= now:
                ready.append(update)
        return ready

    def _next_retry(self) -> float:
        """Seconds until the next update waiting to be sent again is due (at most 1)."""
        now = asyncio.get_running_loop().time()
        due = [at - now for at in self._retry_at.values() if at > now]
        return min([1.0, *due])

    async def _run(self) -> None:
        while True:
            for update in self._ready():
                update_id = update["update_id"]
                self._flying[update_id] = asyncio.create_task(
                    self._post(update), name=f"emulator-webhook-{update_id}"
                )
            await self.emulator.wait_for(lambda: bool(self._ready()), self._next_retry())

    async def _post(self, update: dict[str, Any]) -> None:
        """One request; its outcome decides whether and when the update goes again."""
        assert self._http is not None
        update_id = update["update_id"]
        registered = urlsplit(self.emulator.webhook_url)
        url = (
            self.front
            + (registered.path or "/")
            + (f"?{registered.query}" if registered.query else "")
        )
        headers = (
            {SECRET_HEADER: self.emulator.webhook_secret} if self.emulator.webhook_secret else {}
        )
        status: int | None = None
        try:
            async with self._http.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                status = response.status
                await response.read()
            error = None if 200 <= status < 300 else f"Wrong response from the webhook: {status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        finally:
            self._flying.pop(update_id, None)
        self.sent.append((update_id, status))
        if error is None:
            self._tries.pop(update_id, None)
            self._retry_at.pop(update_id, None)
        else:
            tries = self._tries[update_id] = self._tries.get(update_id, 0) + 1
            delay = 0.0 if tries == 1 else min(2.0 ** (tries - 1), self.retry_max)
            self._retry_at[update_id] = asyncio.get_running_loop().time() + delay
        self.emulator.webhook_answered(update_id, error)
