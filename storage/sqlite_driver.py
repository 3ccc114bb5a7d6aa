"""SQLite's driver as SQLAlchemy's aiosqlite adapter, but one trip to aiosqlite's
thread a statement.

SQLAlchemy's adapter makes a cursor, executes, fetches and closes the cursor as four
separate calls on aiosqlite's thread; each call waits for the event loop to come back
to it, which under load is most of a command's time — and a write transaction holds the
one writer's lock across all of them. Here a statement runs, its rows are fetched and
its cursor closed in one function on that thread.

Most statements do not even go there: they run on the event loop's own thread. In WAL
mode a read never waits for a lock, nor does a write inside a transaction that holds
the writer's lock, and a command's small statements take less time than handing them to
another thread and back (which waits for the event loop, busy with other commands, and
for the GIL) — time a write transaction holds the one writer's lock. What can wait runs
on aiosqlite's thread: BEGIN (another process may hold the writer's lock: it waits up
to the busy timeout), COMMIT (it may copy the log into the database file and sync it),
ROLLBACK, opening and closing — and every statement of the connections made for reads
of many rows (``inline=False``: a register's or a monthly report's pages), which would
hold the event loop for milliseconds. Connections are opened with
``check_same_thread=False``; one connection is never used by two statements at once
(SQLAlchemy's per-connection lock).
"""

from __future__ import annotations

import collections
import sqlite3
from types import ModuleType
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

# what one statement left behind: description, rowcount, lastrowid, rows, and whether
# the connection is inside a transaction after it
Outcome = tuple[Any, int, int | None, list[Any], bool]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """Run one statement (or one statement over many parameter sets), fetch its rows
    and close its cursor: on the event loop's thread, or as one call on aiosqlite's."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows, conn.in_transaction
    finally:
        cursor.close()


class _Finished:
    """The closed cursor's figures, where SQLAlchemy reads them (``self._cursor``)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose every statement runs at once (on the event loop's thread, or in
    one call on aiosqlite's: BEGIN, and every statement of a connection for heavy
    reads)."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement; its rows are read at once."""
        try:
            return await_(self._trip(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for each set of parameters, in one call."""
        try:
            return await_(self._trip(operation, list(seq_of_parameters), many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            raw = connection._conn
            adapted.in_transaction = True  # unknown, should the statement fail
            if adapted.dbapi.inline and operation.lstrip()[:5].upper() != "BEGIN":
                outcome = _run(raw, operation, parameters, many)
            else:
                run: Any = connection._execute  # untyped in aiosqlite
                outcome = await run(_run, raw, operation, parameters, many)
            description, rowcount, lastrowid, rows, adapted.in_transaction = outcome
        finished: _Finished = self._cursor  # type: ignore[assignment]
        finished.description = description
        finished.rowcount = rowcount
        finished.lastrowid = lastrowid
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's adapted connection, handing out :class:`OneTripCursor`; a commit or
    rollback outside a transaction (a read's statements each stand alone) makes no
    trip to the thread."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = True  # not known yet: commit and rollback make their trip

    def rollback(self) -> None:
        """Roll back, if a transaction is open."""
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        """Commit, if a transaction is open."""
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite module, making :class:`OneTripConnection` connections;
    ``inline``: their statements (but BEGIN) run on the event loop's thread."""

    def __init__(self, aiosqlite: ModuleType, sqlite: ModuleType, *, inline: bool) -> None:
        super().__init__(aiosqlite, sqlite)
        self.inline = inline

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """A connection, as SQLAlchemy's adapter makes it, with one-trip cursors."""
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_module(*, inline: bool = True) -> OneTripDBAPI:
    """The DBAPI module to give ``create_async_engine(module=…)`` for SQLite (its
    connections opened with ``check_same_thread=False``); ``inline=False`` for reads of
    many rows (a register's pages), which go to aiosqlite's thread, one trip each."""
    return OneTripDBAPI(aiosqlite, sqlite3, inline=inline)
