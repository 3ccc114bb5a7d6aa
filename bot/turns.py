"""Webhook workers that share one PostgreSQL database take each chat's updates in turn.

Several ``vanguard run`` processes in webhook mode may sit behind one address (a reverse
proxy, or ``SO_REUSEPORT`` on one machine), so two updates of one chat can reach two
workers at once. Telegram sends a chat's next message only after the last one was
answered, but it sends an update again when the answer is late (the first copy may
still be running elsewhere), and a front that retries or reorders can do more.

So a worker writes each update it receives to ``webhook_updates`` (one statement, which
also says whether an earlier update of the chat is still held by any worker) and
handles it once no earlier update of its chat is held; the row is deleted when the
update is finished, just before Telegram gets its 200. Waiting holds no database
connection: one task per worker looks, every :data:`POLL_EVERY` seconds and whenever an
update of its own ends, at the rows its waiting updates care about (one statement for
all of them). A worker renews the hold on its rows every :data:`RENEW_EVERY` seconds;
a dead worker's rows stop holding their chats when the hold runs out (:data:`HOLD`),
and the update it had is taken by whichever worker Telegram sends it to next. A copy
that arrives while another worker still holds the update waits for it and is then
answered without running again.

With ``reorder_wait`` (``[webhook] reorder_wait_ms``) an update also waits, that long
at most, for every lower update id to arrive, for fronts that may hand a chat's later
update over before its earlier one. Telegram itself does not (it holds a chat's next
update back), so it is off by default: it would make every chat wait on a busy one.

One worker on PostgreSQL pays two statements an update (the row written, the row
deleted); on SQLite (one process) nothing is written and :mod:`bot.ordering` alone keeps
the order, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.ordering import chat_key
from domain.clock import Clock
from handlers.context import BotData
from storage.db import Database, is_sqlite
from storage.webhook_updates import (
    arrived_updates,
    finish_update,
    give_back_update,
    held_updates,
    hold_updates,
    last_processed_update,
    prune_held_updates,
    receive_update,
)

log = logging.getLogger(__name__)

HOLD = timedelta(seconds=15)  # how long a row holds its chat without being renewed
RENEW_EVERY = 5.0  # seconds between renewals of a worker's holds
POLL_EVERY = 0.05  # seconds between looks at other workers' rows while updates wait
WINDOW = 1000  # update ids: a gap further back than this is not waited for
FORGET_AFTER = timedelta(hours=1)  # rows whose hold ran out this long ago are deleted


def turn_key(update: Update) -> str | None:
    """The order an update keeps (:func:`bot.ordering.chat_key`), as stored."""
    key = chat_key(update)
    if key is None:
        return None
    return ":".join(map(str, key)) if isinstance(key, tuple) else str(key)


class Turns:
    """A worker's turns where it is the only worker (SQLite): every update goes at once;
    :mod:`bot.ordering` keeps each chat's order inside the process."""

    async def start(self) -> None:
        """Nothing to set up."""

    async def arrive(self, update: Update) -> bool:
        """Wait for the update's turn; False when it was handled already (answer 200)."""
        return True

    async def leave(self, update_id: int, *, finished: bool) -> None:
        """The update ended: finished, or failed (Telegram will send it again)."""

    async def close(self) -> None:
        """Nothing to release."""


@dataclass(eq=False)
class _Waiter:
    update_id: int
    key: str | None
    since: float  # loop time of arrival
    copy: bool  # another worker holds this update: wait for it to end
    outcome: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SharedTurns(Turns):
    """The turns of workers sharing one PostgreSQL database (see the module's text)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        reorder_wait: float = 0.0,
        hold: timedelta = HOLD,
        poll_every: float = POLL_EVERY,
    ) -> None:
        self.db = db
        self.clock = clock
        self.reorder_wait = reorder_wait
        self.hold = hold
        self.poll_every = poll_every
        self._held: dict[int, asyncio.Future[bool]] = {}  # ours → finished (or given back)
        self._waiters: list[_Waiter] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._renewed = 0.0
        self._mark: int | None = None  # every update id up to here has arrived

    async def start(self) -> None:
        """Forget rows whose hold ran out long ago (dead workers', given-back ones)."""
        async with self.db.transaction() as session:
            await prune_held_updates(session, self.clock.now() - FORGET_AFTER)

    async def arrive(self, update: Update) -> bool:
        """Hold the update and wait until no earlier update of its chat is held by any
        worker; False when another worker (or this one) held it and finished it."""
        update_id, key = update.update_id, turn_key(update)
        while True:
            mine = self._held.get(update_id)
            if mine is not None:  # a copy of an update this worker is still handling
                if await asyncio.shield(mine):
                    return False
                continue  # given back: take it again
            now = self.clock.now()
            async with self.db.transaction() as session:
                taken, earlier = await receive_update(session, update_id, key, now, now + self.hold)
            if not taken:
                if await self._wait(_Waiter(update_id, key, self._now(), copy=True)) == "done":
                    return False
                continue  # its holder's hold ran out: take it
            if not self._held:
                self._renewed = self._now()  # a new row is held for the whole HOLD
            self._held[update_id] = asyncio.get_running_loop().create_future()
            self._run_in_background()
            if earlier is None and self._in_order(update_id):
                return True
            try:
                await self._wait(_Waiter(update_id, key, self._now(), copy=False))
            except BaseException:
                await self.leave(update_id, finished=False)
                raise
            return True

    async def leave(self, update_id: int, *, finished: bool) -> None:
        """Delete the update's row (finished), or give it back (failed: the worker Telegram
        sends it to next takes it); the chat's next update may go."""
        ended = self._held.pop(update_id, None)
        try:
            async with self.db.transaction() as session:
                if finished:
                    await finish_update(session, update_id)
                else:
                    await give_back_update(session, update_id, self.clock.now())
        except (SQLAlchemyError, OSError) as error:
            log.warning(
                "update %s: could not end its turn (%s); its chat waits until the hold runs out",
                update_id,
                error,
            )
        finally:
            if ended is not None and not ended.done():
                ended.set_result(finished)
            self._wake.set()

    async def close(self) -> None:
        """Stop looking, and give back what this worker still holds."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for update_id in list(self._held):
            await self.leave(update_id, finished=False)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _in_order(self, update_id: int) -> bool:
        """Whether every lower update id is known to have arrived (always, without
        ``reorder_wait``); one that follows the mark moves it."""
        if not self.reorder_wait:
            return True
        if self._mark is not None and self._mark >= update_id - 1:
            self._mark = max(self._mark, update_id)
            return True
        return False

    async def _wait(self, waiter: _Waiter) -> str:
        """Wait until the look-out decides: "go", "done" (a copy whose original ended)
        or "retry" (a copy whose holder's hold ran out)."""
        self._waiters.append(waiter)
        self._run_in_background()
        self._wake.set()
        try:
            return await waiter.outcome
        finally:
            self._waiters.remove(waiter)

    def _run_in_background(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._look_out(), name="webhook-turns")

    async def _look_out(self) -> None:
        """While updates wait or are held: decide the waiting ones' turns, renew holds."""
        while self._waiters or self._held:
            self._wake.clear()
            try:
                if self._waiters:
                    await self._decide()
                if self._held and self._now() - self._renewed >= RENEW_EVERY:
                    await self._renew()
            except (SQLAlchemyError, OSError) as error:
                log.warning("cannot read the webhook workers' turns (%s); trying again", error)
                await asyncio.sleep(1.0)
                continue
            timeout = self.poll_every if self._waiters else RENEW_EVERY
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _renew(self) -> None:
        held = list(self._held)
        async with self.db.transaction() as session:
            await hold_updates(session, held, self.clock.now() + self.hold)
        self._renewed = self._now()

    async def _decide(self) -> None:
        """One look at the rows the waiting updates care about (and, with
        ``reorder_wait``, at which update ids have arrived); wake those whose turn came."""
        waiters = list(self._waiters)
        if self.reorder_wait:
            await self._advance_mark(waiters)
        keys = sorted({w.key for w in waiters if w.key is not None and not w.copy})
        async with self.db.read() as session:
            rows = await held_updates(session, keys, [w.update_id for w in waiters if w.copy])
        now, moment = self.clock.now(), self._now()
        live = [r for r in rows if r.held_until > now]
        for waiter in waiters:
            if waiter.outcome.done():
                continue  # decided already, or cancelled (the worker is stopping)
            if waiter.copy:
                row = next((r for r in rows if r.update_id == waiter.update_id), None)
                if row is None or row.held_until <= now:
                    waiter.outcome.set_result("done" if row is None else "retry")
                continue
            if not self._arrived_before(waiter, moment):
                continue
            if not any(r.chat_key == waiter.key and r.update_id < waiter.update_id for r in live):
                waiter.outcome.set_result("go")

    def _arrived_before(self, waiter: _Waiter, moment: float) -> bool:
        """Whether every lower update id has arrived, or ``reorder_wait`` has passed."""
        if not self.reorder_wait or waiter.key is None or self._in_order(waiter.update_id):
            return True
        if moment - waiter.since < self.reorder_wait:
            return False
        log.info(
            "update %s: an earlier update did not arrive within %.1f s; going on",
            waiter.update_id,
            self.reorder_wait,
        )
        self._mark = max(self._mark or 0, waiter.update_id - 1)
        return True

    async def _advance_mark(self, waiters: list[_Waiter]) -> None:
        """Move the mark over the update ids that have arrived since (in the window)."""
        behind = [
            w.update_id
            for w in waiters
            if not w.copy and (self._mark is None or self._mark < w.update_id - 1)
        ]
        if not behind:
            return
        top = max(behind)
        async with self.db.read() as session:
            if self._mark is None:
                self._mark = await last_processed_update(session)
                if self._mark is None:  # a new database: no floor until a wait runs out
                    return
            self._mark = max(self._mark, top - WINDOW)
            arrived = await arrived_updates(session, self._mark, top)
        for update_id in arrived:
            if update_id != self._mark + 1:
                break
            self._mark = update_id


def turns_for(app: Application[Any, Any, Any, Any, Any, Any]) -> Turns:
    """The turns for this application's webhook: shared through the database on
    PostgreSQL, in-process only on SQLite (one process)."""
    data = app.bot_data
    if not isinstance(data, BotData) or data.db is None or is_sqlite(data.db.url):
        return Turns()
    wait = data.config.webhook.reorder_wait_ms / 1000
    return SharedTurns(data.db, data.clock, reorder_wait=wait)
