"""The operator's view of one bot process, on the ``[web]`` listener (this machine only,
unless ``[web] listen`` says otherwise):

* ``GET /healthz`` — JSON: whether the database answers and is at the newest migration
  (200; else 503), whether this process is the one fetching updates, the outbox's
  backlog and how long its oldest due message has waited, the parked updates, and when
  the last minute sweep ended.
* ``GET /metrics`` — Prometheus' text format, from the Application's own registry
  (``handlers/metrics.py``), with what ``/healthz`` reads set as gauges first.

Neither says anything secret: a database that does not answer is named by the kind of
error only (a driver's message may name the server), never the URL, token or password.
A request that came through a proxy (it carries ``X-Forwarded-For``) gets 404, so the
wall's public address never shows them; they have an allowance of their own
(``bot/web.py``), so page traffic never makes a scraper wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.app import VanguardApp
from storage.db import Database
from storage.migrate import current, head
from storage.outbox import Backlog, backlog
from storage.updates import parked_count

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0  # seconds the database has to answer the check
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Vitals:
    """What one check found; ``problem`` is the kind of error when the database did not
    answer (None: it did)."""

    now: datetime
    mode: str
    poller: bool
    problem: str | None
    revision: str | None
    head: str | None
    backlog: Backlog | None
    parked: int | None
    last_sweep: datetime | None

    @property
    def at_head(self) -> bool:
        """Whether the database is at the newest migration."""
        return self.problem is None and self.revision == self.head

    @property
    def healthy(self) -> bool:
        """Whether /healthz answers 200: the database answers, at the newest migration."""
        return self.at_head

    @property
    def oldest_due_age(self) -> float | None:
        """Seconds the oldest due outbox message has waited (None: none is due)."""
        due = self.backlog.oldest_due if self.backlog is not None else None
        return (self.now - due).total_seconds() if due is not None else None


async def _read(db: Database, now: datetime) -> tuple[str | None, Backlog, int]:
    """The database's revision, the outbox's backlog and the parked updates (reads only,
    on the read connections)."""
    revision = await current(db.read_engine)
    async with db.read() as session:
        return revision, await backlog(session, now), await parked_count(session)


async def check(app: VanguardApp, poller: bool) -> Vitals:
    """Look at the database and the process's own bookkeeping once."""
    data = app.bot_data
    now = data.clock.now()
    problem: str | None = None
    found: tuple[str | None, Backlog | None, int | None] = (None, None, None)
    try:
        if data.db is None:
            raise ConnectionError("the database is not open")
        found = await asyncio.wait_for(_read(data.db, now), CHECK_TIMEOUT)
    except Exception as error:  # whatever it is, the check says so rather than fail
        problem = type(error).__name__
        cause = getattr(error, "orig", None) or error
        log.warning("health check: the database did not answer (%s: %s)", problem, cause)
    return Vitals(
        now=now,
        mode=data.config.telegram.mode,
        poller=poller,
        problem=problem,
        revision=found[0],
        head=head(),
        backlog=found[1],
        parked=found[2],
        last_sweep=data.metrics.last_sweep,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def report(vitals: Vitals) -> dict[str, Any]:
    """The JSON of /healthz."""
    sweep = vitals.last_sweep
    return {
        "status": "ok" if vitals.healthy else "failing",
        "checked_at": vitals.now.isoformat(),
        "database": {"reachable": vitals.problem is None, "error": vitals.problem},
        "migrations": {
            "current": vitals.revision,
            "head": vitals.head,
            "at_head": vitals.at_head,
        },
        "mode": vitals.mode,
        "poller": vitals.poller,
        "outbox": {
            "waiting": vitals.backlog.waiting if vitals.backlog is not None else None,
            "oldest_due_at": _iso(vitals.backlog.oldest_due if vitals.backlog else None),
            "oldest_due_age_seconds": vitals.oldest_due_age,
        },
        "parked_updates": vitals.parked,
        "last_sweep": {
            "at": _iso(sweep),
            "age_seconds": (vitals.now - sweep).total_seconds() if sweep is not None else None,
        },
    }


def _forwarded(request: web.Request) -> bool:
    """Whether the request came through a proxy (the wall's public address)."""
    return "X-Forwarded-For" in request.headers


def install(site: web.Application, app: VanguardApp, poller: Callable[[], bool]) -> None:
    """Add ``/healthz`` and ``/metrics`` to the web server; ``poller`` says whether this
    process is the one fetching updates."""
    head()  # the migrations are read once, now, not during the first check

    async def healthz(request: web.Request) -> web.Response:
        if _forwarded(request):
            raise web.HTTPNotFound()
        vitals = await check(app, poller())
        status = 200 if vitals.healthy else 503
        return web.json_response(report(vitals), status=status, headers=NO_STORE)

    async def metrics(request: web.Request) -> web.Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest  # first scrape

        if _forwarded(request):
            raise web.HTTPNotFound()
        vitals = await check(app, poller())
        app.bot_data.metrics.read(
            database=vitals.problem is None,
            migrations=vitals.at_head,
            poller=vitals.poller,
            waiting=vitals.backlog.waiting if vitals.backlog is not None else None,
            oldest_due_age=vitals.oldest_due_age,
            parked=vitals.parked,
        )
        body = generate_latest(app.bot_data.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, **NO_STORE})

    site.router.add_get("/healthz", healthz)
    site.router.add_get("/metrics", metrics)
