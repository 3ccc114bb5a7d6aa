"""Photos are kept as Telegram file ids and also downloaded to the media directory, in
the background: a reply never waits for a download, and failures are retried."""

from __future__ import annotations

import logging
from pathlib import Path

from telegram.error import TelegramError
from telegram.ext import JobQueue

from domain.text import DOWNLOAD_LIMIT
from handlers.context import Ctx
from storage.photos import mark_download_failed, mark_downloaded, pending_downloads

log = logging.getLogger(__name__)
JOB_NAME = "photo-downloads"


def media_path(media_dir: Path, group_id: int, file_unique_id: str) -> Path:
    """Where a group's photo is kept: ``<media>/<group id>/<file_unique_id>.jpg``."""
    return media_dir / str(group_id) / f"{file_unique_id}.jpg"


async def download_pending(context: Ctx) -> None:
    """Download every photo not yet on disk; each failure is retried on a later run
    (every minute), a few times at most."""
    media_dir = context.config.media.dir
    tried: set[int] = set()  # a failure waits for the next run, not a tight loop
    while True:
        async with context.write_unclaimed() as session:
            batch = await pending_downloads(session, exclude=tried)
        if not batch:
            return
        for photo in batch:
            tried.add(photo.id)
            target = media_path(media_dir, photo.group_id, photo.file_unique_id)
            try:
                file = await context.bot.get_file(photo.file_id)
                if file.file_size and file.file_size > DOWNLOAD_LIMIT:
                    raise ValueError("file is over 20 MB")
                target.parent.mkdir(parents=True, exist_ok=True)
                await file.download_to_drive(target)
            except (TelegramError, OSError, ValueError) as exc:
                log.warning("download of photo %s failed: %s", photo.id, exc)
                async with context.write_unclaimed() as session:
                    await mark_download_failed(session, photo.id, str(exc))
                continue
            async with context.write_unclaimed() as session:
                await mark_downloaded(session, photo.id, str(target))


def kick_downloads(context: Ctx) -> None:
    """Start downloading soon (after the reply has gone out)."""
    job_queue: JobQueue[Ctx] | None = context.job_queue  # type: ignore[assignment]
    if job_queue is None or job_queue.get_jobs_by_name(JOB_NAME + "-now"):
        return
    # however late a busy loop lets it start, it runs (the scheduler skips a job more
    # than a second late otherwise, and the photo would wait for the minute's retry)
    job_queue.run_once(
        download_pending, 0.5, name=JOB_NAME + "-now", job_kwargs={"misfire_grace_time": None}
    )


def schedule_downloads(job_queue: JobQueue[Ctx]) -> None:
    """Retry pending downloads every minute (and once at start)."""
    job_queue.run_repeating(download_pending, interval=60, first=3, name=JOB_NAME)
