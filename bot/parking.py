"""Where the poller parks updates that run long: the bot's own database."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from storage.updates import park_updates, parked_updates, release_updates


class DatabaseParking:
    """Parked updates in the ``parked_updates`` table (see :class:`bot.delivery.Parking`)."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.app = app

    async def park(self, updates: list[tuple[int, str]]) -> None:
        """Keep these updates (id, JSON) in the database."""
        data = self.app.bot_data
        async with data.db.transaction() as session:
            await park_updates(session, updates, data.clock.now())
        data.metrics.parked.inc(len(updates))

    async def release(self, update_ids: list[int]) -> None:
        """Forget parked updates whose processing ended."""
        async with self.app.bot_data.db.transaction() as session:
            await release_updates(session, update_ids)

    async def parked(self) -> list[tuple[int, str]]:
        """The updates parked by an earlier run that never finished them."""
        async with self.app.bot_data.db.read() as session:
            return await parked_updates(session)
