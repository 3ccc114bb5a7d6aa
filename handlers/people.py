"""Finding the person a command names: ``@username``, a mention of someone without a
username, ``me``, or the command sent as a reply to their message."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Message, MessageEntity

from domain.errors import Refused
from domain.text import excerpt
from handlers.context import Ctx
from storage.members import group_member
from storage.models import Group, Member


async def named_person(
    context: Ctx, group: Group, message: Message | None, word: str | None
) -> Member | None:
    """The member of ``group`` that ``word`` names — ``@username``, or ``@id:<user id>``
    for a mention of someone without a username (see ``invocation.with_mentions``) — or,
    when ``word`` is None, the author of the message replied to; None when nothing names
    anyone. Refuses anyone who is not a member of this group, without saying whether
    another group knows them."""
    if word is None:
        if message is not None and message.reply_to_message is not None:
            author = message.reply_to_message.from_user
            if author is not None and not author.is_bot:
                return await _member(context, group, author.id, author.full_name)
        return None
    if word.startswith(MENTION) and word[len(MENTION) :].isdigit():
        user_id = int(word[len(MENTION) :])
        return await _member(context, group, user_id, _mentioned_name(message, user_id))
    if word.startswith("@") and len(word) > 1:
        async with context.read() as session:
            member = await group_member(session, group.id, username=word)
        if member is None:
            raise Refused("people.unknown", name=excerpt(word))
        return member
    return None


def _mentioned_name(message: Message | None, user_id: int) -> str:
    for entity in (message.entities if message is not None else None) or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == user_id:
            return message.parse_entity(entity) if message is not None else ""
    return str(user_id)


async def _member(context: Ctx, group: Group, user_id: int, shown: str) -> Member:
    if not 0 < user_id < 2**63:  # typed by hand: no Telegram id is that large
        raise Refused("people.unknown", name=excerpt(shown))
    async with context.read() as session:
        member = await group_member(session, group.id, user_id=user_id)
    if member is None:
        raise Refused("people.unknown", name=excerpt(shown))
    return member


MENTION = "@id:"


async def named_people(
    context: Ctx, group: Group, message: Message | None, words: Iterable[str]
) -> tuple[list[Member], list[str]]:
    """The members of ``group`` that ``words`` name (``@username`` or ``@id:<user id>``,
    as :func:`named_person` reads one), each once, in the order named, read in one go;
    and, apart, the names of those who are not members of this group, as typed (a
    mention without a username: the name Telegram showed)."""
    found: dict[int, Member] = {}
    unknown: list[str] = []
    async with context.read() as session:
        for word in words:
            user_id = _mentioned_id(word)
            if user_id is not None:
                shown = _mentioned_name(message, user_id)
                member = (
                    await group_member(session, group.id, user_id=user_id)
                    if 0 < user_id < 2**63
                    else None
                )
            else:
                shown = word
                member = await group_member(session, group.id, username=word)
            if member is None:
                unknown.append(excerpt(shown))
            else:
                found.setdefault(member.user_id, member)
    return list(found.values()), unknown


def _mentioned_id(word: str) -> int | None:
    """The user id of a mention without a username (``@id:<user id>``), else None."""
    if word.startswith(MENTION) and word[len(MENTION) :].isdigit():
        return int(word[len(MENTION) :])
    return None


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
