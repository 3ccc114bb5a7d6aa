"""What goes wrong: Telegram's error answers, and failures a test injects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(description: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Fault:
    """A failure injected into the next matching call(s)."""

    method: str  # a method name, or "*" for any
    code: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    timeout: bool = False  # the call hangs past the client's read timeout instead
    delay: float = 0.0  # seconds the HTTP server waits before answering a timeout fault
    times: int = 1
    after: int = 0  # matching calls that succeed first (a failure in mid-broadcast)
