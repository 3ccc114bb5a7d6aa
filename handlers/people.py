"""Finding the person a command names: ``@username``, a mention of someone without a
username, ``me``, or the command sent as a reply to their message."""

from __future__ import annotations

from telegram import Message, MessageEntity

from bot.context import Ctx
from bot.errors import Refused
from bot.text import excerpt
from storage.members import group_member
from storage.models import Group, Member


async def named_person(
    context: Ctx, group: Group, message: Message | None, word: str | None
) -> Member | None:
    """The member of ``group`` that ``word`` names (or the author of the replied-to
    message when ``word`` is None); None when nothing names anyone. Refuses anyone who
    is not a member of this group, without saying whether another group knows them."""
    if message is not None:
        for entity in message.entities or ():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
                text = message.parse_entity(entity)
                if word is None or word == text or word == text.split()[0]:
                    return await _member(context, group, entity.user.id, text)
    if word is None:
        if message is not None and message.reply_to_message is not None:
            author = message.reply_to_message.from_user
            if author is not None and not author.is_bot:
                return await _member(context, group, author.id, author.full_name)
        return None
    if word.startswith("@") and len(word) > 1:
        async with context.db.transaction() as session:
            member = await group_member(session, group.id, username=word)
        if member is None:
            raise Refused("people.unknown", name=excerpt(word))
        return member
    return None


async def _member(context: Ctx, group: Group, user_id: int, shown: str) -> Member:
    async with context.db.transaction() as session:
        member = await group_member(session, group.id, user_id=user_id)
    if member is None:
        raise Refused("people.unknown", name=excerpt(shown))
    return member
