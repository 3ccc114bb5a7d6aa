"""Numbered commands with one code path, however they arrive.

A command like ``/progress 3 60% 完成基层`` can come as a text message, as the caption of
a photo, as the caption of an album (whose photos arrive as several messages, possibly
split across getUpdates batches), or in private chat from someone who then picks the
group with a button. Each way builds an :class:`Invocation` and calls the same
``async def func(inv: Invocation) -> None``.

Each way also has its own idempotency key, claimed in the command's one transaction
(:meth:`Invocation.transaction`): the update id, the album (chat, media_group_id), or the
pending private-chat command. So a redelivery, a second album sweep or a double press of
the group button changes nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError

from domain.errors import DuplicateUpdate, GroupOnly, NotAdmin, Refused, UsageError, UserError
from domain.parsing import parse_int
from domain.text import bounded
from handlers.common import CAPTION, Markup, fit, is_admin, is_group_chat
from handlers.context import Ctx
from handlers.errors import render_user_error
from handlers.features import AlbumSent, CommandSpec
from handlers.i18n import Html, Translator
from storage.albums import (
    album_parts,
    finish_album,
    finished_album,
    save_pending,
    take_pending,
)
from storage.members import groups_of
from storage.models import Group
from storage.photos import PhotoInfo, SubjectRef

log = logging.getLogger(__name__)


@dataclass
class Invocation:
    """One command, with the group it is about and how to answer it."""

    context: Ctx
    command: str
    rest: str  # everything after the command word, as typed
    chat_id: int
    private: bool
    user_id: int
    message_id: int
    target: Group | None  # the group it is about (None: a private chat, no group asked)
    is_admin: bool
    t: Translator
    photos: list[PhotoInfo] = field(default_factory=list)
    message: Message | None = None  # the command message itself (text and caption paths)
    update: Update | None = None  # its update (text and caption paths)
    update_id: int | None = None
    album: tuple[int, str] | None = None
    pending_id: int | None = None

    @property
    def group(self) -> Group:
        """The group the command is about; a command about no group (one not
        ``grouped``, sent in private chat) is refused as group-only."""
        if self.target is None:
            raise GroupOnly()
        return self.target

    @classmethod
    def from_message(
        cls,
        update: Update,
        context: Ctx,
        command: str,
        rest: str,
        group: Group | None,
        is_admin: bool,
        photos: list[PhotoInfo] | None = None,
    ) -> Invocation:
        """The command as one message (text, or a photo's caption, or an awaited photo):
        answered where it was sent; its update id is its idempotency key."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        return cls(
            context=context,
            command=command,
            rest=rest,
            chat_id=message.chat_id,
            private=not is_group_chat(update),
            user_id=user.id,
            message_id=message.message_id,
            target=group,
            is_admin=is_admin,
            t=context.t,
            photos=photos or [],
            message=message,
            update=update,
            update_id=update.update_id,
        )

    @classmethod
    def from_album(
        cls, context: Ctx, album: AlbumSent, command: str, rest: str, group: Group, admin: bool
    ) -> Invocation:
        """The command as an album's caption: the album is its idempotency key, and its
        reply is in the language of the chat it came from."""
        return cls(
            context=context,
            command=command,
            rest=rest,
            chat_id=album.chat_id,
            private=album.private,
            user_id=album.user_id,
            message_id=album.message_id,
            target=group,
            is_admin=admin,
            t=album.t,
            photos=album.photos,
            album=(album.chat_id, album.media_group_id),
        ).claimed_by_itself()

    @classmethod
    def from_pick(
        cls, context: Ctx, user_id: int, payload: dict[str, Any], group: Group, admin: bool
    ) -> Invocation:
        """A command sent in private chat, run once its sender picked the group; the
        pending command is its idempotency key."""
        return cls(
            context=context,
            command=payload["command"],
            rest=payload["rest"],
            chat_id=payload["chat_id"],
            private=True,
            user_id=user_id,
            message_id=payload["message_id"],
            target=group,
            is_admin=admin,
            t=context.t,
            photos=[PhotoInfo(**p) for p in payload["photos"]],
            pending_id=int(payload["pending_id"]),
        ).claimed_by_itself()

    def claimed_by_itself(self) -> Invocation:
        """The album or the pending command, not the update at hand, is what this
        command's first transaction claims; a picked command owes its message an answer."""
        owed = None
        if self.pending_id is not None:
            owed = (self.chat_id, self.message_id, f"/{self.command} {self.rest}")
        self.context = self.context.for_work(self._claim, owed)
        return self

    @property
    def args(self) -> list[str]:
        """The arguments, split on whitespace."""
        return self.rest.split()

    def number(self, word: str | None) -> int:
        """A topic/issue/event number argument; anything else is a usage error."""
        number = parse_int(word or "")
        if number is None or number < 1:
            raise UsageError(self.command)
        return number

    def only_number(self) -> int:
        """The one argument, a number (``/claim 3``); anything else is the usage line."""
        if len(self.args) != 1:
            raise UsageError(self.command)
        return self.number(self.args[0])

    def number_and_text(self, field: str) -> tuple[int, str]:
        """``/reject 3 <reason>``: the number and the text after it (required, within
        ``field``'s limit); anything less is the usage line."""
        if len(self.args) < 2:
            raise UsageError(self.command)
        return self.number(self.args[0]), self.text_after(1, field)

    def text_after(
        self, words: int, field: str, *, required: bool = True, one_line: bool = False
    ) -> str:
        """The text after the first ``words`` arguments, cleaned and within ``field``'s
        limit; the command's usage line when it is required and missing (or invisible),
        the limit when it is too long."""
        parts = self.rest.split(None, words)
        text = (
            bounded(parts[words], field, self.command, one_line=one_line)
            if len(parts) > words
            else ""
        )
        if required and not text:
            raise UsageError(self.command)
        return text

    def require_admin(self) -> None:
        """Refuse unless the person is an admin of the target group."""
        if not self.is_admin:
            raise NotAdmin()

    async def claim(self) -> None:
        """Claim the command now, writing nothing else: for work that outlives the update
        (a file made in the background), so that a redelivery does not start it twice (it
        raises DuplicateUpdate instead)."""
        await self.context.claim()

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The command's write transaction (the context's): the first claims the command —
        its update, album or pending private-chat command — so doing the same thing twice
        raises DuplicateUpdate instead of writing twice; a later one reuses the claim."""
        return self.context.transaction()

    async def _claim(self, session: AsyncSession) -> None:
        """Claim the album or the pending private-chat command, once."""
        now = self.context.clock.now()
        if self.pending_id is not None:
            if not await take_pending(session, self.pending_id):
                raise DuplicateUpdate(self.update_id or 0)
        elif self.album is not None:
            # photos of the album that arrived after it was read for this command (a slow
            # moment between its parts) join it too, instead of being dropped with the parts
            known = {p.message_id for p in self.photos}
            self.photos += [
                PhotoInfo(p.file_id, p.file_unique_id, p.width, p.height, p.file_size, p.message_id)
                for p in await album_parts(session, *self.album)
                if p.message_id not in known
            ]
            album = await finish_album(session, self.album[0], self.album[1], now)
            if album is None:
                raise DuplicateUpdate(self.update_id or 0)
            album.group_id = self.group.id

    async def link_album(self, session: AsyncSession, subject: SubjectRef) -> None:
        """Photos of this album that arrive later join the entry just written."""
        if self.album is None:
            return
        album = await finished_album(session, *self.album)
        if album is not None:
            album.subject_kind, album.subject_id = subject

    async def reply(self, text: str, markup: Markup | None = None) -> Message:
        """Answer where the command was sent (quoting it in a group)."""
        return await self.context.bot.send_message(
            self.chat_id,
            fit(text),
            reply_markup=markup,
            reply_parameters=None
            if self.private
            else ReplyParameters(self.message_id, allow_sending_without_reply=True),
        )

    async def announce(self, text: str, markup: Markup | None = None) -> Message:
        """Tell the group (answering in place when the command came from the group; from
        private chat, post to the group and confirm privately)."""
        if not self.private:
            return await self.reply(text, markup)
        sent = await self.context.bot.send_message(
            self.group.chat_id, fit(text), reply_markup=markup
        )
        await self.reply(self.t("scope.posted", group=self.group.title))
        return sent


async def announce_with_photos(
    inv: Invocation, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Tell the group, as :meth:`Invocation.announce`; from private chat the photos go to
    the group with the text. Returns the id of the group message carrying ``markup``."""
    if inv.private and inv.photos:
        bot = inv.context.bot
        # with buttons, the text follows as its own message (an album can't carry buttons)
        caption = fit(text, CAPTION) if markup is None else None
        if len(inv.photos) == 1:
            sent = await bot.send_photo(inv.group.chat_id, inv.photos[0].file_id, caption=caption)
        else:
            media = [InputMediaPhoto(p.file_id) for p in inv.photos[:10]]
            media[0] = InputMediaPhoto(inv.photos[0].file_id, caption=caption)
            sent = (await bot.send_media_group(inv.group.chat_id, media))[0]
        if markup is None:
            await inv.reply(inv.t("scope.posted", group=inv.group.title))
            return sent.message_id
    message = await inv.announce(text, markup)
    return message.message_id


async def start_command(
    update: Update, context: Ctx, spec: CommandSpec, rest: str, photos: list[PhotoInfo]
) -> None:
    """Run ``spec`` for this message: in a group about that group; in private chat a
    ``grouped`` command is about the person's group (asked with buttons when they are in
    several), any other about no group."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    private = not is_group_chat(update)
    group: Group | None = context.group
    admin = context.sender_is_admin
    if private:
        group, admin = None, False
    if private and spec.grouped:
        resolved = await _private_group(
            context,
            user.id,
            update.update_id,
            {
                "command": spec.name,
                "rest": rest,
                "chat_id": message.chat_id,
                "message_id": message.message_id,
                "photos": [asdict(p) for p in photos],
            },
        )
        if resolved is None:
            return
        group, admin = resolved
    inv = Invocation.from_message(update, context, spec.name, rest, group, admin, photos)
    await spec.run(inv)


async def _private_group(
    context: Ctx, uid: int, update_id: int, payload: dict[str, Any]
) -> tuple[Group, bool] | None:
    async with context.read() as session:
        groups = await groups_of(session, uid)
    if not groups:
        raise Refused("scope.no_group")
    if len(groups) == 1:
        return groups[0], await is_admin(context, groups[0], uid)
    async with context.transaction() as session:
        pending_id = await save_pending(session, uid, update_id, payload, context.clock.now())
        context.acknowledged = True  # nothing is done yet: its answer is the question below
    buttons = [
        [
            InlineKeyboardButton(
                g.title or str(g.chat_id), callback_data=f"pick:{pending_id}:{g.chat_id}"
            )
        ]
        for g in groups[:8]
    ]
    await context.bot.send_message(
        uid,
        context.t("scope.pick", command="/" + payload["command"]),
        reply_markup=InlineKeyboardMarkup(buttons),
    )
    return None


async def run_safely(
    inv: Invocation, run: Callable[[Invocation], Awaitable[None]] | None = None
) -> None:
    """Run an invocation (its command's handler, or ``run``) outside python-telegram-bot's
    error handling (album sweeps, group picks): refusals are answered, bugs logged with
    an id and apologised for."""
    if run is None:
        spec = inv.context.features.command(inv.command)
        assert spec is not None, inv.command
        run = spec.run
    try:
        await run(inv)
    except DuplicateUpdate:
        log.info("/%s was already carried out; nothing done twice", inv.command)
    except UserError as error:
        await _safe_reply(inv, render_user_error(inv.t, error))
    except Exception as error:
        inv.context.bot_data.metrics.error(error)
        error_id = secrets.token_hex(4)
        log.error("error %s while running /%s", error_id, inv.command, exc_info=error)
        await _safe_reply(inv, inv.t("error.internal", id=error_id))


async def _safe_reply(inv: Invocation, text: Html) -> None:
    try:
        await inv.reply(text)
    except TelegramError as exc:
        log.warning("could not answer /%s: %s", inv.command, exc)
