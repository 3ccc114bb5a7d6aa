"""In-process transport: a python-telegram-bot ``BaseRequest`` that calls the emulator."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from emulator.core import TelegramEmulator, UploadedFile

IN_PROCESS_API = "http://emulator.invalid/bot"
IN_PROCESS_FILES = "http://emulator.invalid/file/bot"


def _content(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if hasattr(value, "read"):
        data = value.read()
        return data if isinstance(data, bytes) else str(data).encode()
    return str(value).encode()


class EmulatorRequest(BaseRequest):
    """Hands python-telegram-bot's encoded requests to a :class:`TelegramEmulator`.

    It receives exactly what PTB would put on the wire (form fields as JSON text, files
    as multipart parts), so the bot runs its real request path; a timeout fault raises
    ``TimedOut`` as PTB's HTTP client would.
    """

    def __init__(self, emulator: TelegramEmulator, read_timeout: float | None = 5.0) -> None:
        self.emulator = emulator
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout PTB adds to a long poll's own timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the emulator's state."""
        params: dict[str, str] = {}
        files: dict[str, UploadedFile] = {}
        if request_data is not None:
            params = request_data.json_parameters
            for name, part in request_data.multipart_data.items():
                filename, content, *rest = part
                mimetype = rest[0] if rest else "application/octet-stream"
                files[name] = UploadedFile(str(filename or name), _content(content), mimetype)
        status, body, delay = await self.emulator.dispatch(
            method, urlsplit(url).path, params, files
        )
        if delay:
            await asyncio.sleep(0)
            raise TimedOut("emulated timeout")
        return status, body
