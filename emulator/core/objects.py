"""The emulator's records: people, chats, files and the log of calls."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from emulator.core.errors import ApiError


@dataclass
class Call:
    """One Bot API call the bot made, with what it got back."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    result: Any = None
    error: ApiError | None = None
    finished: bool = False  # answered (False while a long poll is still waiting)
    cancelled: bool = False  # the client gave up waiting (e.g. a long poll at shutdown)
    at: float = field(default_factory=time.time)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass
class StoredFile:
    """A file the emulator can serve through getFile and the file endpoint."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    size: int


@dataclass
class EUser:
    """A Telegram user played by a test or the demo."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass
class EChat:
    """A chat: private (id = the user's id), group or supergroup."""

    id: int
    type: str
    title: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id → status
    migrated_to: int | None = None
    bot_blocked: bool = False  # private chats: the user blocked the bot
    bot_started: bool = False  # private chats: the user pressed Start

    def to_api(self, users: dict[int, EUser]) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            user = users[self.id]
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
        else:
            data["title"] = self.title or ""
        return data
