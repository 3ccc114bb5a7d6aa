"""PostgreSQL backups: ``pg_dump`` (custom format) in the same tar file as SQLite's copy,
with the media folder and a manifest, and ``pg_restore`` back in one transaction.

The dump reads a snapshot this module exports from a transaction that also counts the
rows and reads the Alembic revision, so the manifest describes exactly what was dumped.
The password never appears on a command line or in a log: the tools get it in
``PGPASSWORD``. Where the tools are missing, the error says what to run.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import BackupError
from storage.backup import PGDUMP_MEMBER, BackupMade, Manifest, write_archive
from storage.db import APPLICATION_NAME, Database
from storage.restore import Restored, check_revision, migrate_copy, swap_media, unpack

TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
OTHERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND application_name = :name AND pid <> pg_backend_pid()"
)


@dataclass(frozen=True)
class PgTarget:
    """A database as libpq's tools take it: a URL without the password, the password
    apart, and the schema of the ``search_path`` option."""

    conninfo: str
    password: str | None = field(repr=False)
    schema: str | None

    def env(self) -> dict[str, str]:
        """The tools' environment: ours, with the password in PGPASSWORD."""
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def shown(self, command: list[str]) -> str:
        """A command as a person would type it (the password left for them to fill in)."""
        line = shlex.join(command)
        return f"PGPASSWORD='<the password in database.url>' {line}" if self.password else line


def pg_target(url: str) -> PgTarget:
    """The libpq form of a ``postgresql+asyncpg://`` URL."""
    parsed = make_url(url)
    schema = parsed.query.get("search_path")
    query = {("sslmode" if k == "ssl" else k): v for k, v in parsed.query.items()}
    query.pop("search_path", None)
    plain = parsed._replace(drivername="postgresql", password=None).set(query=query)
    return PgTarget(plain.render_as_string(hide_password=False), parsed.password, _one(schema))


def _one(value: str | tuple[str, ...] | None) -> str | None:
    return value[0] if isinstance(value, tuple) else value


def dump_command(target: PgTarget, file: Path, snapshot: str | None = None) -> list[str]:
    """pg_dump of the database (only Vanguard's schema, if the URL names one)."""
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={file}"]
    command += [f"--schema={target.schema}"] if target.schema else []
    command += [f"--snapshot={snapshot}"] if snapshot else []
    return [*command, f"--dbname={target.conninfo}"]


def restore_command(target: PgTarget, file: Path) -> list[str]:
    """pg_restore of a dump over the database, all of it or nothing (one transaction)."""
    return [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={target.conninfo}",
        str(file),
    ]


def _run(command: list[str], target: PgTarget) -> None:
    done = subprocess.run(command, env=target.env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-3:] or [f"exit code {done.returncode}"]
        raise BackupError(f"{command[0]} failed: {' / '.join(said)}")


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    names = sorted(str(name) for name in (await conn.execute(TABLES)).scalars())
    counts = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = int(
            (await conn.execute(text(f"SELECT count(*) FROM {quoted}"))).scalar_one()
        )
    return counts


async def backup_postgresql(url: str, media_dir: Path, target: Path, now: datetime) -> BackupMade:
    """Write a backup of the PostgreSQL database ``url`` and ``media_dir`` to ``target``;
    the bots may go on writing meanwhile."""
    pg = pg_target(url)
    if shutil.which("pg_dump") is None:
        command = pg.shown(dump_command(pg, Path(PGDUMP_MEMBER)))
        raise BackupError(
            "pg_dump is not installed (Debian: apt install postgresql-client); run "
            f"`{command}` and copy the media folder {media_dir} yourself"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                snapshot = str((await conn.execute(text("SELECT pg_export_snapshot()"))).scalar())
                counts = await _counts(conn)
                revision = (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
                manifest = Manifest("postgresql", revision, now.isoformat(), str(media_dir), counts)
                return await asyncio.to_thread(_dump, pg, snapshot, media_dir, target, manifest)
    finally:
        await db.dispose()


def _dump(
    pg: PgTarget, snapshot: str, media_dir: Path, target: Path, manifest: Manifest
) -> BackupMade:
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as folder:
        dump = Path(folder) / PGDUMP_MEMBER
        _run(dump_command(pg, dump, snapshot), pg)
        return write_archive(target, dump, media_dir, manifest)


async def _refuse_live(db: Database, force: bool) -> None:
    """A bot connected to the database stops a restore; so do Vanguard's tables there
    unless ``force``."""
    async with db.engine.connect() as conn:
        others = (await conn.execute(OTHERS, {"name": APPLICATION_NAME})).scalar_one()
        tables = set((await conn.execute(TABLES)).scalars())
    if others:
        raise BackupError(
            f"{others} Vanguard sessions are connected to the database: stop every bot "
            "process before restoring"
        )
    if "alembic_version" in tables and not force:
        raise BackupError("the database holds Vanguard's tables: pass --force to replace them")


async def restore_postgresql(
    file: Path, url: str, media_dir: Path, *, force: bool, now: datetime
) -> Restored:
    """Restore the backup ``file`` into the PostgreSQL database ``url`` (pg_restore, in one
    transaction) and ``media_dir``: refused while a bot is connected, and over Vanguard's
    tables unless ``force``."""
    pg = pg_target(url)
    db = Database(url)
    try:
        await _refuse_live(db, force)
        media_dir.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=media_dir.parent, prefix=".restore-") as folder:
            unpacked = Path(folder)
            manifest = await asyncio.to_thread(unpack, file, unpacked)
            if manifest.backend != "postgresql":
                raise BackupError("it is a SQLite backup, and the database is PostgreSQL")
            check_revision(manifest.revision)
            dump = unpacked / PGDUMP_MEMBER
            if shutil.which("pg_restore") is None:
                raise BackupError(
                    "pg_restore is not installed (Debian: apt install postgresql-client); "
                    f"run `tar -xf {file} {PGDUMP_MEMBER}` and "
                    f"`{pg.shown(restore_command(pg, Path(PGDUMP_MEMBER)))}`, "
                    f"then `vanguard db upgrade`, and put its media/ in {media_dir}"
                )
            await asyncio.to_thread(_run, ["pg_restore", "--list", str(dump)], pg)
            await asyncio.to_thread(_run, restore_command(pg, dump), pg)
            async with db.engine.connect() as conn:
                if await _counts(conn) != manifest.counts:
                    raise BackupError("the restored database does not hold the rows counted")
            revision = await migrate_copy(url, manifest.media_dir, media_dir)
            kept_media = swap_media(unpacked / "media", media_dir, now.strftime("%Y%m%d-%H%M%S"))
        return Restored(manifest, revision, None, kept_media)
    finally:
        await db.dispose()
