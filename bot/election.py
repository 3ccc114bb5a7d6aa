"""Which process polls Telegram: exactly one per database.

Telegram gives a token's updates to one ``getUpdates`` at a time and ends the other
with 409 Conflict, so two processes that both poll take turns and each backs off. On
PostgreSQL the poller is the process holding a session-level advisory lock on its own
connection (not one of the pool's): the database releases it the moment that
connection ends, so when the poller dies — even by SIGKILL, or its machine loses the
database — a waiting process takes the lock at its next try (every ``RETRY`` seconds).
The holder checks its connection before every poll and stops polling when it is gone,
so two processes never poll at once. SQLite is one process: it always polls.

The lock's key names the schema, so bots on different schemas of one database (tests,
staging beside production) do not wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, is_sqlite

log = logging.getLogger(__name__)

RETRY = 2.0  # seconds between a standby's tries for the lock
CHECK_EVERY = 2.0  # seconds between the holder's checks that it still holds it
LOCK_CLASS = 0x56414E47  # "VANG": the first half of the advisory lock's key
TRY_LOCK = text("SELECT pg_try_advisory_lock(:kind, hashtext(current_schema()))")
UNLOCK = text("SELECT pg_advisory_unlock(:kind, hashtext(current_schema()))")


class PollerElection:
    """Holds (or waits for) the right to poll on the database at ``url``."""

    def __init__(self, url: str) -> None:
        self.single = is_sqlite(url)
        # its own engine: the lock lives as long as one connection the pool never reuses
        self._engine = None if self.single else create_engine(url, pool_size=None)
        self._conn: AsyncConnection | None = None
        self._checked = 0.0

    def __repr__(self) -> str:
        return f"PollerElection(single={self.single}, holding={self.holding})"

    @property
    def holding(self) -> bool:
        """Whether this process polls (as far as it last knew)."""
        return self.single or self._conn is not None

    async def try_acquire(self) -> bool:
        """Take the right to poll if nobody holds it; True when this process has it."""
        if self.holding:
            return True
        assert self._engine is not None
        conn = None
        try:
            conn = await self._engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            won = bool(await conn.scalar(TRY_LOCK, {"kind": LOCK_CLASS}))
        except (SQLAlchemyError, OSError) as error:
            log.warning("cannot ask the database who polls (%s)", type(error).__name__)
            won = False
        if not won:
            if conn is not None:
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await conn.close()
            return False
        self._conn = conn
        self._checked = asyncio.get_running_loop().time()
        return True

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process may poll (True) or ``stop`` is set (False)."""
        while not stop.is_set():
            if await self.try_acquire():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY)
        return False

    async def still_holding(self) -> bool:
        """Whether the lock is still this process's: its connection answers (checked at
        most every ``CHECK_EVERY`` seconds). When it does not, the lock is given up."""
        if self.single or self._conn is None:
            return self.holding
        now = asyncio.get_running_loop().time()
        if now - self._checked < CHECK_EVERY:
            return True
        try:
            await asyncio.wait_for(self._conn.scalar(text("SELECT 1")), CHECK_EVERY * 2)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            log.error(
                "lost the database connection that makes this process the poller (%s)",
                type(error).__name__,
            )
            await self._drop()
            return False
        self._checked = now
        return True

    async def release(self) -> None:
        """Give up the right to poll (a clean stop: a standby takes over at once)."""
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self._conn.scalar(UNLOCK, {"kind": LOCK_CLASS})
            await self._drop()

    async def close(self) -> None:
        """Release the lock and the engine."""
        await self.release()
        if self._engine is not None:
            await self._engine.dispose()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await conn.close()
