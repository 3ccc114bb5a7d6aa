"""Update delivery that never confirms an update before it has been processed.

python-telegram-bot's own Updater confirms a batch to Telegram (the next getUpdates
offset) as soon as it has queued it, and its webhook answers 200 before the handlers run;
a crash then loses the batch. Here:

* :class:`ConfirmingPoller` fetches a batch, runs every update through the Application
  (with its concurrency limit) and only then asks for the next batch with the higher
  offset; on stop it finishes the batch, then confirms it with one ``timeout=0`` call.
* :class:`WebhookServer` answers Telegram only after the update has been processed, and
  refuses requests without the configured secret token.

Together with the update id recorded in each handler's transaction
(:meth:`handlers.context.Ctx.transaction`), a redelivered update changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def process(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> None:
    """Run one update through the handlers, within the Application's concurrency limit."""
    await app.update_processor.process_update(update, app.process_update(update))


class ConfirmingPoller:
    """Long polling that confirms an update only after it has been processed."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        poll_timeout: int = 10,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self.allowed_updates = allowed_updates or ALLOWED_UPDATES
        self.offset = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.fatal: BaseException | None = None

    async def start(self) -> None:
        """Drop any webhook and start polling in the background."""
        await self.app.bot.delete_webhook()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="vanguard-poller")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The polling task (done when polling stopped by itself, e.g. a refused token)."""
        return self._task

    async def stop(self) -> None:
        """Finish the batch in hand, confirm it, and stop."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _fetch(self) -> list[Update] | None:
        """One long poll; None if stopping interrupted it."""
        fetch = asyncio.create_task(
            self.app.bot.get_updates(
                offset=self.offset,
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=self.allowed_updates,
            )
        )
        stop = asyncio.create_task(self._stopping.wait())
        done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return None
        return list(fetch.result())

    async def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                updates = await self._fetch()
            except RetryAfter as exc:
                await self._sleep(_seconds(exc.retry_after))
                continue
            except InvalidToken as exc:
                log.error("Telegram refused the token; polling stops")
                self.fatal = exc
                return
            except Conflict:
                log.warning("another process is polling this token (409 Conflict); retrying")
                await self._sleep(5)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            backoff = 0.5
            if updates is None:
                break
            if not updates:
                continue
            results = await asyncio.gather(
                *(process(self.app, u) for u in updates), return_exceptions=True
            )
            for update, result in zip(updates, results, strict=True):
                if isinstance(result, BaseException):
                    log.error(
                        "update %s failed outside the handlers", update.update_id, exc_info=result
                    )
            self.offset = updates[-1].update_id + 1
        await self._confirm()

    async def _confirm(self) -> None:
        if not self.offset:
            return
        try:
            await self.app.bot.get_updates(
                offset=self.offset, timeout=timedelta(0), allowed_updates=self.allowed_updates
            )
        except TelegramError as exc:
            log.warning(
                "could not confirm the last batch (%s); it will be redelivered "
                "and recognised as already processed",
                exc,
            )

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class WebhookServer:
    """Receives updates from Telegram over HTTPS (behind a proxy) and answers after
    processing; requests without the secret token get 403."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        url: str,
        listen: str,
        port: int,
        secret_token: str,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self.app = app
        self.url = url
        self.listen = listen
        self.port = port
        self._secret = secret_token
        self.allowed_updates = allowed_updates or ALLOWED_UPDATES
        self.path = urlsplit(url).path or "/"
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"WebhookServer(url={self.url!r}, listen={self.listen!r}, port={self.port})"

    async def start(self, *, register: bool = True) -> None:
        """Listen, and tell Telegram where to post (with the secret token)."""
        web_app = web.Application()
        web_app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if register:
            await self.app.bot.set_webhook(
                url=self.url,
                secret_token=self._secret,
                allowed_updates=self.allowed_updates,
            )

    async def stop(self) -> None:
        """Stop listening (the webhook stays registered: Telegram keeps the updates)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="bad update")
        await process(self.app, update)
        return web.Response(status=200, text="ok")
