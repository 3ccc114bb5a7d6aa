"""Apply Alembic migrations from Python, on an async engine's connection.

Alembic (with Mako and its dialect modules: some 150 modules and 10 MB) is imported only
to change the schema or to walk its history. Starting on a database that is already at
the newest revision — every start but the first after an upgrade — reads the revision
from the ``alembic_version`` table and the newest one from the version files' text, and
leaves Alembic unloaded; so do ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
# a version file's own revision and the one(s) it follows, as `alembic revision` writes them
REVISION = re.compile(r"^revision\b[^=\n]*=\s*['\"]([^'\"]+)['\"]\s*$", re.MULTILINE)
DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)
QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config pointing at storage/migrations, optionally on a live connection."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def newest_in_files(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The newest revision read from the version files' text, without Alembic: the one
    revision no other follows. None when the files do not say it plainly (a file
    without exactly one ``revision = "…"``, several heads): then ask Alembic."""
    named: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = REVISION.findall(source)
        if path.name == "__init__.py" and not found:
            continue
        if len(found) != 1:
            return None
        named.add(found[0])
        for down in DOWN_REVISION.findall(source):
            followed.update(QUOTED.findall(down))
    heads = named - followed
    return heads.pop() if len(heads) == 1 else None


@cache
def head() -> str | None:
    """The newest revision, the one a current database is at (read once)."""
    found = newest_in_files()
    if found is not None:
        return found
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (default: the newest). A database already
    at the newest revision is left as it is without loading Alembic."""
    if revision == "head" and await current(engine) == head():
        return
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the database down to ``revision`` (``"base"`` empties it)."""
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


def _recorded(sync: Connection) -> str | None:
    """What ``alembic_version`` says, as Alembic reads it (no table, no row: None)."""
    if not inspect(sync).has_table(VERSION_TABLE):
        return None
    rows = sync.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"{VERSION_TABLE} names {len(rows)} revisions: {sorted(rows)}")
    return rows[0] if rows else None


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it has none."""
    async with engine.connect() as conn:
        return await conn.run_sync(_recorded)
