"""A burst of committed writes for the backup test: ``python -m tests.backup_writer
CONFIG`` writes, as fast as it can until SIGTERM, issue after issue, each with a photo:
the photo's file into the media folder first (as the bot downloads it before it marks
the row), then the issue and its photo row in one transaction; after each commit it
prints the issue's number, so every number printed is committed."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from domain.config import load_config
from storage.db import Database
from storage.models import Group, Issue, Member, Photo

CHAT_ID = -100777
REPORTER = 4242
PHOTO_BYTES = 48 * 1024
MOMENT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # the rows' own times, never the clock


def photo_bytes(number: int) -> bytes:
    """The content of issue ``number``'s photo (the test computes it again)."""
    seed = hashlib.sha256(f"photo {number}".encode()).digest()
    return seed * (PHOTO_BYTES // len(seed))


async def make_group(db: Database) -> int:
    """The group (and its reporter) the issues are written in."""
    async with db.transaction() as session:
        group = Group(chat_id=CHAT_ID, title="养护一班")
        session.add_all([group, Member(user_id=REPORTER, first_name="张")])
        await session.flush()
        return group.id


async def write_issue(db: Database, group_id: int, number: int, media: Path) -> None:
    """Issue ``number`` with its photo: the file first, then both rows in one commit."""
    path = media / str(group_id) / f"u{number}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo_bytes(number))
    async with db.transaction() as session:
        issue = Issue(
            group_id=group_id,
            number=number,
            road="S272",
            stake_from=number * 10,
            stake_to=number * 10,
            category="pothole",
            severity=2,
            description=f"坑槽 {number}",
            status="open",
            reporter_id=REPORTER,
            chat_id=CHAT_ID,
            created_at=MOMENT,
            updated_at=MOMENT,
        )
        session.add(issue)
        await session.flush()
        session.add(
            Photo(
                group_id=group_id,
                subject_kind="issue_event",
                subject_id=issue.id,
                file_id=f"f{number}",
                file_unique_id=f"u{number}",
                local_path=str(path),
                created_at=MOMENT,
            )
        )


async def write(config_path: Path) -> None:
    """Write until SIGTERM, printing each committed issue's number."""
    config = load_config(config_path, require_token=False)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    db = Database(config.database.url)
    try:
        group_id = await make_group(db)
        number = 0
        while not stop.is_set():
            number += 1
            await write_issue(db, group_id, number, config.media.dir)
            print(number, flush=True)
            await asyncio.sleep(0)
    finally:
        await db.dispose()
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(write(Path(sys.argv[1])))
