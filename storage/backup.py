"""Backups: one tar file holding a copy of the database, the media folder and a manifest
(format, time, backend, Alembic revision, row counts, every member's SHA-256).

A SQLite copy is made with SQLite's online backup API: it reads one consistent snapshot
while the bot goes on writing (WAL). The media folder is read after the snapshot, so
every photo the copy refers to (downloaded before its row was marked) is in the file.
The archive is written under a temporary name and renamed once complete, its manifest
last: a half-written backup never looks like one. Everything here blocks: the running
bot calls it in a thread. Restoring is :mod:`storage.restore`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

from domain.errors import BackupError
from storage.live import sqlite_file

FORMAT = 1
SQLITE_MEMBER = "vanguard.sqlite3"
PGDUMP_MEMBER = "vanguard.pgdump"
MANIFEST = "manifest.json"
MEDIA = "media"
SUFFIX = ".tar"
DAILY = "vanguard-daily-"
CHUNK = 1 << 20


@dataclass
class Manifest:
    """What a backup holds; written as its last member (a file without one is cut short)."""

    backend: str  # "sqlite" or "postgresql"
    revision: str | None  # the Alembic revision of the copy
    made_at: str  # ISO 8601, UTC
    media_dir: str  # the media folder as configured when it was made
    counts: dict[str, int] = field(default_factory=dict)  # rows per table (SQLite)
    files: dict[str, str] = field(default_factory=dict)  # member name → SHA-256
    format: int = FORMAT

    def to_json(self) -> bytes:
        """The manifest as the archive keeps it."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest back; a damaged or foreign one is a :class:`BackupError`."""
        try:
            raw = json.loads(data)
            manifest = cls(**raw)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"its manifest is damaged ({exc})") from exc
        if manifest.format != FORMAT:
            raise BackupError(f"it is in backup format {manifest.format}; this Vanguard reads 1")
        return manifest

    @property
    def database(self) -> str:
        """The member that holds the database."""
        return SQLITE_MEMBER if self.backend == "sqlite" else PGDUMP_MEMBER

    @property
    def media_files(self) -> int:
        """How many files of the media folder the backup holds."""
        return sum(name.startswith(MEDIA + "/") for name in self.files)


@dataclass(frozen=True)
class BackupMade:
    """A backup that was written: where, how large, what it holds."""

    path: Path
    size: int
    manifest: Manifest

    def line(self) -> str:
        """One line saying what was made (for the log and the command's output)."""
        rows = sum(self.manifest.counts.values())
        counted = f", rows: {rows}" if self.manifest.counts else ""
        return (
            f"backup {self.path}: {self.size / 1_000_000:.1f} MB, {self.manifest.backend} at "
            f"revision {self.manifest.revision}{counted}, media files: {self.manifest.media_files}"
        )


class _Exactly:
    """Reads exactly ``size`` bytes of a file, hashing them; zeros stand in for what a
    file lost while it was read (a file being written is not yet one the database names),
    so the archive stays well formed."""

    def __init__(self, source: BinaryIO, size: int) -> None:
        self.source = source
        self.left = size
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        """The next ``size`` bytes (all that is left when negative)."""
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.source.read(wanted)
        data += b"\0" * (wanted - len(data))
        self.left -= wanted
        self.sha.update(data)
        return data


def default_name(now: datetime) -> str:
    """The name of a backup made by hand at ``now`` (UTC): ``vanguard-20261110-020000.tar``."""
    return f"vanguard-{now.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"


def daily_name(day: date) -> str:
    """The name of the daily backup of ``day`` (the installation's local date)."""
    return f"{DAILY}{day.isoformat()}{SUFFIX}"


def due_daily(folder: Path, local_now: datetime, at: time) -> Path | None:
    """Where today's daily backup goes when it is due: the local time has reached ``at``
    and the folder holds none of today's (one missed while the bot was down is made when
    it is back)."""
    if local_now.time() < at:
        return None
    path = folder / daily_name(local_now.date())
    return None if path.exists() else path


def prune_daily(folder: Path, keep: int) -> list[Path]:
    """Delete the daily backups beyond the newest ``keep`` (backups made by hand are
    kept); returns the deleted ones."""
    daily = sorted(
        path
        for path in folder.glob(f"{DAILY}*{SUFFIX}")
        if _is_day(path.name[len(DAILY) : -len(SUFFIX)])
    )
    old = daily[: max(len(daily) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def backup_sqlite(url: str, media_dir: Path, target: Path, now: datetime) -> BackupMade:
    """Write a backup of the SQLite database ``url`` and ``media_dir`` to ``target``; the
    bot may go on writing meanwhile."""
    source = sqlite_file(url)
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: nothing to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent.resolve() == media_dir.resolve():
        raise BackupError(f"write the backup outside the media folder {media_dir}")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as folder:
        copy = Path(folder) / SQLITE_MEMBER
        snapshot(source, copy)
        revision, counts = _checked(copy, source)
        manifest = Manifest("sqlite", revision, now.isoformat(), str(media_dir), counts)
        return write_archive(target, copy, media_dir, manifest)


def _checked(copy: Path, source: Path) -> tuple[str | None, dict[str, int]]:
    """The copy's revision and row counts, once SQLite's quick check passes: a damaged
    database is not written as a backup (the daily ones would replace the good ones)."""
    try:
        with closing(sqlite3.connect(copy)) as conn:
            problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
            if problems == ["ok"]:
                return revision_of(conn), counts_of(conn)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    raise BackupError(
        f"the database {source} is damaged ({'; '.join(problems[:3])}): no backup was made; "
        "restore the last good backup"
    )


def snapshot(source: Path, copy: Path) -> None:
    """Copy the SQLite database ``source`` to ``copy`` as one consistent snapshot
    (SQLite's online backup API), as a single file without a write-ahead log."""
    uri = f"{source.resolve().as_uri()}?mode=rw"  # never creates a missing database
    with (
        closing(sqlite3.connect(uri, uri=True, timeout=60)) as src,
        closing(sqlite3.connect(copy)) as dst,
    ):
        src.backup(dst)  # one step: one read transaction, writers carry on (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")


def revision_of(conn: sqlite3.Connection) -> str | None:
    """The Alembic revision of a SQLite database (None when it has none)."""
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def counts_of(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table of a SQLite database."""
    names = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    quoted = {name: '"' + name.replace('"', '""') + '"' for name in names}
    return {
        name: int(conn.execute(f"SELECT count(*) FROM {quoted[name]}").fetchone()[0])
        for name in sorted(names)
    }


def write_archive(target: Path, database: Path, media_dir: Path, manifest: Manifest) -> BackupMade:
    """Stream ``database`` (as the manifest's database member), every file of
    ``media_dir`` and the manifest into ``target``, atomically (a temporary name renamed
    when complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent.resolve() == media_dir.resolve():
        raise BackupError(f"write the backup outside the media folder {media_dir}")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                _add(tar, manifest.database, database, manifest)
                for path, name in media_files(media_dir, skip=target.parent):
                    _add(tar, name, path, manifest)
                data = manifest.to_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mode = 0o644
                info.mtime = int(datetime.fromisoformat(manifest.made_at).timestamp())
                tar.addfile(info, io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupMade(target, target.stat().st_size, manifest)


def _add(tar: tarfile.TarFile, name: str, path: Path, manifest: Manifest) -> None:
    """One file into the archive, read once (never whole into memory) and hashed."""
    try:
        source = path.open("rb")
    except FileNotFoundError:  # a media file deleted since the folder was listed
        return
    with source:
        stat = os.fstat(source.fileno())
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o644
        reader = _Exactly(source, stat.st_size)
        tar.addfile(info, reader)
    manifest.files[name] = reader.sha.hexdigest()


def media_files(media_dir: Path, skip: Path | None = None) -> Iterator[tuple[Path, str]]:
    """Every regular file under ``media_dir`` with its member name (``media/…``), in a
    stable order; ``skip`` (the backup folder, if it lies inside) is left out."""
    if not media_dir.is_dir():
        return
    skipped = skip.resolve() if skip is not None else None
    for folder, dirs, files in os.walk(media_dir):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() != skipped)
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, f"{MEDIA}/{path.relative_to(media_dir).as_posix()}"
