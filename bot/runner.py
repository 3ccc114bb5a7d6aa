"""Running the Application with our own update delivery (see bot/delivery.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, NetworkError

from bot.app import VanguardApp
from bot.delivery import ConfirmingPoller, process
from bot.election import PollerElection
from bot.parking import DatabaseParking, ParkedWork
from bot.web import WebServer
from domain.config import Config
from handlers.context import BotData
from handlers.features import load_all
from storage.db import is_sqlite
from storage.models import configure_models
from storage.outbox import release, settle
from storage.updates import record_updates

if TYPE_CHECKING:
    from bot.webhook import WebhookServer

log = logging.getLogger(__name__)


class Runner:
    """Starts and stops one bot: initialize → post_init → start → deliver updates, and
    the reverse on stop. In polling mode only the process chosen through the database
    polls (bot/election.py); the others send, sweep and take up parked updates, and one
    of them starts polling when the poller goes away."""

    def __init__(self, app: VanguardApp, config: Config, *, poll_timeout: int = 10) -> None:
        self.app = app
        self.config = config
        self.poll_timeout = poll_timeout
        self.transport: ConfirmingPoller | WebhookServer | None = None
        self.web: WebServer | None = None
        self.parking = DatabaseParking(app, single=is_sqlite(config.database.url))
        self.parked_work = ParkedWork(
            app, self.parking, process, after_process=lambda: record_processed(app)
        )
        self.election: PollerElection | None = None
        self.watch: asyncio.Task[None] | None = None  # polling: takes over, ends on a fatal error
        self.fatal: BaseException | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Bring the bot up and start receiving updates (or stand by to)."""
        app = self.app
        self._stopping.clear()
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if self.config.web.listening:
            await self._serve_web()
        if self.config.telegram.mode == "webhook":
            from bot.webhook import WebhookServer  # aiohttp: only a webhook needs it at start

            hook = self.config.webhook
            self.transport = WebhookServer(
                app,
                url=hook.url,
                listen=hook.listen,
                port=hook.port,
                secret_token=hook.secret_token.get(),
                after_process=lambda: record_processed(app),
            )
            await self.transport.start()
        else:
            self.election = PollerElection(self.config.database.url)
            if await self.election.try_acquire():
                await self._start_poller()
            else:
                log.info("another process polls; this one sends and stands by to take over")
            self.watch = asyncio.create_task(self._stand_by(), name="vanguard-standby")
        await self.parked_work.start()
        log.info("Vanguard is running (@%s, %s)", app.bot.username, self.config.telegram.mode)

    async def _start_poller(self) -> None:
        assert self.election is not None
        self.transport = ConfirmingPoller(
            self.app,
            poll_timeout=self.poll_timeout,
            before_confirm=lambda: record_processed(self.app),
            parking=self.parking,
            may_poll=self.election.still_holding,
        )
        await self.transport.start()

    async def _stand_by(self) -> None:
        """Poll while this process is the poller; wait to become it otherwise."""
        assert self.election is not None
        while not self._stopping.is_set():
            if self.transport is None:
                if not await self.election.acquire(self._stopping):
                    return
                log.info("this process polls Telegram now")
                await self._start_poller()
            poller = self.transport
            assert isinstance(poller, ConfirmingPoller) and poller.task is not None
            await asyncio.shield(poller.task)
            if not poller.deposed:  # stopped, or Telegram refused the token
                self.fatal = poller.fatal
                return
            await poller.stop()
            await self.election.release()
            self.transport = None

    @property
    def poller(self) -> bool:
        """Whether this process fetches the updates: it polls (in webhook mode none
        does), and — where a standby waits for its turn — its transport says it holds
        the poll (``polling``)."""
        transport = self.transport
        if transport is None or self.config.telegram.mode == "webhook":
            return False
        return bool(getattr(transport, "polling", True))

    async def _serve_web(self) -> None:
        """Start the web server (its routes are added when the first request comes)."""
        clock = self.app.bot_data.clock
        web = self.config.web
        self.web = WebServer(web, lambda: clock.now().timestamp(), self._routes)
        try:
            await self.web.start()
        except OSError as error:  # the bot still works; only the pages are missing
            what = "the wall pages are" if web.enabled else "/healthz and /metrics are"
            log.error("%s off: cannot listen on %s:%s (%s)", what, web.listen, web.port, error)
            await self.web.stop()
            self.web = None

    def _routes(self, site: Any) -> None:
        """The routes every feature adds (with a public URL), and /healthz and /metrics
        (unless ``[web] health`` is off)."""
        from bot.health import install as install_health

        if self.config.web.enabled:
            for install in self.app.bot_data.features.web:
                install(site, self.app)
        if self.config.web.health:
            install_health(site, self.app, lambda: self.poller)

    async def stop(self) -> None:
        """Finish what is in hand, confirm it, and shut down."""
        app = self.app
        self._stopping.set()
        started = self.transport is not None or self.watch is not None
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.transport is not None:
            await self.transport.stop()
            self.transport = None
        if self.watch is not None:
            await self.watch
            self.watch = None
        if self.parked_work.started:
            await self.parked_work.stop()
        if self.election is not None:
            await self.election.close()
            self.election = None
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        if started:
            log.info("Vanguard stopped")


START_RETRY_MAX = 60.0  # seconds between attempts to reach Telegram and the database


def reason(error: BaseException) -> str:
    """One line saying why something failed (no traceback, no secrets)."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text[:300]


async def start_with_retries(runner: Runner, stop: asyncio.Event) -> bool:
    """Start the bot; while Telegram or the database cannot be reached, log one line
    with the reason and try again with back-off. False when stopped before it started."""
    delay = 1.0
    while not stop.is_set():
        try:
            await runner.start()
            return True
        except InvalidToken:
            raise
        except (NetworkError, OSError, SQLAlchemyError) as error:
            where = "Telegram" if isinstance(error, NetworkError) else "the database"
            log.error("cannot reach %s: %s; trying again in %.0f s", where, reason(error), delay)
        gc.enable()  # while it waits to try again, garbage is collected as usual
        await runner.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, START_RETRY_MAX)
    return False


async def run_until_signalled(app: VanguardApp, config: Config) -> int:
    """Run until SIGTERM or SIGINT (or until Telegram refuses the token), then stop
    cleanly; returns the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = Runner(app, config)
    if not await start_with_retries(runner, stop):
        return 0
    # a second later, once the first poll is out and waiting: run at once, the features'
    # modules, the mapping's last step and the collection (some 40, 15 and 70 ms) would
    # hold that poll back, and the first answers with it
    loop.call_later(SETTLE_AFTER, settle_heap, app, not gc.isenabled())
    stopped = asyncio.ensure_future(stop.wait())
    waiters: set[asyncio.Future[Any]] = {stopped}
    if runner.watch is not None:
        waiters.add(runner.watch)
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        await runner.stop()
    if runner.fatal is not None:
        log.error("stopped: Telegram refused the token (check telegram.token)")
        return 2
    return 0


SETTLE_AFTER = 1.0  # seconds after start-up that its leftovers are collected


def settle_heap(app: VanguardApp, collector_off: bool) -> None:
    """Once started: import the modules the features' handlers live in and finish
    mapping the models (what the first update of each, the first query, would otherwise
    do); and where start-up ran without the garbage collector (bot/cli.py: some 80 ms of
    collections saved), collect what it left behind, keep what it made (modules,
    classes, the application: most of the heap) out of every later collection, and turn
    the collector back on."""
    try:
        load_all(app)
        configure_models()
    finally:  # whatever happens, the collector is not left off for good
        if collector_off:
            gc.collect()
            gc.freeze()
            gc.enable()


async def record_processed(app: VanguardApp) -> None:
    """Write the ids that :func:`mark_processed` kept, and settle the stand-ins of the
    answers that went out (one statement each for all of them); on failure they are
    kept for the next call."""
    data: BotData = app.bot_data
    book = data.settling
    if not (book.unrecorded or book.answered or book.owed) or data.db is None:
        return
    ids, book.unrecorded = book.unrecorded, []
    answered, book.answered = book.answered, []
    owed, book.owed = book.owed, []
    try:
        async with data.db.transaction() as session:
            await record_updates(session, ids, data.clock.now())
            await settle(session, answered, data.clock.now())
            await release(session, owed)
    except BaseException:
        book.unrecorded = ids + book.unrecorded
        book.answered = answered + book.answered
        book.owed = owed + book.owed
        raise
    data.sending.ids.difference_update(answered + owed)
