"""Album parts and finished albums; pending private-chat commands waiting for a group."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.parsing import storable
from storage.dialect import insert, rowcount
from storage.models import Album, AlbumPart, PendingCommand
from storage.photos import PhotoInfo


async def add_album_part(
    session: AsyncSession,
    chat_id: int,
    media_group_id: str,
    message_id: int,
    user_id: int,
    caption: str | None,
    photo: PhotoInfo,
    now: datetime,
    reply_to: int | None = None,
) -> None:
    """Keep one photo of an album until the album is complete (idempotent);
    ``reply_to``: the bot's message it was sent in reply to."""
    await session.execute(
        insert(session, AlbumPart)
        .values(
            chat_id=chat_id,
            media_group_id=media_group_id,
            message_id=message_id,
            user_id=user_id,
            caption=caption,
            reply_to_message_id=reply_to,
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            width=photo.width,
            height=photo.height,
            file_size=photo.file_size,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )


async def album_parts(session: AsyncSession, chat_id: int, media_group_id: str) -> list[AlbumPart]:
    """The photos received so far of one album, in message order."""
    rows = await session.scalars(
        select(AlbumPart)
        .where(AlbumPart.chat_id == chat_id, AlbumPart.media_group_id == media_group_id)
        .order_by(AlbumPart.message_id)
    )
    return list(rows)


async def finished_album(session: AsyncSession, chat_id: int, media_group_id: str) -> Album | None:
    """The album's record if it has already been acted on."""
    return await session.scalar(
        select(Album).where(Album.chat_id == chat_id, Album.media_group_id == media_group_id)
    )


async def finish_album(
    session: AsyncSession, chat_id: int, media_group_id: str, now: datetime
) -> Album | None:
    """Mark the album acted on and drop its parts; None if it already was (so a second
    attempt changes nothing)."""
    row = await session.execute(
        insert(session, Album)
        .values(chat_id=chat_id, media_group_id=media_group_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["chat_id", "media_group_id"])
        .returning(Album.id)
    )
    album_id = row.scalar_one_or_none()
    if album_id is None:
        return None
    await session.execute(
        delete(AlbumPart).where(
            AlbumPart.chat_id == chat_id, AlbumPart.media_group_id == media_group_id
        )
    )
    return await session.get(Album, album_id)


async def drop_parts_of(
    session: AsyncSession, chat_id: int, media_group_id: str
) -> list[AlbumPart]:
    """Take the parts kept of one album away (each once, however many take them)."""
    rows = await session.scalars(
        delete(AlbumPart)
        .where(AlbumPart.chat_id == chat_id, AlbumPart.media_group_id == media_group_id)
        .returning(AlbumPart)
    )
    return sorted(rows, key=lambda p: p.message_id)


async def unfinished_albums(session: AsyncSession, older_than: datetime) -> list[tuple[int, str]]:
    """Albums with parts received before ``older_than`` that were never acted on."""
    rows = await session.execute(
        select(AlbumPart.chat_id, AlbumPart.media_group_id)
        .where(AlbumPart.received_at < older_than)
        .group_by(AlbumPart.chat_id, AlbumPart.media_group_id)
    )
    return [(chat_id, media_group_id) for chat_id, media_group_id in rows]


async def unfinished_albums_of(session: AsyncSession, chat_id: int, user_id: int) -> list[str]:
    """The albums this person is still sending in this chat (not yet acted on)."""
    rows = await session.scalars(
        select(AlbumPart.media_group_id)
        .where(AlbumPart.chat_id == chat_id, AlbumPart.user_id == user_id)
        .group_by(AlbumPart.media_group_id)
    )
    return list(rows)


async def drop_album_parts(session: AsyncSession, older_than: datetime) -> None:
    """Forget album photos that never carried a command (kept at most this long)."""
    await session.execute(delete(AlbumPart).where(AlbumPart.received_at < older_than))


async def save_pending(
    session: AsyncSession, user_id: int, update_id: int, payload: dict[str, Any], now: datetime
) -> int:
    """Keep a private-chat command until its sender picks the group; returns its id."""
    row = await session.execute(
        insert(session, PendingCommand)
        .values(
            user_id=user_id, update_id=update_id, update_json=json.dumps(payload), created_at=now
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(PendingCommand.id)
    )
    pending_id = row.scalar_one_or_none()
    if pending_id is None:
        existing = await session.scalar(
            select(PendingCommand.id).where(PendingCommand.update_id == update_id)
        )
        assert existing is not None
        return int(existing)
    return int(pending_id)


async def drop_pending_of(session: AsyncSession, user_id: int) -> bool:
    """Forget the person's commands waiting for a group pick; False if there were none."""
    result = await session.execute(delete(PendingCommand).where(PendingCommand.user_id == user_id))
    return rowcount(result) > 0


async def get_pending(session: AsyncSession, pending_id: int) -> tuple[int, dict[str, Any]] | None:
    """(user id, payload) of a pending command, if it is still waiting."""
    if not storable(pending_id):
        return None
    pending = await session.get(PendingCommand, pending_id)
    if pending is None:
        return None
    return pending.user_id, json.loads(pending.update_json)


async def take_pending(session: AsyncSession, pending_id: int) -> bool:
    """Remove the pending command; False if another press already took it."""
    result = await session.execute(
        delete(PendingCommand).where(PendingCommand.id == pending_id).returning(PendingCommand.id)
    )
    return result.scalar_one_or_none() is not None
