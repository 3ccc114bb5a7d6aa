"""Every migration upgrades, downgrades and upgrades again (the "stairway" test)."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import current, downgrade, revisions, upgrade
from storage.models import Base


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_stairway_upgrade_downgrade_upgrade(db_url: str) -> None:
    db = Database(db_url)
    try:
        previous = "base"
        for revision in revisions():
            await upgrade(db.engine, revision)
            assert await current(db.engine) == revision
            await downgrade(db.engine, previous)
            assert await current(db.engine) == (None if previous == "base" else previous)
            await upgrade(db.engine, revision)
            previous = revision
        assert await current(db.engine) == revisions()[-1]
    finally:
        await db.dispose()


async def test_head_matches_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db.engine)
        assert set(Base.metadata.tables) <= await table_names(db)
        await downgrade(db.engine, "base")
        assert await table_names(db) <= {"alembic_version"}
    finally:
        await db.dispose()
