"""Photos: Telegram file ids attached to a subject (any kind of entry: a topic's
progress, an issue's history, …), and their download state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import Subject
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


SubjectRef = tuple[Subject, int]  # what photos belong to: a kind and that row's id


async def attach_photos(
    session: AsyncSession,
    group_id: int,
    photos: Sequence[PhotoInfo],
    now: datetime,
    subject: SubjectRef,
) -> list[Photo]:
    """Keep ``photos`` for a subject (skipping ones it already holds)."""
    if not photos:
        return []
    kind, subject_id = subject
    existing = set(
        await session.scalars(
            select(Photo.file_unique_id).where(
                Photo.subject_kind == kind, Photo.subject_id == subject_id
            )
        )
    )
    added = []
    for info in photos:
        if info.file_unique_id in existing:
            continue
        existing.add(info.file_unique_id)
        photo = Photo(
            group_id=group_id,
            subject_kind=kind,
            subject_id=subject_id,
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


# built once: each read binds the kind and the subjects
_PHOTOS_OF = (
    select(Photo)
    .where(
        Photo.subject_kind == bindparam("kind"),
        Photo.subject_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(Photo.id)
)


async def photos_of(
    session: AsyncSession, kind: Subject, subject_ids: Collection[int]
) -> dict[int, list[Photo]]:
    """The photos of each subject of ``kind``, in the order they were sent."""
    if not subject_ids:
        return {}
    rows = await session.scalars(_PHOTOS_OF, {"kind": kind, "ids": list(subject_ids)})
    found: dict[int, list[Photo]] = {}
    for photo in rows:
        found.setdefault(photo.subject_id, []).append(photo)
    return found


async def pending_downloads(
    session: AsyncSession, limit: int = 20, exclude: Collection[int] = ()
) -> list[Photo]:
    """Photos not yet downloaded that have attempts left (except ``exclude``)."""
    query = (
        select(Photo)
        .where(  # literal: the partial index ix_photos_pending
            Photo.local_path.is_(None),
            Photo.download_attempts < literal_column(str(MAX_DOWNLOAD_ATTEMPTS)),
        )
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


async def relocate_photos(session: AsyncSession, old_dir: str, new_dir: str) -> int:
    """Point the photos downloaded under the media folder ``old_dir`` to the same files
    under ``new_dir`` (a backup restored where the media folder is another); how many."""
    old, new = old_dir.rstrip("/") + "/", new_dir.rstrip("/") + "/"
    if old == new:
        return 0
    result = await session.execute(
        update(Photo)
        .where(func.substr(Photo.local_path, 1, len(old)) == old)
        .values(local_path=literal(new) + func.substr(Photo.local_path, len(old) + 1))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
