"""The emulator over real HTTP on 127.0.0.1, for process-level tests and the demo."""

from __future__ import annotations

import asyncio
import json

from aiohttp import BodyPartReader, web

from emulator.core import TelegramEmulator, UploadedFile


class EmulatorServer:
    """Serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` from an emulator."""

    def __init__(self, emulator: TelegramEmulator, host: str = "127.0.0.1", port: int = 0):
        self.emulator = emulator
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def api_base_url(self) -> str:
        """What the bot's config.telegram.api_base_url should be."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        """What the bot's config.telegram.file_base_url should be."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        """Listen (on a free port when ``port`` is 0)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = {}
        files: dict[str, UploadedFile] = {}
        content_type = request.content_type
        if content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                data = await part.read(decode=False)
                if part.filename is not None:
                    mimetype = part.headers.get("Content-Type", "application/octet-stream")
                    files[part.name] = UploadedFile(part.filename, bytes(data), mimetype)
                else:
                    params[part.name] = bytes(data).decode()
        elif content_type == "application/json":
            body = await request.json()
            params = {
                k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()
            }
        else:
            form = await request.post()
            params = {k: str(v) for k, v in form.items()}
            params.update({k: v for k, v in request.query.items() if k not in params})
        status, body_bytes, delay = await self.emulator.dispatch(
            request.method, request.raw_path.split("?", 1)[0], params, files
        )
        if delay:
            await asyncio.sleep(delay)
        if request.path.startswith("/file/"):
            return web.Response(status=status, body=body_bytes)
        return web.Response(status=status, body=body_bytes, content_type="application/json")
