"""Update delivery that never confirms an update before it has been processed.

python-telegram-bot's own Updater confirms a batch to Telegram (the next getUpdates
offset) as soon as it has queued it, and its webhook answers 200 before the handlers run;
a crash then loses the batch. Here:

* :class:`ConfirmingPoller` keeps fetching while updates are processed, and confirms
  only up to the oldest update still running (a low-water mark); on stop it lets the
  updates in hand finish, then confirms them with one ``timeout=0`` call.
* :class:`bot.webhook.WebhookServer` answers Telegram only after the update has been
  processed, and refuses requests without the configured secret token.

Together with the update id recorded in each handler's transaction
(:meth:`handlers.context.Ctx.transaction`), a redelivered update changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.botapi import VanguardBot
from bot.limits import retry_seconds

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
WINDOW_PRESSURE = 80  # this many running and not parked: Telegram's window of 100
# updates a getUpdates returns, counted from the offset, is nearly full
PRESSED_PARK_AFTER = 0.2  # seconds an update runs before it is parked under pressure


async def process(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> None:
    """Run one update through the handlers, within the Application's concurrency limit."""
    await app.update_processor.process_update(update, app.process_update(update))


class Parking(Protocol):
    """Somewhere durable to keep updates that run long, so that Telegram may forget them."""

    async def park(self, updates: list[tuple[int, str]]) -> None:
        """Keep these (update id, JSON) pairs."""

    async def release(self, update_ids: list[int]) -> None:
        """Forget these (their processing ended)."""


class ConfirmingPoller:
    """Long polling that confirms an update only after it has been processed, and never
    waits on one chat to fetch the next update of another.

    Telegram's ``offset`` confirms every update below it, so the offset is a low-water
    mark: the lowest update still being processed (or one past the last fetched). While
    something is in flight, getUpdates answers at once with the updates from that mark
    on; those already running are skipped and the new ones start.

    Telegram returns at most 100 updates from the mark, so a few updates that run long
    (replies waiting for a busy group's 20 messages a minute) would hide every newer
    update. An update still running after ``park_after`` seconds is therefore *parked*:
    written to ``parking`` (the database), after which the mark may pass it. A parked
    update is released when it ends; one that never ended (a crash) is taken up by a
    live process once its lease runs out (:class:`bot.parking.ParkedWork`).
    When the updates not parked nearly fill the window, the poller
    parks sooner (after ``PRESSED_PARK_AFTER``), so a burst of a hundred commands in one
    group does not hide another group's message either. At most ``max_in_flight``
    updates run at once; past that the poller waits for some to end.
    """

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        poll_timeout: int = 10,
        allowed_updates: list[str] | None = None,
        busy_interval: float = 0.2,
        busy_gap: float = 0.05,
        stop_grace: float = 30.0,
        before_confirm: Callable[[], Awaitable[None]] | None = None,
        parking: Parking | None = None,
        park_after: float = 2.0,
        max_in_flight: int = 20_000,
        may_poll: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self.allowed_updates = allowed_updates or ALLOWED_UPDATES
        self.busy_interval = busy_interval  # longest wait for new updates while busy
        self.busy_gap = busy_gap  # shortest time between two polls while busy
        self.stop_grace = stop_grace
        self.before_confirm = before_confirm
        self.offset = 0  # what the next getUpdates confirms up to (exclusive)
        self._seen = 0  # the highest update id handed to processing
        self.parking = parking
        self.park_after = park_after
        self.max_in_flight = max_in_flight
        self.may_poll = may_poll  # False: another process polls now (bot/election.py)
        self.deposed = False
        self._running: dict[int, asyncio.Task[None]] = {}
        self._updates: dict[int, tuple[Update, float]] = {}  # running: update, start time
        self._parked: set[int] = set()  # running updates that are parked
        self._released: list[int] = []  # parked updates that ended, to forget
        self._finished = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.fatal: BaseException | None = None

    async def start(self) -> None:
        """Drop any webhook and poll in the background."""
        await self.app.bot.delete_webhook()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="vanguard-poller")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The polling task (done when polling stopped by itself, e.g. a refused token)."""
        return self._task

    @property
    def in_flight(self) -> int:
        """How many fetched updates are still being processed."""
        return len(self._running)

    async def stop(self) -> None:
        """Stop fetching, let the updates in hand finish (at most ``stop_grace`` seconds;
        of the rest, parked ones wait in the database and the others stay unconfirmed, so
        Telegram delivers them again), confirm, stop."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _low_water(self) -> int:
        held = [i for i in self._running if i not in self._parked]
        if held:
            return min(held)
        return self._seen + 1 if self._seen else self.offset

    async def _fetch(self, timeout: int) -> list[Update] | None:
        """One poll; None if stopping interrupted it."""
        await self._flush()
        self.offset = self._low_water()
        bot = self.app.bot
        if isinstance(bot, VanguardBot):
            request = bot.get_updates_after(
                offset=self.offset,
                seen=self._seen,
                skip=self._parked,
                timeout=timeout,
                allowed_updates=self.allowed_updates,
            )
        else:
            request = bot.get_updates(
                offset=self.offset,
                timeout=timedelta(seconds=timeout),
                allowed_updates=self.allowed_updates,
            )
        fetch = asyncio.create_task(request)
        stop = asyncio.create_task(self._stopping.wait())
        done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return None
        return [u for u in fetch.result() if u.update_id not in self._parked]

    async def _flush(self) -> None:
        """Let the runtime record what finished before Telegram is told it may forget
        it; forget parked updates that ended."""
        if self.before_confirm is not None:
            await self.before_confirm()
        if self.parking is not None and self._released:
            released, self._released = self._released, []
            try:
                await self.parking.release(released)
            except BaseException:
                self._released += released
                raise

    async def _park_slow(self) -> None:
        """Park the updates that have run for ``park_after`` seconds; when those not
        parked nearly fill Telegram's window, every one that is not brand new."""
        if self.parking is None:
            return
        now = asyncio.get_running_loop().time()
        held = len(self._running) - len(self._parked)
        after = PRESSED_PARK_AFTER if held >= WINDOW_PRESSURE else self.park_after
        slow = [
            (update_id, update)
            for update_id, (update, began) in self._updates.items()
            if update_id not in self._parked and now - began >= after
        ]
        if not slow:
            return
        await self.parking.park([(i, json.dumps(u.to_dict())) for i, u in slow])
        for update_id, _ in slow:
            if update_id in self._running:
                self._parked.add(update_id)
            else:  # it ended while being parked
                self._released.append(update_id)
        log.info("parked %d long-running updates", len(slow))

    def _begin(self, update: Update) -> None:
        self._seen = update.update_id
        task = asyncio.create_task(self._process(update), name=f"update-{update.update_id}")
        self._running[update.update_id] = task
        self._updates[update.update_id] = (update, asyncio.get_running_loop().time())

    async def _process(self, update: Update) -> None:
        ended = False
        try:
            await process(self.app, update)
            ended = True
        except Exception:
            ended = True
            log.exception("update %s failed outside the handlers", update.update_id)
        finally:
            self._running.pop(update.update_id, None)
            self._updates.pop(update.update_id, None)
            if update.update_id in self._parked:
                self._parked.discard(update.update_id)
                if ended:  # (one cancelled at stop stays parked for the next start)
                    self._released.append(update.update_id)
            self._finished.set()

    async def _idle(self, seconds: float) -> None:
        """Wait until an update finishes, stopping begins, or ``seconds`` pass; while
        others still run, not less than ``busy_gap`` (each poll brings back every update
        still running)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        self._finished.clear()
        finished = asyncio.create_task(self._finished.wait())
        stop = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({finished, stop}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finished.cancel()
        stop.cancel()
        rest = self.busy_gap - (loop.time() - began)
        if rest > 0 and self._running and not self._stopping.is_set():
            await self._sleep(rest)  # (once nothing runs, confirm at once)

    async def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            # busy: an update holds the mark, so polls return at once (a parked one does
            # not: with only those running, the poller can long-poll as usual)
            busy = len(self._running) > len(self._parked)
            if len(self._running) >= self.max_in_flight:
                await self._idle(self.busy_interval)
                continue
            if self.may_poll is not None and not await self.may_poll():
                log.error("this process is no longer the poller; it stops polling")
                self.deposed = True
                break
            try:
                await self._park_slow()
                updates = await self._fetch(0 if busy else self.poll_timeout)
            except RetryAfter as exc:
                await self._sleep(retry_seconds(exc.retry_after))
                continue
            except InvalidToken as exc:
                log.error("Telegram refused the token; polling stops")
                self.fatal = exc
                break
            except Conflict:
                log.warning("another process is polling this token (409 Conflict); retrying")
                await self._sleep(5)
                continue
            except (TelegramError, SQLAlchemyError, OSError) as exc:
                # Telegram unreachable or refusing, or the processed updates could not be
                # recorded (then nothing is confirmed either)
                log.warning("polling failed (%s); retrying in %.1fs", exc, backoff)
                backoff = await self._back_off(backoff)
                continue
            except Exception:  # a bug here must not stop every chat's updates for good
                log.exception("polling failed unexpectedly; retrying in %.1fs", backoff)
                backoff = await self._back_off(backoff)
                continue
            backoff = 0.5
            if updates is None:
                break
            fresh = [u for u in updates if u.update_id > self._seen]
            if not fresh and self._running and not busy:
                continue  # a long poll that ended with nothing new
            for update in fresh:
                self._begin(update)
            if not fresh and self._running:
                await self._idle(self.busy_interval)
        await self._finish()

    async def _finish(self) -> None:
        """Wait for the updates in hand (within the grace period), then confirm up to
        the oldest one that had to be cancelled (parked ones wait in the database)."""
        stopped_at = None
        if self._running:
            _, late = await asyncio.wait(set(self._running.values()), timeout=self.stop_grace)
            if late:
                stopped_at = self._low_water()
                for task in late:
                    task.cancel()
                log.warning(
                    "%d updates were still running after %.0fs; they will be processed "
                    "again at the next start",
                    len(late),
                    self.stop_grace,
                )
                await asyncio.wait(late)
        try:
            await self._flush()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not record the processed updates (%s); not confirming", exc)
            return
        if not self._seen or self.deposed:
            return  # nothing to confirm, or another process polls (it would get a 409)
        self.offset = stopped_at or self._low_water()
        try:
            await self.app.bot.get_updates(
                offset=self.offset, timeout=timedelta(0), allowed_updates=self.allowed_updates
            )
        except TelegramError as exc:
            log.warning(
                "could not confirm the last updates (%s); they will be delivered again "
                "and recognised as already processed",
                exc,
            )

    async def _back_off(self, seconds: float) -> float:
        """Wait ``seconds`` (or until stopping); the next wait, doubled up to 30 s."""
        await self._sleep(seconds)
        return min(seconds * 2, 30)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
