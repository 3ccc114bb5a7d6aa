"""Restoring a backup (see :mod:`storage.backup`) into the configured database and media
folder. The file is unpacked beside the database, every member checked against the
manifest, the copy checked (SQLite's integrity check, the manifest's row counts, an
Alembic revision this code knows) and migrated to the newest revision; only then is it
swapped in, by renaming. The database it replaces is kept as
``<name>.before-restore-<time>``, the media folder as ``<folder>.before-restore-<time>``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from domain.errors import BackupError
from storage.backup import (
    CHUNK,
    MANIFEST,
    MEDIA,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    Manifest,
    counts_of,
    revision_of,
)
from storage.db import Database
from storage.live import DatabaseInUse, hold_for_restore, sqlite_file
from storage.migrate import current, revisions, upgrade
from storage.photos import relocate_photos

MANIFEST_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class Restored:
    """What a restore did: the backup's manifest, the revision the database is at now,
    and where what it replaced was kept."""

    manifest: Manifest
    revision: str | None
    kept: Path | None
    kept_media: Path | None

    def lines(self) -> list[str]:
        """What to tell the person who restored."""
        said = [
            f"restored the backup made {self.manifest.made_at} ({self.manifest.backend}, "
            f"revision {self.manifest.revision} → {self.revision}, "
            f"rows: {sum(self.manifest.counts.values())}, "
            f"media files: {self.manifest.media_files})"
        ]
        if self.kept is not None:
            said.append(f"the database it replaced is kept as {self.kept}")
        if self.kept_media is not None:
            said.append(f"the media folder it replaced is kept as {self.kept_media}")
        return said


def unpack(file: Path, into: Path) -> Manifest:
    """Unpack the backup ``file`` into the empty folder ``into``, checking every member
    against the manifest; a damaged, cut-short or foreign file is a :class:`BackupError`."""
    hashes: dict[str, str] = {}
    data: bytes | None = None
    try:
        with tarfile.open(file, mode="r:") as tar:
            for member in tar:
                name = _member_name(member)
                if name == MANIFEST:
                    data = _small(tar, member)
                elif member.isfile():
                    hashes[name] = _extract(tar, member, into / name)
                elif not member.isdir():
                    raise BackupError(f"it holds {name!r}, which is not a file")
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"it is not a readable backup ({exc})") from exc
    if data is None:
        raise BackupError("it has no manifest: a backup cut short, or not a Vanguard backup")
    manifest = Manifest.from_json(data)
    if set(hashes) != set(manifest.files) or manifest.database not in hashes:
        raise BackupError("it does not hold the files its manifest lists (cut short?)")
    damaged = sorted(name for name, sha in hashes.items() if manifest.files[name] != sha)
    if damaged:
        raise BackupError(
            f"{len(damaged)} of its files are damaged (their checksums differ): {damaged[0]}"
        )
    return manifest


def _member_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    ours = member.name in (SQLITE_MEMBER, PGDUMP_MEMBER, MANIFEST) or (
        path.parts[:1] == (MEDIA,) and not path.is_absolute() and ".." not in path.parts
    )
    if not ours:
        raise BackupError(f"it holds {member.name!r}, which no Vanguard backup holds")
    return path.as_posix()


def _small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    source = tar.extractfile(member)
    if source is None or member.size > MANIFEST_LIMIT:
        raise BackupError("its manifest is damaged")
    with source:
        return source.read()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """One member to ``target``, streamed and hashed; its SHA-256."""
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"{member.name} cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256()
    with source, target.open("xb") as out:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
            out.write(chunk)
    return sha.hexdigest()


def check_revision(revision: str | None) -> None:
    """Refuse a copy whose Alembic revision this code does not know (a newer Vanguard's)."""
    known = revisions()
    if revision is None:
        raise BackupError("its database has no Alembic revision: not a Vanguard database")
    if revision not in known:
        raise BackupError(
            f"its database is at revision {revision}, which this Vanguard does not know "
            f"(its newest is {known[-1]}): restore it with the Vanguard that made it, or newer"
        )


def check_sqlite_copy(copy: Path, manifest: Manifest) -> None:
    """SQLite's integrity check, the row counts the manifest lists, a known revision."""
    try:
        with closing(sqlite3.connect(f"{copy.resolve().as_uri()}?mode=rw", uri=True)) as conn:
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
            revision, counts = revision_of(conn), counts_of(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in it is damaged: {exc}") from exc
    if problems != ["ok"]:
        raise BackupError(
            "the database in it fails SQLite's integrity check: " + "; ".join(problems[:3])
        )
    if counts != manifest.counts:
        raise BackupError("its database does not hold the rows its manifest counts")
    check_revision(revision)


async def migrate_copy(url: str, old_media: str, new_media: Path) -> str | None:
    """Bring a restored copy to the newest revision and point its photos to the media
    folder they are restored to; the revision it is at."""
    db = Database(url)
    try:
        await upgrade(db.engine)
        async with db.transaction() as session:
            await relocate_photos(session, old_media, str(new_media))
        return await current(db.engine)
    finally:
        await db.dispose()


async def restore_sqlite(
    file: Path, url: str, media_dir: Path, *, force: bool, now: datetime
) -> Restored:
    """Restore the backup ``file`` into the SQLite database ``url`` and ``media_dir``:
    refused while a bot runs on it, and over an existing database unless ``force``."""
    target = sqlite_file(url)
    try:
        lock = hold_for_restore(target)
    except DatabaseInUse as exc:
        raise BackupError(str(exc)) from None
    try:
        if target.exists() and not force:
            raise BackupError(
                f"{target} exists: pass --force to replace it (it is kept as "
                f"{target.name}.before-restore-<time>)"
            )
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as folder:
            unpacked = Path(folder)
            manifest = unpack(file, unpacked)
            if manifest.backend != "sqlite":
                raise BackupError("it is a PostgreSQL backup, and the database is SQLite")
            copy = unpacked / SQLITE_MEMBER
            check_sqlite_copy(copy, manifest)
            revision = await migrate_copy(
                f"sqlite+aiosqlite:///{copy}", manifest.media_dir, media_dir
            )
            with closing(sqlite3.connect(copy)) as conn:  # one file, no write-ahead log
                conn.execute("PRAGMA journal_mode=DELETE")
            stamp = now.strftime("%Y%m%d-%H%M%S")
            kept_media = swap_media(unpacked / MEDIA, media_dir, stamp)
            kept = swap_database(copy, target, stamp)
        return Restored(manifest, revision, kept, kept_media)
    finally:
        lock.release()


def swap_media(restored: Path, media_dir: Path, stamp: str) -> Path | None:
    """Put the restored media folder in place; a folder it replaces is kept aside."""
    kept = None
    if media_dir.exists():
        if any(media_dir.iterdir()):
            kept = media_dir.with_name(f"{media_dir.name}.before-restore-{stamp}")
            media_dir.rename(kept)
        else:
            media_dir.rmdir()
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    if restored.is_dir():
        shutil.move(restored, media_dir)  # a rename on one file system
    else:
        media_dir.mkdir()
    return kept


def swap_database(copy: Path, target: Path, stamp: str) -> Path | None:
    """Rename ``copy`` over ``target`` (one atomic rename); the database it replaces is
    kept as ``<name>.before-restore-<stamp>``, whole (a write-ahead log a crashed bot
    left is checkpointed into it first)."""
    kept = None
    if target.exists():
        _checkpoint(target)
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        try:
            os.link(target, kept)
        except OSError:  # a file system without hard links
            shutil.copy2(target, kept)
    for suffix in ("-wal", "-shm", "-journal"):  # they belong to the replaced database
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(copy, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return kept


def _checkpoint(database: Path) -> None:
    """Fold a left-over write-ahead log (or hot journal) into ``database``."""
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        pass  # not a database we can read: it is kept as it is
