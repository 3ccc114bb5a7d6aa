"""Albums: several messages sharing a media_group_id, possibly split across
getUpdates batches or webhook workers. Their photos are kept until the album stops
growing, then its caption's command runs once with all of them (a sweep finishes albums
a restart left behind); a late photo joins the entry the album made."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, JobQueue, MessageHandler, filters

from domain.kinds import Subject
from domain.text import clean_note
from handlers.captions import caption_command, parse_caption
from handlers.common import is_admin
from handlers.context import Ctx
from handlers.features import AlbumSent
from handlers.i18n import for_language, language_from_code
from handlers.invocation import Invocation, run_safely
from handlers.media import kick_downloads, schedule_downloads
from handlers.photos import photo_of
from handlers.prompts import take_album, take_album_reply
from storage.albums import (
    add_album_part,
    album_parts,
    drop_album_parts,
    drop_parts_of,
    finish_album,
    finished_album,
    unfinished_albums,
    unfinished_albums_of,
)
from storage.groups import get_group
from storage.members import get_member, groups_of
from storage.models import Album, Group
from storage.photos import PhotoInfo, attach_photos

log = logging.getLogger(__name__)
ALBUM_PART_TTL = timedelta(hours=1)


async def on_album_part(update: Update, context: Ctx) -> None:
    """One photo of an album: keep it, and act once the album stops growing."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.media_group_id is not None
    photo = photo_of(message, refuse=False)
    if photo is None:
        return  # a file in the album that is no image (or too big): not kept
    key = (message.chat_id, message.media_group_id)
    # decided only when the album is whole: its caption may be a command, in any part
    async with context.transaction() as session:
        done = await finished_album(session, *key)
        if done is not None:
            # a late photo of an album already acted on joins the same entry
            await _join_entry(context, session, done, [photo])
            return
        await add_album_part(
            session,
            key[0],
            key[1],
            message.message_id,
            user.id,
            # kept cleaned: PostgreSQL text holds no NUL, and nothing invisible is needed
            clean_note(message.caption) if message.caption else None,
            photo,
            context.clock.now(),
            reply_to=_replied_bot_message(update, context),
        )
    schedule_album(context, key, message.message_id)


async def _join_entry(
    context: Ctx, session: AsyncSession, done: Album, photos: list[PhotoInfo]
) -> None:
    """Photos of an album already acted on join the entry it made (if it made one)."""
    if done.subject_kind and done.subject_id and done.group_id is not None:
        subject = (Subject(done.subject_kind), done.subject_id)
        await attach_photos(session, done.group_id, photos, context.clock.now(), subject)
        kick_downloads(context)


def _replied_bot_message(update: Update, context: Ctx) -> int | None:
    """The id of the bot's message this message replies to, if it replies to one."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    return replied.message_id


def schedule_album(context: Ctx, key: tuple[int, str], message_id: int) -> None:
    """(Re)start the album's quiet-period timer. It remembers the newest part this
    process has kept: should another process (a webhook worker) keep a newer one, that
    process's timer (or the sweep) acts on the album instead, after its last part."""
    job_queue: JobQueue[Ctx] | None = context.job_queue  # type: ignore[assignment]  # PTB leaves it generic
    assert job_queue is not None
    name = f"album:{key[0]}:{key[1]}"
    newest = message_id
    for job in job_queue.get_jobs_by_name(name):
        newest = max(newest, job.data[2])  # type: ignore[index]
        job.schedule_removal()
    job_queue.run_once(
        _album_job,
        context.bot_data.options.album_debounce,
        data=(*key, newest),
        name=name,
        job_kwargs={"misfire_grace_time": None},
    )


async def _album_job(context: Ctx) -> None:
    job = context.job
    assert job is not None
    data: tuple[int, str, int] = job.data  # type: ignore[assignment]
    await finish_album_command(context, data[0], data[1], newest=data[2])


async def finish_album_command(
    context: Ctx, chat_id: int, media_group_id: str, *, newest: int | None = None
) -> None:
    """Act on a complete album: run its caption's command with all its photos, or offer
    an album without a command to the sender's prompt. ``newest``: the newest part the
    caller knows of; with a newer one kept, the process that kept it acts."""
    async with context.read() as session:
        parts = await album_parts(session, chat_id, media_group_id)
        group = await get_group(session, chat_id)
        sender = await get_member(session, parts[0].user_id) if parts else None
        done = await finished_album(session, chat_id, media_group_id) if parts else None
    if not parts or (newest is not None and parts[-1].message_id > newest):
        return
    if done is not None:
        await _join_late(context, done)
        return
    username = context.bot.username or ""
    found = [
        (p, parse_caption(p.caption, username, context.features.photo_commands)) for p in parts
    ]
    captioned, parsed = next(((p, c) for p, c in found if c is not None), (parts[0], None))
    language = (
        group.language if group else language_from_code(sender.language_code if sender else None)
    )
    album = AlbumSent(
        chat_id,
        captioned.user_id,
        captioned.message_id,
        media_group_id,
        min(p.received_at for p in parts),
        [
            PhotoInfo(p.file_id, p.file_unique_id, p.width, p.height, p.file_size, p.message_id)
            for p in parts
        ],
        for_language(language),
        next((p.reply_to_message_id for p in parts if p.reply_to_message_id), None),
    )
    if parsed is None:
        await _without_command(context, album, [p.caption for p in parts])
        return
    target = group if not album.private else await _only_group(context, album)
    if target is not None:
        admin = await is_admin(context, target, album.user_id)
        await run_safely(Invocation.from_album(context, album, *parsed, target, admin))


async def _join_late(context: Ctx, done: Album) -> None:
    """Parts kept while their album was being acted on (by another process, or by this
    one's sweep) join the entry it made."""
    async with context.write_unclaimed() as session:
        late = await drop_parts_of(session, done.chat_id, done.media_group_id)
        photos = [
            PhotoInfo(p.file_id, p.file_unique_id, p.width, p.height, p.file_size, p.message_id)
            for p in late
        ]
        await _join_entry(context, session, done, photos)


async def _without_command(context: Ctx, album: AlbumSent, captions: list[str | None]) -> None:
    """An album whose caption runs nothing: a command that takes no photos is refused;
    no caption at all goes to the sender's prompt; other text may still get a command."""
    username = context.bot.username or ""
    other = next((c for c in (caption_command(x, username) for x in captions) if c), None)
    if other is not None:
        await _refuse_album(context, album, other)
    elif not any(captions) and not await take_album_reply(context, album):
        await take_album(context, album)


async def _only_group(context: Ctx, album: AlbumSent) -> Group | None:
    """The sender's group for an album sent in private chat; when they are in none or in
    several, say so (an album cannot wait for a group button) and drop it."""
    async with context.read() as session:
        groups = await groups_of(session, album.user_id)
    if len(groups) == 1:
        return groups[0]
    key = "scope.album_needs_group" if groups else "scope.no_group"
    await context.bot.send_message(album.chat_id, album.t(key))
    async with context.transaction() as session:
        await finish_album(session, album.chat_id, album.media_group_id, context.clock.now())
    return None


async def finish_albums_of(context: Ctx, chat_id: int, user_id: int) -> None:
    """Act at once on the albums this person is sending here (their parts came in before
    the message being handled, which must see their effect)."""
    async with context.read() as session:
        waiting = await unfinished_albums_of(session, chat_id, user_id)
    for media_group_id in waiting:
        await finish_album_command(context, chat_id, media_group_id)


async def _refuse_album(context: Ctx, album: AlbumSent, command: str) -> None:
    """An album captioned with a command that takes no photos: say so, once."""
    async with context.transaction() as session:
        finished = await finish_album(
            session, album.chat_id, album.media_group_id, context.clock.now()
        )
    if finished is not None:
        text = album.t("photo.command_without_photos", command="/" + command)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(album.chat_id, text)


async def sweep_albums(context: Ctx) -> None:
    """After a restart (or a lost timer): act on albums whose quiet period has passed,
    and forget photos of albums that never carried a command."""
    now = context.clock.now()
    async with context.read() as session:
        waiting = await unfinished_albums(session, now - context.bot_data.options.album_debounce)
    for chat_id, media_group_id in waiting:
        await finish_album_command(context, chat_id, media_group_id)
    async with context.write_unclaimed() as session:
        await drop_album_parts(session, now - ALBUM_PART_TTL)


class _HasMediaGroup(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return message.media_group_id is not None


ALBUM = _HasMediaGroup(name="album")


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the album handler (photos and image files sharing a media_group_id),
    the album sweep, and the photo downloads."""
    images = filters.PHOTO | filters.Document.IMAGE
    app.add_handler(MessageHandler(images & ALBUM & filters.UpdateType.MESSAGE, on_album_part))
    job_queue = app.job_queue
    assert job_queue is not None
    job_queue.run_repeating(sweep_albums, interval=30, first=5, name="album-sweep")
    schedule_downloads(job_queue)
