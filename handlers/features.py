"""What the features register with one Application, kept in its BotData, and the shapes
they register: where a handler lives (:class:`Later`: its module is imported when first
used), the command table (each :class:`CommandSpec` carries its handler; help,
menus and usage lines read the same rows), the takers of each kind of prompt (what to
do with a photo, album, location or text sent without a command), what a photo or
location replying to one of the bot's messages does, and the deep-link payloads.

Nothing is registered in module globals, so two applications built in one process (as
the tests do) never see each other's registrations, and building again adds nothing
twice. This module imports no other handler module: every other one may import it.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.workdays import WorkCalendar
from handlers.i18n import Html, Translator
from storage.models import Group
from storage.photos import PhotoInfo
from storage.prompts import Waiting

if TYPE_CHECKING:
    from telegram import Update
    from telegram.ext import Application

Where = Literal["any", "group", "private"]
SECTIONS = ("general", "topics", "inspections", "events", "briefing")  # as in the spec
# the handler of a command: ``async def f(inv: Invocation) -> None`` (typed where a
# command is declared, ``handlers.commands.command``; here only its shape)
CommandFunc = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class CommandSpec:
    """One command: its handler, where it works, whether it is admin-only, whether it
    may be the caption of photos, and whether it is about a group (``grouped``: in
    private chat it asks which group when the person is in several).

    Its menu description is the catalog key ``cmd.<name>``, its usage line ``usage.<name>``.
    """

    name: str
    where: Where
    run: CommandFunc = field(compare=False, repr=False)
    admin: bool = False
    section: str = "general"
    photos: bool = False
    grouped: bool = True

    @property
    def description_key(self) -> str:
        """Catalog key of the one-line description."""
        return f"cmd.{self.name}"

    @property
    def usage_key(self) -> str:
        """Catalog key of the usage line."""
        return f"usage.{self.name}"


def visible(
    table: Sequence[CommandSpec], chat: Literal["group", "private"], is_admin: bool
) -> list[CommandSpec]:
    """The commands of ``table`` a person may use in this kind of chat, by section."""
    usable = [
        c
        for c in table
        if c.where in ("any", chat) and (is_admin or not c.admin or chat == "private")
    ]
    return sorted(usable, key=lambda c: SECTIONS.index(c.section))


@dataclass(frozen=True)
class AlbumSent:
    """A complete album: who sent it where, its photos, and the language to answer in
    (the group's, or in private chat the sender's)."""

    chat_id: int
    user_id: int
    message_id: int
    media_group_id: str
    since: datetime  # when its first photo arrived
    photos: list[PhotoInfo]
    t: Translator
    reply_to: int | None = None  # the bot's message the album replies to, if any

    @property
    def private(self) -> bool:
        """Whether it was sent in the private chat with the bot."""
        return self.chat_id == self.user_id


# the context argument of these is the update's ``handlers.context.Ctx``
PhotoTaker = Callable[["Update", Any, PhotoInfo, Waiting], Awaitable[bool]]
AlbumTaker = Callable[[Any, AlbumSent, Waiting], Awaitable[bool]]
MessageTaker = Callable[["Update", Any, Waiting], Awaitable[bool]]
Fallback = Callable[["Update", Any], Awaitable[None]]
ReplyTaker = Callable[["Update", Any, PhotoInfo | None], Awaitable[bool]]
AlbumReplyTaker = Callable[[Any, AlbumSent], Awaitable[bool]]
PayloadHandler = Callable[["Update", Any, str], Awaitable[None]]


@dataclass(frozen=True)
class Taker:
    """What one kind of prompt does with each kind of message (True: it took it)."""

    photo: PhotoTaker | None = None
    album: AlbumTaker | None = None
    location: MessageTaker | None = None
    text: MessageTaker | None = None
    expires: timedelta | None = None  # after this the prompt is forgotten
    cancelled: str = "cancel.done"  # catalog key of the answer to /cancel
    remove_keyboard: bool = False  # the prompt showed a reply keyboard


@dataclass(frozen=True)
class Attachment:
    """A file the outbox sends: where it is and the name the person sees."""

    path: Path
    filename: str


# makes the file an outbox message names: (context, what follows the kind in
# ``outbox.document``, the message's group)
DocumentMaker = Callable[[Any, str, int | None], Awaitable[Attachment]]


# adds a feature's routes: (the aiohttp web.Application, this telegram Application)
WebInstaller = Callable[[Any, Any], None]


@dataclass(frozen=True)
class MorningHook:
    """What a feature adds to each group's morning, handled once with it by the schedule's
    sweep (the monthly report: last month's report to the admins on the first working
    day). The context argument is the sweep's ``handlers.context.Ctx``."""

    # in the morning's transaction (after it is claimed): write what it sends to the
    # outbox; a line for the briefing, or None (the last argument: the group's calendar)
    write: Callable[
        [AsyncSession, Any, Group, date, datetime, WorkCalendar], Awaitable[Html | None]
    ]
    # before that transaction, outside it (e.g. read the group's admins from Telegram)
    prepare: Callable[[Any, Group, date, datetime, WorkCalendar], Awaitable[None]] | None = None


@dataclass
class Features:
    """The registrations of one application."""

    commands: list[CommandSpec] = field(default_factory=list)
    takers: dict[str, Taker] = field(default_factory=dict)  # by prompt kind
    location_fallback: Fallback | None = None  # a location no prompt waits for
    # what a photo or location sent in reply to one of the bot's messages does (an event's
    # announcement: its photos, its venue); each returns True when it took the message
    reply_takers: list[ReplyTaker] = field(default_factory=list)
    album_reply_takers: list[AlbumReplyTaker] = field(default_factory=list)
    payloads: dict[str, PayloadHandler] = field(default_factory=dict)
    mornings: list[MorningHook] = field(default_factory=list)  # added to each group's morning
    # the makers of files sent through the outbox, by the kind in ``outbox.document``
    documents: dict[str, DocumentMaker] = field(default_factory=dict)
    # what each feature serves on the web server ([web]): called with the aiohttp
    # application and this Application when the server starts
    web: list[WebInstaller] = field(default_factory=list)
    # the handlers named by their module, imported when first used (see :class:`Later`)
    later: list[Later] = field(default_factory=list)

    def command(self, name: str) -> CommandSpec | None:
        """The table row of command ``name``, if registered."""
        return next((c for c in self.commands if c.name == name), None)

    @property
    def photo_commands(self) -> set[str]:
        """The commands that may be the caption of a photo or an album."""
        return {c.name for c in self.commands if c.photos}


class Later:
    """A handler named by where it lives (``"handlers.topics.commands:claim_command"``):
    its module is imported the first time it is called, and it is called with the same
    arguments. A feature registers these, not its functions, so that a bot starting up
    imports none of its features' modules (78 of them, a tenth of a start): an update
    loads the one it needs, and the runner loads the rest a second after start
    (:func:`load_all`)."""

    def __init__(self, path: str) -> None:
        module, _, name = path.partition(":")
        if not module or not name.isidentifier():
            raise ValueError(f"not a module:function path: {path!r}")
        self.path = path
        self.__name__ = name
        self.__qualname__ = path
        self._module = module
        self._function: Callable[..., Any] | None = None

    def load(self) -> Callable[..., Any]:
        """The function itself (its module imported, once)."""
        if self._function is None:
            self._function = getattr(importlib.import_module(self._module), self.__name__)
        return self._function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Later({self.path!r})"


def later_in(app: Application, package: str) -> Callable[[str], Any]:  # type: ignore[type-arg]
    """What a feature registers its handlers with: ``use = later_in(app, __name__)``, then
    ``use("commands:claim_command")`` for the function ``claim_command`` of the module
    ``commands`` of the package. Each is kept with the application (:func:`load_all`)."""
    kept = features_of(app).later

    def use(path: str) -> Any:
        handler = Later(f"{package}.{path}")
        kept.append(handler)
        return handler

    return use


def load_all(app: Application) -> None:  # type: ignore[type-arg]
    """Import every module the features' handlers live in (what the first update of each
    would otherwise do); raises if one names a function that is not there."""
    for handler in features_of(app).later:
        if not callable(handler.load()):
            raise TypeError(f"{handler.path} is not a function")


def features_of(app: Application) -> Features:  # type: ignore[type-arg]
    """The registrations of ``app`` (kept in its BotData)."""
    features: Features = app.bot_data.features
    return features


def add_morning(app: Application, hook: MorningHook) -> None:  # type: ignore[type-arg]
    """Let a feature add to each group's morning (see :class:`MorningHook`)."""
    features_of(app).mornings.append(hook)
