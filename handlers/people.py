"""Finding the person a command names: ``@username``, a mention of someone without a
username, ``me``, or the command sent as a reply to their message."""

from __future__ import annotations

from telegram import Message, MessageEntity

from bot.context import Ctx
from bot.errors import Refused
from storage.members import find_by_username, get_member
from storage.models import Member


async def named_person(context: Ctx, message: Message | None, word: str | None) -> Member | None:
    """The member ``word`` names (or the author of the replied-to message when ``word``
    is None); None when nothing names anyone. Refuses names the bot has never seen."""
    if message is not None:
        for entity in message.entities or ():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
                text = message.parse_entity(entity)
                if word is None or word == text or word == text.split()[0]:
                    return await _member(context, entity.user.id, text)
    if word is None:
        if message is not None and message.reply_to_message is not None:
            author = message.reply_to_message.from_user
            if author is not None and not author.is_bot:
                return await _member(context, author.id, author.full_name)
        return None
    if word.startswith("@") and len(word) > 1:
        async with context.db.transaction() as session:
            member = await find_by_username(session, word)
        if member is None:
            raise Refused("people.unknown", name=word)
        return member
    return None


async def _member(context: Ctx, user_id: int, shown: str) -> Member:
    async with context.db.transaction() as session:
        member = await get_member(session, user_id)
    if member is None:
        raise Refused("people.unknown", name=shown)
    return member
