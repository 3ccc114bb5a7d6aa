"""The bot process's own web server for the pages the features add (the results wall)
and the operator's ``/healthz`` and ``/metrics`` (``bot/health.py``): one aiohttp server
on ``[web] listen:port``, behind the reverse proxy that serves ``[web] public_url``.
Requests are bounded here for every page: a small body, a per-address allowance (a page
costs more than a photo; the operator's endpoints have their own), and headers that keep
a page to itself (nosniff, no referrer — a page's address is its key — and a
default-deny Content-Security-Policy where the page sets none)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from domain.config import WebConfig

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024  # bytes: the largest request body (the Mini App's initData)
CAPACITY = 200.0  # an address's allowance when it has not asked for a while …
REFILL = 3.0  # … refilled at this many a second
PAGE_COST = 10.0  # a page (reads the database); a photo or anything else costs 1
# the operator's endpoints (bot/health.py): an allowance of their own, a request costs 1,
# so a scraper on this machine never waits behind the wall's visitors (who may all come
# from the proxy's address)
OPERATOR_PATHS = frozenset({"/healthz", "/metrics"})
ADDRESSES = 10_000  # addresses remembered at most (the fullest forgotten first)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], float]  # seconds


@dataclass
class _Allowance:
    tokens: float
    at: float


class Allowances:
    """How much each address may still ask, refilled with time (the application's
    clock, so tests decide when it refills)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.by_address: dict[str, _Allowance] = {}

    def take(self, address: str, cost: float) -> float:
        """Spend ``cost`` of the address's allowance: 0 when granted, else the seconds
        until it would be."""
        now = self.clock()
        found = self.by_address.get(address)
        if found is None:
            if len(self.by_address) >= ADDRESSES:
                self._forget(now)
            found = self.by_address[address] = _Allowance(CAPACITY, now)
        found.tokens = min(CAPACITY, found.tokens + max(0.0, now - found.at) * REFILL)
        found.at = now
        if found.tokens < cost:
            return (cost - found.tokens) / REFILL
        found.tokens -= cost
        return 0.0

    def _forget(self, now: float) -> None:
        full = [
            a for a, s in self.by_address.items() if s.tokens + (now - s.at) * REFILL >= CAPACITY
        ]
        for address in full or list(self.by_address)[: ADDRESSES // 10]:
            del self.by_address[address]


def client_address(request: web.Request) -> str:
    """Who is asking: the peer, or — when the peer is a proxy on this machine — the last
    address it adds to X-Forwarded-For."""
    peer = request.remote or ""
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        return forwarded.split(",")[-1].strip()[:64]
    return peer


def _guard(headers: Any) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", "default-src 'none'")


def _limits(pages: Allowances, operator: Allowances) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPERATOR_PATHS:
            wait = operator.take(client_address(request), 1.0)
        else:
            cost = 1.0 if "/photo/" in request.path else PAGE_COST
            wait = pages.take(client_address(request), cost)
        if wait > 0:
            return web.Response(
                status=429,
                text="Too many requests / 请求太频繁，请稍后再试\n",
                headers={"Retry-After": str(int(wait) + 1)},
            )
        try:
            response = await handler(request)
        except web.HTTPException as error:
            _guard(error.headers)
            raise
        _guard(response.headers)
        return response

    return middleware


class WebServer:
    """Serves the features' pages (and the operator's endpoints) until stopped."""

    def __init__(self, config: WebConfig, clock: Clock) -> None:
        self.config = config
        self.site = web.Application(
            client_max_size=MAX_BODY,
            middlewares=[_limits(Allowances(clock), Allowances(clock))],
        )
        self._runner: web.AppRunner | None = None
        self.host = config.listen  # where it listens, once started
        self.port = config.port

    def __repr__(self) -> str:
        return f"WebServer(listen={self.config.listen!r}, port={self.port})"

    async def start(self) -> None:
        """Listen on ``listen:port`` (port 0: any free one, then known in ``port``)."""
        self._runner = web.AppRunner(self.site, access_log=None)
        await self._runner.setup()
        # several processes on one machine share the port (the kernel spreads requests)
        tcp = web.TCPSite(self._runner, self.config.listen, self.config.port, reuse_port=True)
        await tcp.start()
        sockets = getattr(tcp._server, "sockets", None) or []
        if sockets:
            self.host, self.port = sockets[0].getsockname()[:2]
        if self.config.enabled:
            log.info("wall pages at %s", self.config.public_url)
        if self.config.health:
            log.info("health and metrics at /healthz and /metrics")
        log.info("listening on %s:%s", self.config.listen, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
