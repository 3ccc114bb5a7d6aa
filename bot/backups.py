"""Backups from the command line (`vanguard backup`, `vanguard restore`) and the daily
backup of a running bot (``[backup] daily_at``, ``keep``). The file work is
:mod:`storage.backup`, :mod:`storage.restore` and :mod:`storage.pg_backup`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from domain.clock import Clock
from domain.config import Config
from domain.errors import BackupError
from handlers.context import BotData, Ctx
from storage.backup import BackupMade, backup_sqlite, default_name, due_daily, prune_daily
from storage.db import is_sqlite
from storage.pg_backup import backup_postgresql, restore_postgresql
from storage.restore import Restored, restore_sqlite

log = logging.getLogger(__name__)
FAILURES = (BackupError, OSError, SQLAlchemyError)  # each said in one line, no traceback


def _reason(error: BaseException) -> str:
    """One line saying why (the driver's error, not SQLAlchemy's wrapper)."""
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]


async def make_backup(config: Config, target: Path, now: datetime) -> BackupMade:
    """Write a backup of the configured database and media folder to ``target``."""
    url, media = config.database.url, config.media.dir
    if is_sqlite(url):
        return await asyncio.to_thread(backup_sqlite, url, media, target, now)
    return await backup_postgresql(url, media, target, now)


async def restore(config: Config, file: Path, *, force: bool, now: datetime) -> Restored:
    """Restore ``file`` into the configured database and media folder (see
    :func:`storage.restore.restore_sqlite`)."""
    url, media = config.database.url, config.media.dir
    if is_sqlite(url):
        return await restore_sqlite(file, url, media, force=force, now=now)
    return await restore_postgresql(file, url, media, force=force, now=now)


def cmd_backup(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> int:
    """`vanguard backup [FILE]`: a consistent copy of the database and media folder, made
    while the bot runs (default: a new file in ``[backup] dir``)."""
    now = (clock or Clock()).now()
    target = Path(args.file) if args.file else config.backup.dir / default_name(now)
    try:
        made = asyncio.run(make_backup(config, target, now))
    except FAILURES as error:
        print(f"backup failed: {_reason(error)}", file=sys.stderr)
        return 1
    print(made.line())
    return 0


def cmd_restore(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> int:
    """`vanguard restore FILE [--force]`: check the backup and swap it in; refused over a
    live database (and over an existing one without --force)."""
    file = Path(args.file)
    if not file.is_file():
        print(f"restore refused: {file} is not a file", file=sys.stderr)
        return 1
    try:
        done = asyncio.run(restore(config, file, force=args.force, now=(clock or Clock()).now()))
    except FAILURES as error:
        said = "refused" if isinstance(error, BackupError) else "failed"
        print(f"restore {said}: {file}: {_reason(error)}", file=sys.stderr)
        return 1
    for line in done.lines():
        print(line)
    return 0


async def run_daily_backup(data: BotData) -> BackupMade | None:
    """Make today's daily backup if it is due (the local time of ``[bot] timezone`` has
    reached ``[backup] daily_at`` and the folder has none of today's), then delete the
    daily backups beyond ``keep``; logs one line for each."""
    settings = data.config.backup
    if settings.daily_at is None:
        return None
    now = data.clock.now()
    local = now.astimezone(ZoneInfo(data.config.bot.timezone))
    target = due_daily(settings.dir, local, settings.daily_at)
    if target is None:
        return None
    try:
        made = await make_backup(data.config, target, now)
    except FAILURES as error:
        log.error("the daily backup to %s failed: %s", target, _reason(error))
        return None
    log.info("%s", made.line())
    for old in await asyncio.to_thread(prune_daily, settings.dir, settings.keep):
        log.info("deleted the old daily backup %s (keep = %d)", old, settings.keep)
    return made


async def daily_backup(context: Ctx) -> None:
    """The job: the daily backup when due, unless scheduling is switched off (tests)."""
    if context.bot_data.options.scheduling:
        await run_daily_backup(context.bot_data)
