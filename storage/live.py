"""Whether a bot runs on a SQLite database: every bot process holds a shared lock
(``flock``) on ``<database>.lock`` while it runs, and `vanguard restore` takes the lock
exclusively, so neither starts while the other is at work. The operating system drops
the lock of a process that ends however it ends (SIGKILL too), so a dead bot never
leaves its database looking live."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import make_url

from domain.errors import BackupError


def sqlite_file(url: str) -> Path:
    """The file a ``sqlite+aiosqlite:///…`` URL names."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url.split('://', 1)[0]} names no database file")
    return Path(database)


class DatabaseInUse(OSError):
    """The database is locked by another process (a restore, or a running bot); an
    ``OSError``, so a bot's start waits and tries again as it does for an unreachable
    database."""


class LiveLock:
    """A held lock on a database's lock file; :meth:`release` (or the process's end)
    lets it go."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self._handle: BinaryIO | None = handle

    def release(self) -> None:
        """Let the lock go (idempotent)."""
        if self._handle is not None:
            self._handle.close()  # closing the file drops the flock
            self._handle = None


def lock_path(database: Path) -> Path:
    """The lock file beside a database: ``vanguard.db`` → ``vanguard.db.lock``."""
    return database.with_name(database.name + ".lock")


def _take(database: Path, how: int, refusal: str) -> LiveLock:
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+b")
    try:
        fcntl.flock(handle, how | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseInUse(refusal) from None
    return LiveLock(path, handle)


def hold_running(database: Path) -> LiveLock:
    """Mark ``database`` as in use by this bot process for as long as it runs (any
    number of processes may); raises :class:`DatabaseInUse` while a restore is at work."""
    return _take(database, fcntl.LOCK_SH, f"{database} is being restored; waiting for it")


def hold_for_restore(database: Path) -> LiveLock:
    """Take ``database`` for a restore; raises :class:`DatabaseInUse` while a bot (or
    another restore) has it."""
    return _take(
        database,
        fcntl.LOCK_EX,
        f"a bot process is running on {database}: stop it (every process) before restoring",
    )
