"""The HTTP wiring: request paths, the file endpoint, injected faults, flood limits and
the call log."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote

from emulator.core.errors import ApiError, Fault, bad_request
from emulator.core.objects import Call, UploadedFile
from emulator.core.params import Params
from emulator.core.updates import Updates


class Calls(Updates):
    """Answers one request: picks the method, applies faults and limits, logs the call.

    getUpdates is the one method answered asynchronously (a long poll), by
    :class:`~emulator.core.updates.Updates`.
    """

    async def dispatch(
        self,
        http_method: str,
        path: str,
        params: dict[str, str],
        files: dict[str, UploadedFile],
    ) -> tuple[int, bytes, float]:
        """Answer one HTTP request: ``(status, body, delay)``; ``delay`` > 0 asks the
        transport to stall that long (a timeout fault)."""
        path = unquote(path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            if token != self.token:
                return 401, b"Unauthorized", 0.0
            for stored in self.files.values():
                if stored.file_path == file_path:
                    return 200, stored.content, 0.0
            return 404, b"Not Found", 0.0
        if not path.startswith("/bot"):
            return 404, b"Not Found", 0.0
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return 401, json.dumps(body).encode(), 0.0
        status, envelope, delay = await self.call(method, params, files)
        return status, json.dumps(envelope, ensure_ascii=False).encode(), delay

    async def call(
        self, method: str, raw: dict[str, str], files: dict[str, UploadedFile]
    ) -> tuple[int, dict[str, Any], float]:
        """Run one Bot API method; returns (HTTP status, envelope, stall seconds)."""
        call = Call(method, dict(raw), {k: v.content for k, v in files.items()})
        self.calls.append(call)
        fault = self._take_fault(method)
        try:
            if fault is not None:
                if fault.timeout:
                    call.error = ApiError(504, "emulated timeout")
                    return (
                        504,
                        {"ok": False, "error_code": 504, "description": "timeout"},
                        (fault.delay or 30.0),
                    )
                raise ApiError(fault.code, fault.description, retry_after=fault.retry_after)
            if self.limits is not None:
                wait = self.limits.check(method, raw.get("chat_id"))
                if wait is not None:
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            handler = self._methods.get(method)
            if handler is None:
                raise bad_request(f'method "{method}" is not implemented by the Vanguard emulator')
            params = Params(method, raw)
            if method == "getUpdates":
                result = await self._get_updates_async(params)
            else:
                result = handler(params, files)
            call.result = result
            call.finished = True
            return 200, {"ok": True, "result": result}, 0.0
        except ApiError as error:
            call.error = error
            return error.code, error.envelope(), 0.0
        except asyncio.CancelledError:
            call.cancelled = True
            raise
        finally:
            if self.on_call is not None:
                maybe = self.on_call(call)
                if maybe is not None:
                    await maybe
            await self._notify()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*"):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def fail(self, method: str, code: int = 500, description: str | None = None, **kw: Any) -> None:
        """Make the next call of ``method`` ("*" = any) fail; see :class:`Fault`."""
        default = {
            400: "Bad Request: emulated failure",
            403: "Forbidden: bot was blocked by the user",
            429: "Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(code, "Emulated failure")
        text = description or default.format(retry_after=kw.get("retry_after", 1))
        self.faults.append(Fault(method, code, text, **kw))
