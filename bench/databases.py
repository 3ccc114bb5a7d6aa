"""A fresh database for a case: a SQLite file, or a schema of its own on PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.settings import Settings

log = logging.getLogger("bench")


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database file with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


@asynccontextmanager
async def database(kind: str, settings: Settings, name: str) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file under the work folder, or a new schema on
    PostgreSQL (``?search_path=``), dropped afterwards."""
    if kind == "sqlite":
        path = settings.work / f"{name}-{uuid.uuid4().hex[:6]}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            remove_sqlite(path)
        return
    if not settings.pg_url:
        raise RuntimeError("VANGUARD_TEST_PG_URL is not set")
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(settings.pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(settings.pg_url).update_query_dict({"search_path": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            async with admin.connect() as conn:
                await conn.execute(text("SET lock_timeout = '60s'"))
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        except Exception as exc:  # a bot left hanging may hold a lock: say so, go on
            log.warning("could not drop schema %s: %s", schema, exc)
        await admin.dispose()
