"""Updates posted by Telegram to a webhook, answered only after they are processed.

python-telegram-bot's webhook answers 200 before the handlers run, so a crash loses the
update; :class:`WebhookServer` answers after processing (and after ``after_process``,
which records the update), and refuses requests without the configured secret token.
Several workers may share the address (``SO_REUSEPORT`` on one machine, or a proxy in
front); :mod:`bot.turns` keeps each chat's updates in order among them.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.delivery import ALLOWED_UPDATES, process
from bot.turns import Turns, turns_for

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
        after_process: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.after_process = after_process
        self.url = url
        self.listen = listen
        self.port = port
        self._secret = secret_token
        self.allowed_updates = allowed_updates or ALLOWED_UPDATES
        self.path = urlsplit(url).path or "/"
        self._runner: web.AppRunner | None = None
        self.turns = Turns()

    def __repr__(self) -> str:
        return f"WebhookServer(url={self.url!r}, listen={self.listen!r}, port={self.port})"

    async def start(self, *, register: bool = True) -> None:
        """Listen, and tell Telegram where to post (with the secret token)."""
        self.turns = turns_for(self.app)
        await self.turns.start()
        web_app = web.Application()
        web_app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        # several workers on one machine may share the port (the kernel spreads requests)
        site = web.TCPSite(self._runner, self.listen, self.port, reuse_port=True)
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
        await self.turns.close()

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
        try:
            ours = await self.turns.arrive(update)
        except (SQLAlchemyError, OSError) as error:
            log.warning("update %s: cannot take its turn (%s)", update.update_id, error)
            return web.Response(status=500, text="try again")
        if not ours:  # a copy of an update another worker (or this one) has finished
            return web.Response(status=200, text="ok")
        finished = False
        try:
            finished = await self._process(update)
        finally:
            await self.turns.leave(update.update_id, finished=finished)
        if not finished:
            return web.Response(status=500, text="try again")
        return web.Response(status=200, text="ok")

    async def _process(self, update: Update) -> bool:
        """Handle the update and record it; False when it could not be recorded."""
        await process(self.app, update)
        if self.after_process is not None:
            try:
                await self.after_process()
            except Exception:
                log.exception(
                    "could not record update %s; Telegram will send it again", update.update_id
                )
                return False
        return True
