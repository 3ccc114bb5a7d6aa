"""The bot process's own web server for the pages the features add (the results wall)
and the operator's ``/healthz`` and ``/metrics`` (``bot/health.py``): one aiohttp server
on ``[web] listen:port``, behind the reverse proxy that serves ``[web] public_url``.
Requests are bounded here for every page: a small body, a per-address allowance (a page
costs more than a photo; the operator's endpoints have their own), and headers that keep
a page to itself (nosniff, no referrer — a page's address is its key — and a
default-deny Content-Security-Policy where the page sets none).

The port is bound at start, so it is taken (or found taken) then; aiohttp (some 90
modules and 9 MB) is imported, and the site with every route made, when the first
connection comes, which waits in the listen queue meanwhile (a fraction of a second)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.config import WebConfig

if TYPE_CHECKING:
    from aiohttp import web

    Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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
BACKLOG = 128  # connections the kernel queues (aiohttp's default)
Clock = Callable[[], float]  # seconds
Routes = Callable[[Any], None]  # adds routes to the site (an aiohttp web.Application)


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
    from aiohttp import web

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


def make_site(clock: Clock) -> web.Application:
    """The aiohttp application every route is added to, with the limits and headers."""
    from aiohttp import web

    return web.Application(
        client_max_size=MAX_BODY,
        middlewares=[_limits(Allowances(clock), Allowances(clock))],
    )


async def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address of ``host`` (empty: all), bound as asyncio's
    ``create_server`` binds them, with ``SO_REUSEPORT``: several processes on one
    machine share the port (the kernel spreads the connections)."""
    try:  # an address needs no lookup (and no worker thread for one)
        found = socket.getaddrinfo(
            host or None,
            port,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST,
        )
    except socket.gaierror:  # a name: looked up off the event loop
        found = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class WebServer:
    """Serves the features' pages (and the operator's endpoints) until stopped: listens
    from :meth:`start`, makes the site (``routes`` adds every route to it) when the first
    connection comes."""

    def __init__(self, config: WebConfig, clock: Clock, routes: Routes) -> None:
        self.config = config
        self.clock = clock
        self.routes = routes
        self.site: web.Application | None = None  # made on the first connection
        self._sockets: list[socket.socket] = []
        self._watching = False  # for the first connection
        self._opening: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.host = config.listen  # where it listens, once started
        self.port = config.port

    def __repr__(self) -> str:
        return f"WebServer(listen={self.config.listen!r}, port={self.port})"

    async def start(self) -> None:
        """Listen on ``listen:port`` (port 0: any free one, then known in ``port``)."""
        self._sockets = await listen(self.config.listen, self.config.port)
        self.host, self.port = self._sockets[0].getsockname()[:2]
        loop = asyncio.get_running_loop()
        for sock in self._sockets:
            loop.add_reader(sock.fileno(), self._knocked)
        self._watching = True
        if self.config.enabled:
            log.info("wall pages at %s", self.config.public_url)
        if self.config.health:
            log.info("health and metrics at /healthz and /metrics")
        log.info("listening on %s:%s", self.config.listen, self.port)

    def _unwatch(self) -> None:
        if self._watching:
            loop = asyncio.get_running_loop()
            for sock in self._sockets:
                loop.remove_reader(sock.fileno())
            self._watching = False

    def _knocked(self) -> None:
        """The first connection waits to be accepted: make the site and serve it."""
        self._unwatch()
        if self._opening is None:
            self._opening = asyncio.create_task(self._open(), name="vanguard-web-open")

    async def _open(self) -> None:
        from aiohttp import web

        try:
            self.site = make_site(self.clock)
            self.routes(self.site)
            runner = web.AppRunner(self.site, access_log=None)
            await runner.setup()
            self._runner = runner
            for sock in self._sockets:
                await web.SockSite(runner, sock, backlog=BACKLOG).start()
        except Exception:
            log.exception("the web pages could not be served: no longer listening")
            await self._close()

    async def _close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()  # closes the sockets too
            self._runner = None
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    async def stop(self) -> None:
        """Stop listening."""
        self._unwatch()
        if self._opening is not None:
            await self._opening
            self._opening = None
        await self._close()
