"""The engine and the session factory, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 15_000
APPLICATION_NAME = "vanguard"  # PostgreSQL's application_name of the bot's sessions


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


MAIN_POOL = 20  # connections the main engine keeps open (and up to 20 more at peaks)
READ_POOL, READ_OVERFLOW = 20, 40  # SQLite's read connections kept open, and more at peaks


def create_engine(
    url: str,
    *,
    reads: bool = False,
    pool_size: int | None = MAIN_POOL,
    durable: bool = True,
    inline: bool = True,
) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout and
    ``BEGIN IMMEDIATE`` write transactions (so an upgrade from read to write never fails
    with SQLITE_BUSY). ``reads``: an engine for read-only transactions, which on SQLite
    begin deferred and refuse writes (in WAL they never wait for the writer).
    ``pool_size`` (PostgreSQL): connections kept open (and checked before use, as the
    main pool is); None: every connection is a new one, closed when given back (for a
    connection held for the life of the process); a small pool other than the main one
    (the sending budget's) skips the check: its statements are retried by their caller.
    ``durable=False`` (PostgreSQL): a commit does not wait for the disk (what it wrote may
    be lost in a crash of the database server, never half-written): for rows that are
    rewritten many times a second and worth nothing after a crash (the sending budget).
    ``inline=False`` (SQLite): every statement on aiosqlite's thread, not the event
    loop's (reads of many rows)."""
    if not is_sqlite(url):
        parsed = make_url(url)
        # the name `vanguard restore` looks for among a database's sessions
        settings = {"application_name": APPLICATION_NAME}
        search_path = parsed.query.get("search_path")
        if search_path:
            # our own URL option: keep Vanguard's tables in their own schema
            parsed = parsed.difference_update_query(["search_path"])
            settings["search_path"] = str(search_path)
        if not durable:
            settings["synchronous_commit"] = "off"
        connect_args: dict[str, Any] = {"server_settings": settings}
        if pool_size is None:
            return create_async_engine(parsed, poolclass=NullPool, connect_args=connect_args)
        engine = create_async_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=20 if pool_size == MAIN_POOL else pool_size,
            connect_args=connect_args,
        )
        if pool_size == MAIN_POOL:
            _ping_when_rested(engine)
        return engine

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    from storage.sqlite_driver import one_trip_module  # loaded on SQLite only

    engine = create_async_engine(
        url,
        module=one_trip_module(inline=inline),
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            # most statements run on the event loop's thread (storage/sqlite_driver.py)
            "check_same_thread": False,
        },
        # many commands read at once: keep their connections open (each is a thread)
        **({"pool_size": READ_POOL, "max_overflow": READ_OVERFLOW} if reads and inline else {}),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver: SQLAlchemy emits BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if reads:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if not reads:  # a read's statements each stand alone (no BEGIN, no ROLLBACK)

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# seconds a pooled PostgreSQL connection may rest before it is checked on checkout: a
# connection in steady use is not pinged before every transaction (a round trip each)
PING_AFTER = 1.0


def _ping_when_rested(engine: AsyncEngine) -> None:
    """Check a pooled connection that has rested longer than :data:`PING_AFTER` before
    handing it out (a database restarted meanwhile): a dead one is replaced."""
    sync = engine.sync_engine

    @event.listens_for(sync, "checkin")
    def _rested(_dbapi_connection: Any, record: Any) -> None:
        record.info["rested_at"] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested = record.info.get("rested_at")
        if rested is None or time.monotonic() - rested < PING_AFTER:
            return
        try:
            sync.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces it and checks out again
            raise DisconnectionError("a pooled connection is gone") from error


_IN_TRANSACTION: ContextVar[bool] = ContextVar("vanguard_in_transaction", default=False)


class Database:
    """The engine and session factory of one running bot (or one test)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: reads get their own connections that never take the writer's lock;
        # on both, a read's statements run without BEGIN and ROLLBACK (each one sees
        # what was committed when it ran): two round trips fewer a read
        self.read_engine = (
            create_engine(url, reads=True)
            if self.sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # SQLite: reads of many rows on aiosqlite's thread (no connection until used)
        self.heavy_engine = create_engine(url, reads=True, inline=False) if self.sqlite else None
        self._heavy = (
            async_sessionmaker(self.heavy_engine, expire_on_commit=False)
            if self.heavy_engine is not None
            else self.read_sessionmaker
        )
        # SQLite takes one writer at a time: queue in-process writers on a lock instead of
        # letting them poll the file lock (SQLITE_BUSY back-off is slow under contention).
        self._write_lock = asyncio.Lock() if self.sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session in one transaction: committed on success, rolled back on error.

        Transactions do not nest: a second one opened inside the first (same task) is a
        bug and raises at once instead of waiting for itself."""
        if _IN_TRANSACTION.get():
            raise RuntimeError("a transaction is already open in this task")
        token = _IN_TRANSACTION.set(True)
        try:
            if self._write_lock is None:
                async with self.sessionmaker() as session, session.begin():
                    yield session
            else:
                async with self._write_lock, self.sessionmaker() as session, session.begin():
                    yield session
        finally:
            _IN_TRANSACTION.reset(token)

    @asynccontextmanager
    async def read(
        self, *, whole: bool = False, heavy: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One session for reading. On SQLite it does not queue behind writers and cannot
        write; use :meth:`transaction` to write. Its statements run without a
        transaction (no BEGIN, no ROLLBACK), each seeing what was committed when it ran;
        ``whole``: in one transaction (on PostgreSQL a streamed result needs one).
        ``heavy``: a read of many rows (a register's page): on SQLite it runs on a thread
        of its own, not on the event loop's."""
        if _IN_TRANSACTION.get():
            raise RuntimeError("a transaction is already open in this task")
        token = _IN_TRANSACTION.set(True)
        maker = self._reader(whole=whole, heavy=heavy)
        try:
            # closing the session hands its connection back to the pool, which rolls
            # the transaction back; unlike rollback(), it leaves loaded objects readable
            async with maker() as session:
                yield session
        finally:
            _IN_TRANSACTION.reset(token)

    def _reader(self, *, whole: bool, heavy: bool) -> async_sessionmaker[AsyncSession]:
        """The session factory of a read (see :meth:`read`)."""
        if not self.sqlite:
            return self.sessionmaker if whole else self.read_sessionmaker
        return self._heavy if heavy else self.read_sessionmaker

    def engines(self) -> list[AsyncEngine]:
        """The engines with connections of their own (on PostgreSQL the read engine is
        the main one with other options)."""
        if self.heavy_engine is None:
            return [self.engine]
        return [self.engine, self.read_engine, self.heavy_engine]

    async def dispose(self) -> None:
        """Close every pooled connection."""
        for engine in self.engines():
            await engine.dispose()
