"""Benchmark: claiming a topic under contention, on SQLite (and PostgreSQL when
VANGUARD_TEST_PG_URL is set). Prints timings and ratios measured in one run; asserts
nothing (timings on shared machines are noisy)."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.databases import database
from bench.figures import spread
from bench.settings import Settings
from domain.errors import TopicFull
from storage import topics as store
from storage.db import Database
from storage.groups import GroupDefaults, ensure_group
from storage.members import PersonInfo, ensure_member
from storage.migrate import upgrade

NOW = datetime(2026, 11, 28, tzinfo=UTC)
PEOPLE = 50
ROUNDS = 5


async def one_round(db: Database, chat_id: int, concurrent: bool) -> float:
    """Seconds for PEOPLE members to claim one 3-slot topic, one by one or all at once."""
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, "bench", "group", GroupDefaults(), NOW)
        for uid in range(1, PEOPLE + 1):
            await ensure_member(session, PersonInfo(uid, f"p{uid}"), NOW)
        topic = await store.create_topic(session, group.id, 1, "bench", NOW, slots=3)
        group_id, number = group.id, topic.number

    async def claim(uid: int) -> None:
        """One member tries to claim the topic (a full topic is a normal answer)."""
        try:
            async with db.transaction() as session:
                found = await store.get_topic(session, group_id, number)
                await store.claim(session, found, uid, NOW)
        except TopicFull:
            pass

    began = time.perf_counter()
    if concurrent:
        await asyncio.gather(*(claim(uid) for uid in range(1, PEOPLE + 1)))
    else:
        for uid in range(1, PEOPLE + 1):
            await claim(uid)
    return time.perf_counter() - began


async def measure(name: str, url: str, rounds: int = ROUNDS) -> dict[str, Any]:
    """Sequential and concurrent claims on the database at ``url``; prints one line and
    returns the figures."""
    db = Database(url)
    await upgrade(db.engine)
    sequential, concurrent = [], []
    for index in range(rounds):
        sequential.append(await one_round(db, -1000 - 2 * index, concurrent=False))
        concurrent.append(await one_round(db, -1001 - 2 * index, concurrent=True))
    await db.dispose()
    seq, con = statistics.median(sequential), statistics.median(concurrent)
    print(
        f"{name:10} {PEOPLE} claims on a 3-slot topic, median of {ROUNDS}: "
        f"sequential {seq * 1000:7.1f} ms ({seq / PEOPLE * 1000:5.2f} ms/claim), "
        f"concurrent {con * 1000:7.1f} ms, concurrent/sequential {con / seq:4.2f}"
    )
    return {
        "case": "claims",
        "database": name,
        "people": PEOPLE,
        "sequential_ms": spread([x * 1000 for x in sequential], 1),
        "concurrent_ms": spread([x * 1000 for x in concurrent], 1),
        "ratio": round(con / seq, 3),
    }


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The claims case on one database (for ``python -m bench``)."""
    async with database(kind, settings, "claims") as url:
        return [await measure(kind, url, settings.repeats)]


async def main() -> None:
    """Both databases (PostgreSQL when VANGUARD_TEST_PG_URL is set)."""
    with tempfile.TemporaryDirectory() as tmp:
        await measure("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
    pg = os.environ.get("VANGUARD_TEST_PG_URL")
    if pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(pg).update_query_dict({"search_path": schema})
            await measure("postgresql", url.render_as_string(hide_password=False))
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
