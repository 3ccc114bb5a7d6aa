"""Where the poller parks updates that run long: the bot's own database, where they
belong to no process in particular.

A parked update is held by a lease (``LEASE`` seconds, renewed every ``RENEW_EVERY``
while it runs here). :class:`ParkedWork` runs in every process, poller or standby: every
``TAKE_EVERY`` seconds it takes up the parked updates whose lease ran out — their
process died — and processes them; a redelivered update changes nothing (its id is
recorded in its handler's transaction), so one that had half run is safe to run again.
At a clean stop the updates still held are let go, for another process to take at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from storage.updates import let_go, park_updates, release_updates, renew_leases, take_parked

log = logging.getLogger(__name__)

LEASE = 30.0  # seconds a parked update stays this process's without a renewal
RENEW_EVERY = 10.0
TAKE_EVERY = 5.0  # seconds between looks for parked updates nobody holds
AnyApp = Application[Any, Any, Any, Any, Any, Any]


class DatabaseParking:
    """Parked updates in the ``parked_updates`` table (see :class:`bot.delivery.Parking`);
    ``held``: those this process holds the lease of."""

    def __init__(self, app: AnyApp, *, lease: float = LEASE, single: bool = False) -> None:
        self.app = app
        self.lease = timedelta(seconds=lease)
        self.single = single  # the only process on its database (SQLite)
        self.held: set[int] = set()

    async def park(self, updates: list[tuple[int, str]]) -> None:
        """Keep these updates (id, JSON) in the database, held by this process."""
        data = self.app.bot_data
        now = data.clock.now()
        async with data.db.transaction() as session:
            await park_updates(session, updates, now, now + self.lease)
        self.held.update(i for i, _ in updates)
        data.metrics.parked.inc(len(updates))

    async def release(self, update_ids: list[int]) -> None:
        """Forget parked updates whose processing ended."""
        async with self.app.bot_data.db.transaction() as session:
            await release_updates(session, update_ids)
        self.held.difference_update(update_ids)

    async def parked(self, *, starting: bool = False) -> list[tuple[int, str]]:
        """Take the parked updates nobody holds (an earlier run, or a process that
        died, never finished them); this process holds them from now on. The only
        process on its database takes every one when it starts."""
        data = self.app.bot_data
        now = data.clock.now()
        every = starting and self.single
        async with data.db.transaction() as session:
            taken = await take_parked(session, now, now + self.lease, every=every, mine=self.held)
        self.held.update(i for i, _ in taken)
        return taken

    async def renew(self) -> None:
        """Keep holding the updates still running here."""
        if self.held:
            data = self.app.bot_data
            async with data.db.transaction() as session:
                await renew_leases(session, sorted(self.held), data.clock.now() + self.lease)

    async def let_go(self, update_ids: list[int]) -> None:
        """Stop holding these (a clean stop): any process may take them up now."""
        if update_ids:
            async with self.app.bot_data.db.transaction() as session:
                await let_go(session, update_ids)
            self.held.difference_update(update_ids)


class ParkedWork:
    """Takes up parked updates nobody holds and processes them; renews this process's
    leases. ``after_process`` records what the handlers processed (as the poller does
    before it confirms)."""

    def __init__(
        self,
        app: AnyApp,
        parking: DatabaseParking,
        process: Callable[[AnyApp, Update], Awaitable[None]],
        *,
        after_process: Callable[[], Awaitable[None]] | None = None,
        every: float = TAKE_EVERY,
        renew_every: float = RENEW_EVERY,
        stop_grace: float = 30.0,
    ) -> None:
        self.app = app
        self.parking = parking
        self.process = process
        self.after_process = after_process
        self.every = every
        self.renew_every = renew_every
        self.stop_grace = stop_grace
        self.running: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Take up what nobody holds now, then keep looking in the background."""
        self._stopping.clear()
        await self.take_up(starting=True)
        self._task = asyncio.create_task(self._run(), name="vanguard-parked")

    async def stop(self) -> None:
        """Stop looking; let the updates in hand finish (within ``stop_grace``) and let
        go of the rest, so that another process takes them at once."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self.running:
            _, late = await asyncio.wait(set(self.running.values()), timeout=self.stop_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        with contextlib.suppress(SQLAlchemyError, OSError):
            await self.parking.let_go(sorted(self.parking.held))

    @property
    def started(self) -> bool:
        """Whether it is looking for parked updates."""
        return self._task is not None

    async def take_up(self, *, starting: bool = False) -> int:
        """Process the parked updates nobody holds; how many were taken."""
        taken = await self.parking.parked(starting=starting)
        unreadable = []
        for update_id, payload in taken:
            if update_id in self.running:
                continue
            try:
                update = Update.de_json(json.loads(payload), self.app.bot)
            except Exception:  # a row no version of the bot can read: log it, drop it
                log.exception("parked update %s cannot be read; dropping it", update_id)
                unreadable.append(update_id)
                continue
            self.running[update_id] = asyncio.create_task(
                self._one(update), name=f"parked-{update_id}"
            )
        if unreadable:
            await self.parking.release(unreadable)
        if taken:
            log.info("took up %d parked updates that no process was holding", len(taken))
        return len(taken)

    async def _one(self, update: Update) -> None:
        ended = False
        try:
            await self.process(self.app, update)
            ended = True
        except Exception:
            ended = True
            log.exception("parked update %s failed outside the handlers", update.update_id)
        finally:
            self.running.pop(update.update_id, None)
        if ended:
            try:
                if self.after_process is not None:
                    await self.after_process()
                await self.parking.release([update.update_id])
            except (SQLAlchemyError, OSError) as error:  # its lease runs out: taken again
                log.warning("could not release parked update %s (%s)", update.update_id, error)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)
            if self._stopping.is_set():
                break
            try:
                if loop.time() - renewed >= self.renew_every:
                    await self.parking.renew()
                    renewed = loop.time()
                await self.take_up()
            except (SQLAlchemyError, OSError) as error:
                log.warning("parked updates: the database did not answer (%s)", error)
            except Exception:  # a bug here must not stop the look-out for good
                log.exception("parked updates: unexpected failure")
