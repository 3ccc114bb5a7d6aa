"""Photos: Telegram file ids attached to entries, and their download state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Photo

MAX_DOWNLOAD_ATTEMPTS = 5


@dataclass(frozen=True)
class PhotoInfo:
    """The largest size of a Telegram photo, as storage keeps it."""

    file_id: str
    file_unique_id: str
    width: int = 0
    height: int = 0
    file_size: int | None = None
    message_id: int | None = None


async def attach_photos(
    session: AsyncSession,
    group_id: int,
    photos: Sequence[PhotoInfo],
    now: datetime,
    *,
    topic_event_id: int | None = None,
    issue_event_id: int | None = None,
) -> list[Photo]:
    """Keep ``photos`` for an entry (skipping ones it already holds)."""
    existing: set[str] = set()
    if topic_event_id is not None or issue_event_id is not None:
        owner = (
            Photo.topic_event_id == topic_event_id
            if topic_event_id is not None
            else Photo.issue_event_id == issue_event_id
        )
        existing = set(await session.scalars(select(Photo.file_unique_id).where(owner)))
    added = []
    for info in photos:
        if info.file_unique_id in existing:
            continue
        existing.add(info.file_unique_id)
        photo = Photo(
            group_id=group_id,
            topic_event_id=topic_event_id,
            issue_event_id=issue_event_id,
            file_id=info.file_id,
            file_unique_id=info.file_unique_id,
            width=info.width,
            height=info.height,
            file_size=info.file_size,
            message_id=info.message_id,
            created_at=now,
        )
        session.add(photo)
        added.append(photo)
    await session.flush()
    return added


async def photos_of_events(
    session: AsyncSession, event_ids: Sequence[int]
) -> dict[int, list[Photo]]:
    """The photos of each topic event, in the order they were sent."""
    if not event_ids:
        return {}
    rows = await session.scalars(
        select(Photo).where(Photo.topic_event_id.in_(event_ids)).order_by(Photo.id)
    )
    found: dict[int, list[Photo]] = {}
    for photo in rows:
        assert photo.topic_event_id is not None
        found.setdefault(photo.topic_event_id, []).append(photo)
    return found


async def pending_downloads(
    session: AsyncSession, limit: int = 20, exclude: Collection[int] = ()
) -> list[Photo]:
    """Photos not yet downloaded that have attempts left (except ``exclude``)."""
    query = (
        select(Photo)
        .where(Photo.local_path.is_(None), Photo.download_attempts < MAX_DOWNLOAD_ATTEMPTS)
        .order_by(Photo.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(Photo.id.not_in(list(exclude)))
    return list(await session.scalars(query))


async def mark_downloaded(session: AsyncSession, photo_id: int, path: str) -> None:
    """Record where the photo was saved."""
    photo = await session.get(Photo, photo_id)
    if photo is not None:
        photo.local_path = path
        photo.download_error = None


async def mark_download_failed(session: AsyncSession, photo_id: int, error: str) -> None:
    """Count a failed download (it is retried until the attempts run out)."""
    photo = await session.get(Photo, photo_id)
    if photo is not None:
        photo.download_attempts += 1
        photo.download_error = error[:300]
