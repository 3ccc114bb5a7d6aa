"""Photos that arrive one by one: a caption's command runs with the photo; a photo
without a command goes to what the person is in the middle of (their prompt); other
media with a command get a clear answer. Only photos and image files are kept."""

from __future__ import annotations

from telegram import (
    Message,
    PhotoSize,
    Update,
)
from telegram.ext import Application, MessageHandler, filters

from domain.errors import Refused
from domain.parsing import MAX_NUMBER, storable
from domain.text import DOWNLOAD_LIMIT
from handlers.captions import caption_command, parse_caption
from handlers.common import is_group_chat, reply
from handlers.context import Ctx
from handlers.invocation import start_command
from handlers.prompts import take_photo, take_reply
from storage.photos import PhotoInfo


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


async def on_photo(update: Update, context: Ctx) -> None:
    """A single photo (or an image sent as a file): its caption's command, or a feature
    waiting for a photo from this person."""
    message = update.effective_message
    assert message is not None
    parsed = parse_caption(
        message.caption, context.bot.username or "", context.features.photo_commands
    )
    # in private chat nobody else reads a file sent to the bot: say it is not kept
    photo = photo_of(message, refuse=parsed is not None or not is_group_chat(update))
    if photo is None:
        return
    if parsed is not None:
        name, rest = parsed
        spec = context.features.command(name)
        assert spec is not None
        await start_command(update, context, spec, rest, [photo])
        return
    other = caption_command(message.caption, context.bot.username or "")
    if other is not None:
        raise Refused("photo.command_without_photos", command="/" + other)
    if await take_reply(update, context, photo) or await take_photo(update, context, photo):
        return
    if not is_group_chat(update):
        await reply(update, context, context.t("photo.hint"))


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
    if photo.file_size is not None and photo.file_size > DOWNLOAD_LIMIT:
        if refuse:
            raise Refused("photo.too_big", size=photo.file_size // (1024 * 1024))
        return None
    return photo


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the handlers of single photos, image files and other captioned media
    (after the album handler, which takes the photos of albums)."""
    new = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(filters.PHOTO & new, on_photo))
    app.add_handler(MessageHandler(filters.Document.ALL & new, on_photo))
    other_media = filters.VIDEO | filters.ANIMATION | filters.AUDIO | filters.VOICE
    app.add_handler(MessageHandler(other_media & filters.CAPTION & new, on_other_media))
