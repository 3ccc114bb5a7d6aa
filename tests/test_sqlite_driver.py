"""SQLite's statements run on the event loop's thread (cursor, execute, fetch and close
at once); only BEGIN and COMMIT go to aiosqlite's thread, and a read makes no trip at
all. They still behave as SQLAlchemy's adapter did: rows, RETURNING, rowcounts, many
parameter sets, errors mapped to SQLAlchemy's exceptions, rollback. On both databases a
read's statements stand alone; PostgreSQL's pooled connections are checked after a rest."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

import storage.db
from storage.db import Database, create_engine, is_sqlite
from tests.test_storage import make_group


class Trips:
    """Counts calls made on aiosqlite's thread (the real calls still run)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[Trips]:
    counted = Trips()
    real: Any = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counted.count += 1
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    yield counted


async def test_only_begin_and_commit_go_to_the_sqlite_thread(
    database: Database, trips: Trips
) -> None:
    if not is_sqlite(database.url):
        pytest.skip("SQLite's driver")
    async with database.read() as session:  # open the connections first
        await session.execute(text("SELECT 1"))
    async with database.transaction() as session:
        await session.execute(text("SELECT 1"))
    before = trips.count
    async with database.transaction() as session:
        await session.execute(text("CREATE TEMP TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        got = await session.execute(text("INSERT INTO t (v) VALUES ('a') RETURNING id, v"))
        assert got.all() == [(1, "a")]
        changed: Any = await session.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}, {"v": "d"}]
        )
        assert changed.rowcount == 3
        rows = await session.execute(text("SELECT v FROM t ORDER BY id"))
        assert rows.scalars().all() == ["a", "b", "c", "d"]
        updated: Any = await session.execute(text("UPDATE t SET v = v || '!' WHERE id > 2"))
        assert updated.rowcount == 2
    assert trips.count - before == 2  # BEGIN IMMEDIATE, COMMIT
    before = trips.count
    async with database.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM groups")) == 0
        assert await session.scalar(text("SELECT count(*) FROM members")) == 0
    assert trips.count == before  # a read makes none (no BEGIN, nothing to roll back)


async def test_an_error_is_sqlalchemys_and_rolls_back(database: Database) -> None:
    if not is_sqlite(database.url):
        pytest.skip("SQLite's driver")
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.execute(
                text("INSERT INTO counters (group_id, kind, last_number) VALUES (NULL, 'issue', 1)")
            )
    async with database.read() as session:
        left = await session.scalar(text("SELECT count(*) FROM counters WHERE kind = 'x'"))
    assert left == 0


async def test_reads_stand_alone_and_see_what_was_committed(database: Database) -> None:
    # reads run without a transaction of their own (no BEGIN, no ROLLBACK: fewer round
    # trips): a read that began before a write's commit sees it in its next statement
    group = await make_group(database)
    async with database.read() as session:
        first = await session.scalar(text("SELECT count(*) FROM counters WHERE kind = 'x'"))
        async with database.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO counters (group_id, kind, last_number) VALUES (:g, 'x', 1)"),
                {"g": group},
            )
        second = await session.scalar(text("SELECT count(*) FROM counters WHERE kind = 'x'"))
    assert (first, second) == (0, 1)


async def test_a_rested_connection_the_server_closed_is_replaced(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if is_sqlite(database.url):
        pytest.skip("PostgreSQL's pooled connections")
    async with database.transaction() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
    async with database.read() as session:  # the same connection, back from the pool
        assert await session.scalar(text("SELECT pg_backend_pid()")) == pid
    admin = create_engine(database.url, pool_size=None)
    try:
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        await admin.dispose()
    monkeypatch.setattr(storage.db, "PING_AFTER", 0.0)  # it has rested long enough
    async with database.read() as session:
        assert await session.scalar(text("SELECT pg_backend_pid()")) != pid


async def test_a_heavy_read_runs_off_the_event_loop(database: Database, trips: Trips) -> None:
    # a register's pages are read on aiosqlite's thread (a few milliseconds each, which
    # would hold every other chat's update on the event loop)
    if not is_sqlite(database.url):
        pytest.skip("SQLite's driver")
    group = await make_group(database)
    async with database.read(heavy=True) as session:  # opens its connection
        await session.execute(text("SELECT 1"))
    before = trips.count
    async with database.read(heavy=True) as session:
        found = await session.scalar(
            text("SELECT count(*) FROM groups WHERE id = :g"), {"g": group}
        )
    assert found == 1 and trips.count - before == 1


async def test_twenty_chats_at_once_reuse_the_pooled_connections(database: Database) -> None:
    # twenty chats' commands reading at the same moment (the throughput bench's burst):
    # the second such moment finds its connections in the pool and opens none (an
    # overflow connection closed on return cost a new login each time)
    if is_sqlite(database.url):
        pytest.skip("PostgreSQL's pool")
    opened: list[object] = []
    event.listen(database.engine.sync_engine, "connect", lambda conn, _rec: opened.append(conn))

    async def moment() -> None:
        barrier = asyncio.Barrier(20)

        async def one() -> None:
            async with database.read() as session:
                await session.execute(text("SELECT 1"))
                await barrier.wait()  # all twenty hold a connection here

        await asyncio.gather(*(one() for _ in range(20)))

    await moment()
    first = len(opened)
    await moment()
    assert (first, len(opened)) == (first, first)
