"""Telegram's flood limits as a budget of time slots, kept in this process or — for
several processes on one PostgreSQL database — in the database.

Each limit is a generic cell rate algorithm (GCRA): a chat (and the bot as a whole) has a
*theoretical arrival time* (TAT), the moment its budget is spent up to. A message costs
``interval`` seconds of it; it may go once ``TAT - (burst - 1) × interval`` has passed,
and books its slot at once, so concurrent senders get successive slots, evenly spaced,
and never "five at once, then a pause". With ``interval = period × margin / (count −
burst + 1)`` no window of ``period`` seconds ever holds more than ``count`` messages.

Replies to people book whatever the wait; a bulk send (briefings, reminders) books only
when the budget is not already spent ahead (``horizon``) — otherwise it asks again when
it will be — so replies overtake bulk sends, yet bulk uses the whole rate when nobody
else is waiting. On PostgreSQL one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` books
a slot, on the database's clock (machines' clocks may differ), in the ``send_budgets``
rows every process shares: one for the bot (``"*"``) and one per chat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

OVERALL = "*"  # the budget row of the bot as a whole
PRUNE_EVERY = 2000  # bookings between two clean-ups of the rows of quiet chats
QUIET = 600.0  # seconds: a chat whose budget was spent this long ago has nothing to keep


@dataclass(frozen=True)
class Rate:
    """One limit as a GCRA: ``interval`` seconds a message, ``burst`` at once at most."""

    interval: float
    burst: int = 1

    @classmethod
    def of(cls, count: int, period: float, margin: float, burst: int = 1) -> Rate:
        """At most ``count`` messages in any ``period`` seconds (stretched by ``margin``),
        up to ``burst`` of them at once."""
        burst = max(1, min(burst, count))
        return cls(period * margin / (count - burst + 1), burst)

    @property
    def tolerance(self) -> float:
        """How far ahead the budget may be spent and a message still go at once."""
        return (self.burst - 1) * self.interval

    def horizon(self) -> float:
        """How far ahead a bulk send may book: one interval past the burst, so the next
        bulk send holds its slot while this one waits for its own, and one waking late
        still finds a slot booked (a broadcast keeps the whole rate); a reply waits for
        one bulk slot at most."""
        return self.tolerance + self.interval


class Budget(Protocol):
    """Where the slots are booked."""

    async def book(self, key: str, rate: Rate, cost: int, urgent: bool) -> tuple[bool, float]:
        """(True, seconds until the booked slot) or, for a bulk send refused because
        the budget is spent ahead, (False, seconds until it may ask again)."""
        ...

    async def hold(self, key: str, rate: Rate, seconds: float) -> None:
        """Nothing more for ``key`` for ``seconds`` (Telegram answered 429), not even
        what its burst would let through."""


class LocalBudget:
    """The budget of one process, in memory (SQLite: one process per database)."""

    def __init__(self) -> None:
        self.tats: dict[str, float] = {}
        self.booked = 0

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def book(self, key: str, rate: Rate, cost: int, urgent: bool) -> tuple[bool, float]:
        """Book a slot now (see :class:`Budget`)."""
        now = self._now()
        tat = max(self.tats.get(key, now), now)
        if not urgent and tat - now > rate.horizon():
            return False, tat - now - rate.horizon()
        self.tats[key] = tat + cost * rate.interval
        self.booked += 1
        if self.booked % PRUNE_EVERY == 0:
            self.tats = {k: t for k, t in self.tats.items() if t > now - QUIET}
        return True, max(0.0, tat - rate.tolerance - now)

    async def hold(self, key: str, rate: Rate, seconds: float) -> None:
        """Push the key's budget ``seconds`` (and its burst) into the future."""
        now = self._now()
        self.tats[key] = max(self.tats.get(key, now), now + seconds + rate.tolerance)


NOW = "CAST(extract(epoch from clock_timestamp()) AS float8)"
BOOK = text(
    f"""
    INSERT INTO send_budgets (chat, tat) VALUES (:key, {NOW} + CAST(:cost AS float8))
    ON CONFLICT (chat) DO UPDATE
        SET tat = greatest(send_budgets.tat, {NOW}) + CAST(:cost AS float8)
        WHERE CAST(:urgent AS boolean) OR send_budgets.tat <= {NOW} + CAST(:horizon AS float8)
    RETURNING tat - CAST(:cost AS float8) - {NOW}
    """
)
AHEAD = text(f"SELECT tat - {NOW} FROM send_budgets WHERE chat = :key")
HOLD = text(
    f"""
    INSERT INTO send_budgets (chat, tat) VALUES (:key, {NOW} + CAST(:seconds AS float8))
    ON CONFLICT (chat) DO UPDATE
        SET tat = greatest(send_budgets.tat, {NOW} + CAST(:seconds AS float8))
    """
)
PRUNE = text(f"DELETE FROM send_budgets WHERE chat <> '*' AND tat < {NOW} - CAST(:quiet AS float8)")


class SharedBudget:
    """The budget of every process on one PostgreSQL database (``send_budgets``): each
    booking is one autocommitted statement. When the database does not answer, this
    process books from its own :class:`LocalBudget` meanwhile (and says so once)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.fallback = LocalBudget()
        self.booked = 0
        self._failing = False

    def __repr__(self) -> str:
        return f"SharedBudget(booked={self.booked})"

    async def book(self, key: str, rate: Rate, cost: int, urgent: bool) -> tuple[bool, float]:
        """Book a slot in the shared rows (see :class:`Budget`)."""
        spend = cost * rate.interval
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                ahead = await conn.scalar(
                    BOOK,
                    {"key": key, "cost": spend, "urgent": urgent, "horizon": rate.horizon()},
                )
                if ahead is None:  # a bulk send, and the budget is spent ahead
                    later = await conn.scalar(AHEAD, {"key": key})
                    return False, max(0.0, float(later or 0.0) - rate.horizon())
                self.booked += 1
                if self.booked % PRUNE_EVERY == 0:
                    await conn.execute(PRUNE, {"quiet": QUIET})
        except (SQLAlchemyError, OSError) as error:
            self._failed(error)
            return await self.fallback.book(key, rate, cost, urgent)
        self._failing = False
        return True, max(0.0, float(ahead) - rate.tolerance)

    async def hold(self, key: str, rate: Rate, seconds: float) -> None:
        """Push the key's budget ``seconds`` (and its burst) into the future, for every
        process."""
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(HOLD, {"key": key, "seconds": seconds + rate.tolerance})
        except (SQLAlchemyError, OSError) as error:
            self._failed(error)
            await self.fallback.hold(key, rate, seconds)

    def _failed(self, error: BaseException) -> None:
        if not self._failing:
            log.warning(
                "the shared sending budget is unreachable (%s): this process paces itself "
                "alone until it is back",
                type(error).__name__,
            )
        self._failing = True
