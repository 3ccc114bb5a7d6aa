"""Messages without a command — a photo, an album, a location, plain text — go to what
the person is in the middle of in that chat (their prompt: a guided report, an awaited
"after" photo, …), through this one router. A feature registers a :class:`Taker` for its
kind of prompt with :func:`add_taker`; ``/cancel`` ends whatever prompt there is.

Features never look at each other's prompts: the router asks the one taker whose kind
the person's prompt has.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, MessageHandler, filters

from domain.errors import UsageError
from domain.kinds import PromptKind
from handlers.commands import add_commands, command
from handlers.common import reply
from handlers.context import Ctx
from handlers.features import (
    AlbumReplyTaker,
    AlbumSent,
    Fallback,
    ReplyTaker,
    Taker,
    features_of,
)
from handlers.invocation import Invocation
from storage.albums import drop_pending_of
from storage.photos import PhotoInfo
from storage.prompts import Waiting, drop_prompt, get_prompt


def add_taker(app: Application, kind: PromptKind, taker: Taker) -> None:  # type: ignore[type-arg]
    """Let a feature handle the messages sent while its kind of prompt is waiting."""
    features_of(app).takers[kind] = taker


def add_reply_taker(app: Application, taker: ReplyTaker) -> None:  # type: ignore[type-arg]
    """Let a feature take a photo or location sent in reply to one of the bot's messages
    (events: a photo for the event, the venue's location); it returns True if it did."""
    features_of(app).reply_takers.append(taker)


async def take_reply(update: Update, context: Ctx, photo: PhotoInfo | None) -> bool:
    """Offer a photo (``photo``) or a location that replies to one of the bot's messages
    to the features; True if one took it."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False
    for taker in context.features.reply_takers:
        if await taker(update, context, photo):
            return True
    return False


def add_album_reply_taker(app: Application, taker: AlbumReplyTaker) -> None:  # type: ignore[type-arg]
    """Let a feature take an album (without a caption) sent in reply to one of the bot's
    messages (events: an album replying to an announcement joins the event)."""
    features_of(app).album_reply_takers.append(taker)


async def take_album_reply(context: Ctx, album: AlbumSent) -> bool:
    """Offer an album that replies to one of the bot's messages to the features; True if
    one took it."""
    if album.reply_to is None:
        return False
    for taker in context.features.album_reply_takers:
        if await taker(context, album):
            return True
    return False


def set_location_fallback(app: Application, fallback: Fallback) -> None:  # type: ignore[type-arg]
    """What a location does when no prompt waits for one (inspections: it joins the
    report just sent)."""
    features_of(app).location_fallback = fallback


async def waiting(context: Ctx, chat_id: int, user_id: int) -> tuple[Waiting, Taker] | None:
    """The person's prompt in this chat and its taker; None if nothing (still) waits."""
    async with context.read() as session:
        found = await get_prompt(session, chat_id, user_id)
    if found is None:
        return None
    taker = context.features.takers.get(found.kind)
    if taker is None:
        return None
    if taker.expires is not None and found.since < context.clock.now() - taker.expires:
        return None
    return found, taker


async def take_photo(update: Update, context: Ctx, photo: PhotoInfo) -> bool:
    """Offer a photo without a command to the person's prompt; True if taken."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    found = await waiting(context, message.chat_id, user.id)
    if found is None or found[1].photo is None:
        return False
    return await found[1].photo(update, context, photo, found[0])


async def take_album(context: Ctx, album: AlbumSent) -> bool:
    """Offer a whole album without a command to the person's prompt; True if taken."""
    found = await waiting(context, album.chat_id, album.user_id)
    if found is None or found[1].album is None or album.since < found[0].started:
        return False  # an album sent before the prompt began is no answer to it
    return await found[1].album(context, album, found[0])


async def on_location(update: Update, context: Ctx) -> None:
    """A location: the prompt's, if one waits for it, else the registered fallback."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None:
        return
    if await take_reply(update, context, None):
        return
    found = await waiting(context, message.chat_id, user.id)
    taker = found[1].location if found is not None else None
    if found is not None and taker is not None and await taker(update, context, found[0]):
        return
    fallback = context.features.location_fallback
    if fallback is not None:
        await fallback(update, context)


async def on_live_location(update: Update, context: Ctx) -> None:
    """A live location moved (Telegram sends it as an edited message): offered to the
    person's prompt in private chat, if one waits for a location; otherwise ignored."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None:
        return
    found = await waiting(context, message.chat_id, user.id)
    taker = found[1].location if found is not None else None
    if found is not None and taker is not None:
        await taker(update, context, found[0])


async def on_private_text(update: Update, context: Ctx) -> None:
    """Plain text in private chat: the prompt's next step, or a hint."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    found = await waiting(context, message.chat_id, user.id)
    taker = found[1].text if found is not None else None
    if found is not None and taker is not None and await taker(update, context, found[0]):
        return
    await reply(update, context, context.t("private.hint"))


async def cancel_command(inv: Invocation) -> None:
    """Stop what the person is in the middle of here (a guided report, a wait)."""
    context, chat_id, user_id = inv.context, inv.chat_id, inv.user_id
    if inv.args:
        raise UsageError("cancel")
    found = await waiting(context, chat_id, user_id)
    async with context.transaction() as session:
        dropped = await drop_prompt(session, chat_id, user_id)
        picks = inv.private and await drop_pending_of(session, user_id)
    if found is None or not dropped:
        await inv.reply(inv.t("cancel.picks" if picks else "cancel.nothing"))
        return
    taker = found[1]
    markup = ReplyKeyboardRemove() if taker.remove_keyboard and inv.private else None
    await inv.reply(inv.t(taker.cancelled), markup)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /cancel, the location router (live locations' updates in private chat
    too) and the private-text router."""
    cancel = command("cancel", "any", cancel_command, section="inspections", grouped=False)
    add_commands(app, cancel)
    app.add_handler(MessageHandler(filters.LOCATION & filters.UpdateType.MESSAGE, on_location))
    live = filters.LOCATION & filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(live, on_live_location))
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(private_text & filters.UpdateType.MESSAGE, on_private_text))
