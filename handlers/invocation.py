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

import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageEntity,
    PhotoSize,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, JobQueue, MessageHandler, filters

from domain.errors import DuplicateUpdate, NotAdmin, Refused, UsageError, UserError
from domain.kinds import Subject
from domain.parsing import MAX_NUMBER, parse_int, storable
from handlers.common import CAPTION, Markup, command, fit, is_admin, is_group_chat, reply
from handlers.context import Ctx
from handlers.errors import render_user_error
from handlers.features import features_of
from handlers.i18n import Html, Translator, for_language, language_from_code
from handlers.media import kick_downloads, schedule_downloads
from handlers.prompts import LooseAlbum, take_album, take_photo
from storage.albums import (
    add_album_part,
    album_parts,
    drop_album_parts,
    finish_album,
    finished_album,
    get_pending,
    save_pending,
    take_pending,
    unfinished_albums,
    unfinished_albums_of,
)
from storage.groups import get_group
from storage.members import get_member, groups_of
from storage.models import Group
from storage.photos import PhotoInfo, SubjectRef, attach_photos

log = logging.getLogger(__name__)

CommandFunc = Callable[["Invocation"], Coroutine[Any, Any, None]]
MAX_PHOTO_BYTES = 20 * 1024 * 1024


ALBUM_PART_TTL = timedelta(hours=1)
_CAPTION = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+|$)(.*)$", re.DOTALL)


@dataclass
class Invocation:
    """One numbered command, with the group it is about and how to answer it."""

    context: Ctx
    command: str
    rest: str  # everything after the command word, as typed
    chat_id: int
    private: bool
    user_id: int
    message_id: int
    group: Group
    is_admin: bool
    t: Translator
    photos: list[PhotoInfo] = field(default_factory=list)
    message: Message | None = None  # the command message itself (text and caption paths)
    update_id: int | None = None
    album: tuple[int, str] | None = None
    pending_id: int | None = None
    _claimed: bool = field(default=False, init=False, repr=False)

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

    def require_admin(self) -> None:
        """Refuse unless the person is an admin of the target group."""
        if not self.is_admin:
            raise NotAdmin()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The command's write transaction: the first claims the idempotency key (so doing
        the same thing twice raises DuplicateUpdate instead of writing twice); a later one
        in the same command reuses the claim."""
        if self.album is None and self.pending_id is None:
            # a plain message: the update's own claim, shared with the rest of the update
            async with self.context.transaction() as session:
                yield session
            return
        async with self.context.db.transaction() as session:
            if not self._claimed:
                await self._claim(session)
            yield session
        self._claimed = True

    async def _claim(self, session: AsyncSession) -> None:
        """Claim the album or the pending private-chat command, once."""
        now = self.context.clock.now()
        if self.pending_id is not None:
            if not await take_pending(session, self.pending_id):
                raise DuplicateUpdate(self.update_id or 0)
        elif self.album is not None:
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


def register_command(
    app: Application,  # type: ignore[type-arg]
    name: str,
    func: CommandFunc,
    *,
    photos: bool = False,
) -> None:
    """Install a numbered command: as text (group or private) and, with ``photos``, as
    the caption of a photo or an album."""
    features_of(app).numbered[name] = func
    if photos:
        features_of(app).photo_commands.add(name)

    async def from_text(update: Update, context: Ctx) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        words = with_mentions(message).split(None, 1)  # any whitespace, a newline too
        rest = words[1] if len(words) > 1 else ""
        await _start(update, context, name, rest, [])

    from_text.__doc__ = f"/{name} as a text message."
    app.add_handler(command(name, from_text))


def with_mentions(message: Message) -> str:
    """The message's text with each mention of a person without a username (shown by
    Telegram as their name, which may be several words) replaced by one word
    ``@id:<user id>``, so a name never shifts the arguments after it."""
    text = message.text or ""
    mentions = [
        e for e in message.entities or () if e.type == MessageEntity.TEXT_MENTION and e.user
    ]
    if not mentions:
        return text
    units = text.encode("utf-16-le")
    out, position = [], 0
    for entity in sorted(mentions, key=lambda e: e.offset):
        assert entity.user is not None
        out.append(units[position * 2 : entity.offset * 2].decode("utf-16-le"))
        out.append(f"{MENTION}{entity.user.id}")
        position = entity.offset + entity.length
    out.append(units[position * 2 :].decode("utf-16-le"))
    return "".join(out)


MENTION = "@id:"


def largest(sizes: tuple[PhotoSize, ...], message_id: int) -> PhotoInfo:
    """The biggest size of a Telegram photo (the last one)."""
    size = sizes[-1]
    return PhotoInfo(
        file_id=size.file_id[:255],
        file_unique_id=size.file_unique_id[:64],
        width=_dimension(size.width),
        height=_dimension(size.height),
        file_size=min(size.file_size, MAX_NUMBER) if size.file_size is not None else None,
        message_id=message_id,
    )


def _dimension(value: int) -> int:
    """A photo's width or height as a column can hold it (Telegram's are small)."""
    return value if storable(value) else 0


def parse_caption(
    caption: str | None, bot_username: str, commands: Collection[str]
) -> tuple[str, str] | None:
    """``"/progress@bot 3 60% …"`` → ("progress", "3 60% …") when the command is one of
    ``commands`` (those that take photos); None for any other caption."""
    if not caption:
        return None
    match = _CAPTION.match(caption.strip())
    if match is None:
        return None
    name, target, rest = match.group(1).lower(), match.group(2), match.group(3)
    if target and target.lower() != bot_username.lower():
        return None
    if name not in commands:
        return None
    return name, rest.strip()


async def _start(
    update: Update, context: Ctx, name: str, rest: str, photos: list[PhotoInfo]
) -> None:
    """Resolve the group (asking in private when there are several) and run."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    private = not is_group_chat(update)
    if not private:
        assert context.group is not None
        group, admin = context.group, context.sender_is_admin
    else:
        resolved = await _private_group(
            context,
            user.id,
            update.update_id,
            {
                "command": name,
                "rest": rest,
                "chat_id": message.chat_id,
                "message_id": message.message_id,
                "photos": [asdict(p) for p in photos],
            },
        )
        if resolved is None:
            return
        group, admin = resolved
    inv = Invocation(
        context=context,
        command=name,
        rest=rest,
        chat_id=message.chat_id,
        private=private,
        user_id=user.id,
        message_id=message.message_id,
        group=group,
        is_admin=admin,
        t=context.t,
        photos=photos,
        message=message,
        update_id=update.update_id,
    )
    await context.features.numbered[name](inv)


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


async def on_pick(update: Update, context: Ctx) -> None:
    """The person chose the group for a command sent in private chat: run it there."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, pending_raw, chat_raw = query.data.split(":")
    async with context.read() as session:
        pending = await get_pending(session, int(pending_raw))
        mine = {g.chat_id: g for g in await groups_of(session, query.from_user.id)}
    group = mine.get(int(chat_raw))
    if pending is None or pending[0] != query.from_user.id or group is None:
        await query.answer(context.t.plain("scope.pick_stale"), show_alert=True)
        return
    payload = pending[1]
    await query.answer(context.t.plain("scope.picked", group=group.title))
    inv = Invocation(
        context=context,
        command=payload["command"],
        rest=payload["rest"],
        chat_id=payload["chat_id"],
        private=True,
        user_id=query.from_user.id,
        message_id=payload["message_id"],
        group=group,
        is_admin=await is_admin(context, group, query.from_user.id),
        t=context.t,
        photos=[PhotoInfo(**p) for p in payload["photos"]],
        pending_id=int(pending_raw),
    )
    await run_safely(inv)


async def run_safely(inv: Invocation) -> None:
    """Run an invocation outside python-telegram-bot's error handling (album sweeps,
    group picks): refusals are answered, bugs logged with an id and apologised for."""
    try:
        await inv.context.features.numbered[inv.command](inv)
    except DuplicateUpdate:
        log.info("/%s was already carried out; nothing done twice", inv.command)
    except UserError as error:
        await _safe_reply(inv, render_user_error(inv.t, error))
    except Exception as error:
        error_id = secrets.token_hex(4)
        log.error("error %s while running /%s", error_id, inv.command, exc_info=error)
        await _safe_reply(inv, inv.t("error.internal", id=error_id))


async def _safe_reply(inv: Invocation, text: Html) -> None:
    try:
        await inv.reply(text)
    except TelegramError as exc:
        log.warning("could not answer /%s: %s", inv.command, exc)


async def on_photo(update: Update, context: Ctx) -> None:
    """A single photo (or an image sent as a file): its caption's command, or a feature
    waiting for a photo from this person."""
    message = update.effective_message
    assert message is not None
    parsed = parse_caption(
        message.caption, context.bot.username or "", context.features.photo_commands
    )
    photo = photo_of(message, refuse=parsed is not None)
    if photo is None:
        return
    if parsed is not None:
        name, rest = parsed
        await _start(update, context, name, rest, [photo])
        return
    other = caption_command(message.caption, context.bot.username or "")
    if other is not None:
        raise Refused("photo.command_without_photos", command="/" + other)
    if await take_photo(update, context, photo):
        return
    if not is_group_chat(update):
        await reply(update, context, context.t("photo.hint"))


def caption_command(caption: str | None, bot_username: str) -> str | None:
    """The command a caption starts with, when it is addressed to this bot (or to no bot
    in particular); None otherwise."""
    match = _CAPTION.match((caption or "").strip())
    if match is None:
        return None
    target = match.group(2)
    if target and target.lower() != bot_username.lower():
        return None
    return match.group(1).lower()


async def on_other_media(update: Update, context: Ctx) -> None:
    """A video, voice note or other media captioned with one of our commands: only
    photos are kept as evidence, so say so instead of staying silent."""
    message = update.effective_message
    if message is None:
        return
    name = caption_command(message.caption, context.bot.username or "")
    if name is not None:
        raise Refused("photo.only_photos", command="/" + name)


def photo_of(message: Message, *, refuse: bool) -> PhotoInfo | None:
    """The photo a message carries: its largest size, or an image file. A non-image file
    or anything over 20 MB is refused (when ``refuse``) or ignored."""
    if message.photo:
        photo = largest(message.photo, message.message_id)
    elif message.document is not None:
        document = message.document
        if not (document.mime_type or "").startswith("image/"):
            if refuse:
                raise Refused("photo.not_image", name=document.file_name or "")
            return None
        photo = PhotoInfo(
            document.file_id[:255],
            document.file_unique_id[:64],
            0,
            0,
            min(document.file_size, MAX_NUMBER) if document.file_size is not None else None,
            message.message_id,
        )
    else:
        return None
    if photo.file_size is not None and photo.file_size > MAX_PHOTO_BYTES:
        if refuse:
            raise Refused("photo.too_big", size=photo.file_size // (1024 * 1024))
        return None
    return photo


async def on_album_part(update: Update, context: Ctx) -> None:
    """One photo of an album: keep it, and act once the album stops growing."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.media_group_id is not None
    photo = photo_of(message, refuse=False)
    if photo is None:
        return  # a file in the album that is no image (or too big): not kept
    key = (message.chat_id, message.media_group_id)
    username = context.bot.username or ""
    commands = context.features.photo_commands
    loose = parse_caption(message.caption, username, commands) is None
    if loose and not is_group_chat(update) and await take_photo(update, context, photo):
        return
    async with context.transaction() as session:
        done = await finished_album(session, *key)
        if done is not None:
            # a late photo of an album already acted on joins the same entry
            if done.subject_kind and done.subject_id and done.group_id is not None:
                subject = (Subject(done.subject_kind), done.subject_id)
                await attach_photos(session, done.group_id, [photo], context.clock.now(), subject)
                kick_downloads(context)
            return
        await add_album_part(
            session,
            key[0],
            key[1],
            message.message_id,
            user.id,
            message.caption,
            photo,
            context.clock.now(),
        )
    schedule_album(context, key)


def schedule_album(context: Ctx, key: tuple[int, str]) -> None:
    """(Re)start the album's quiet-period timer."""
    job_queue: JobQueue[Ctx] | None = context.job_queue  # type: ignore[assignment]  # PTB leaves it generic
    assert job_queue is not None
    name = f"album:{key[0]}:{key[1]}"
    for job in job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    job_queue.run_once(
        _album_job,
        context.bot_data.album_debounce,
        data=key,
        name=name,
        job_kwargs={"misfire_grace_time": None},
    )


async def _album_job(context: Ctx) -> None:
    job = context.job
    assert job is not None
    key: tuple[int, str] = job.data  # type: ignore[assignment]
    await finish_album_command(context, *key)


async def finish_album_command(context: Ctx, chat_id: int, media_group_id: str) -> None:
    """Act on a complete album: run its caption's command with all its photos."""
    async with context.read() as session:
        parts = await album_parts(session, chat_id, media_group_id)
    username = context.bot.username or ""
    photos = [
        PhotoInfo(p.file_id, p.file_unique_id, p.width, p.height, p.file_size, p.message_id)
        for p in parts
    ]
    commands = context.features.photo_commands
    found = [(p, parse_caption(p.caption, username, commands)) for p in parts]
    captioned, parsed = next(((p, c) for p, c in found if c is not None), (None, None))
    if captioned is None or parsed is None:
        other = next((c for c in (caption_command(p.caption, username) for p in parts) if c), None)
        if other is not None and parts:
            await _refuse_album(context, chat_id, media_group_id, parts[0].user_id, other)
            return
        if parts and not any(p.caption for p in parts):
            loose = LooseAlbum(
                chat_id, parts[0].user_id, parts[0].message_id, media_group_id, photos
            )
            if await take_album(context, loose):
                return
        return  # no command (yet): the caption may still come; old parts are dropped later
    name, rest = parsed
    async with context.read() as session:
        group = await get_group(session, chat_id)
        member = await get_member(session, captioned.user_id)
    private = chat_id == captioned.user_id
    if private:
        t = for_language(language_from_code(member.language_code if member else None))
        async with context.read() as session:
            groups = await groups_of(session, captioned.user_id)
        if len(groups) != 1:
            key = "scope.album_needs_group" if groups else "scope.no_group"
            await context.bot.send_message(chat_id, t(key))
            async with context.db.transaction() as session:
                await finish_album(session, chat_id, media_group_id, context.clock.now())
            return
        group = groups[0]
    elif group is not None:
        t = for_language(group.language)
    if group is None:
        return
    inv = Invocation(
        context=context,
        command=name,
        rest=rest,
        chat_id=chat_id,
        private=private,
        user_id=captioned.user_id,
        message_id=captioned.message_id,
        group=group,
        is_admin=await is_admin(context, group, captioned.user_id),
        t=t,
        photos=photos,
        album=(chat_id, media_group_id),
    )
    await run_safely(inv)


async def finish_albums_of(context: Ctx, chat_id: int, user_id: int) -> None:
    """Act at once on the albums this person is sending here (their parts came in before
    the message being handled, which must see their effect)."""
    async with context.read() as session:
        waiting = await unfinished_albums_of(session, chat_id, user_id)
    for media_group_id in waiting:
        await finish_album_command(context, chat_id, media_group_id)


async def _refuse_album(
    context: Ctx, chat_id: int, media_group_id: str, user_id: int, command: str
) -> None:
    """An album captioned with a command that takes no photos: say so, once."""
    async with context.db.transaction() as session:
        if await finish_album(session, chat_id, media_group_id, context.clock.now()) is None:
            return
        group = await get_group(session, chat_id)
        member = await get_member(session, user_id)
    language = (
        group.language if group else language_from_code(member.language_code if member else None)
    )
    text = for_language(language)("photo.command_without_photos", command="/" + command)
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, text)


async def sweep_albums(context: Ctx) -> None:
    """After a restart (or a lost timer): act on albums whose quiet period has passed,
    and forget photos of albums that never carried a command."""
    now = context.clock.now()
    async with context.read() as session:
        waiting = await unfinished_albums(session, now - context.bot_data.album_debounce)
    for chat_id, media_group_id in waiting:
        await finish_album_command(context, chat_id, media_group_id)
    async with context.db.transaction() as session:
        await drop_album_parts(session, now - ALBUM_PART_TTL)


class _HasMediaGroup(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return message.media_group_id is not None


ALBUM = _HasMediaGroup(name="album")


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the photo-caption, album and group-pick handlers, and the album sweep."""
    new = filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler((filters.PHOTO | filters.Document.IMAGE) & ALBUM & new, on_album_part)
    )
    app.add_handler(MessageHandler(filters.PHOTO & new, on_photo))
    app.add_handler(MessageHandler(filters.Document.ALL & new, on_photo))
    other_media = (
        filters.VIDEO | filters.ANIMATION | filters.AUDIO | filters.VOICE | filters.VIDEO_NOTE
    )
    app.add_handler(MessageHandler(other_media & filters.CAPTION & new, on_other_media))
    app.add_handler(CallbackQueryHandler(on_pick, pattern=r"^pick:[0-9]{1,12}:-?[0-9]{1,20}$"))
    job_queue = app.job_queue
    assert job_queue is not None
    job_queue.run_repeating(sweep_albums, interval=30, first=5, name="album-sweep")
    schedule_downloads(job_queue)
