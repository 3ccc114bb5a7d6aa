"""What the features register with one Application, kept in its BotData: the command
table (help, menus, usage lines), the numbered commands and which of them take photos,
the takers of each kind of prompt (what to do with a photo, album, location or text sent
without a command), what a photo or location replying to one of the bot's messages does,
and the deep-link payloads.

Nothing is registered in module globals, so two applications built in one process (as
the tests do) never see each other's registrations, and building again adds nothing
twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram import Update
    from telegram.ext import Application

    from handlers.commands import CommandSpec
    from handlers.prompts import Taker

CommandFunc = Callable[[Any], Awaitable[None]]  # async def f(inv: Invocation) -> None
PayloadHandler = Callable[["Update", Any, str], Awaitable[None]]
Fallback = Callable[..., Awaitable[None]]
ReplyTakerFunc = Callable[..., Awaitable[bool]]  # (update, context, photo or None) -> taken


@dataclass
class Features:
    """The registrations of one application."""

    commands: list[CommandSpec] = field(default_factory=list)
    numbered: dict[str, CommandFunc] = field(default_factory=dict)
    photo_commands: set[str] = field(default_factory=set)
    takers: dict[str, Taker] = field(default_factory=dict)  # by prompt kind
    location_fallback: Fallback | None = None  # a location no prompt waits for
    # what a photo or location sent in reply to one of the bot's messages does (an event's
    # announcement: its photos, its venue); each returns True when it took the message
    reply_takers: list[ReplyTakerFunc] = field(default_factory=list)
    album_reply_takers: list[ReplyTakerFunc] = field(default_factory=list)  # (context, album)
    payloads: dict[str, PayloadHandler] = field(default_factory=dict)

    def command(self, name: str) -> CommandSpec | None:
        """The table row of command ``name``, if registered."""
        return next((c for c in self.commands if c.name == name), None)


def features_of(app: Application) -> Features:  # type: ignore[type-arg]
    """The registrations of ``app`` (kept in its BotData)."""
    features: Features = app.bot_data.features
    return features
