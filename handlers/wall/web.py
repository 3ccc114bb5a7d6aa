"""The wall's pages on the web: ``/wall/<link>`` (``?print=1``: the poster),
``/wall/<link>/photo/<id>`` and the Mini App ``/app`` (its script posts Telegram's
initData back to ``/app``, which lists the person's groups). Nothing is shown without a
valid link or initData; a refused link gets a 403 page saying why. Every URL on a page
is relative, so the pages work behind a proxy at any path."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from domain.wall_links import Link, Verdict, check, expiry, parse, sign
from domain.webapp_auth import check_init_data
from handlers.i18n import Translator, for_language, language_from_code
from handlers.wall.page import (
    CSS,
    MAX_GROUPS,
    SCRIPT,
    csp_hash,
    read_page,
    render_app,
    render_message,
    render_page,
    render_poster,
)
from handlers.wall.photos import scaled
from storage.members import groups_of
from storage.models import Group
from storage.wall import current_secret, link_secret, page_photo

RENDERS = 4  # pages made at once by one process; more wait their turn
CSP = (
    "default-src 'none'; img-src 'self' data:; "
    f"style-src {csp_hash(CSS)}; script-src {csp_hash(SCRIPT)}; "
    "form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


def html(text: str, status: int = 200) -> web.Response:
    """A page with the wall's security headers."""
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


class WallSite:
    """The wall's request handlers for one application."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.renders = asyncio.Semaphore(RENDERS)

    @property
    def data(self) -> Any:
        """The application's BotData (config, clock, database)."""
        return self.app.bot_data

    def refused(self, t: Translator, verdict: Verdict) -> web.Response:
        """403: the link is forged or revoked, or has expired."""
        kind = "expired" if verdict == Verdict.EXPIRED else "forged"
        return html(
            render_message(t, t.plain(f"web.gone.{kind}.title"), t.plain(f"web.gone.{kind}.text")),
            403,
        )

    async def opened(self, request: web.Request) -> tuple[Group, Link] | web.Response:
        """The group a request's link opens, or the refusal."""
        link = parse(request.match_info.get("token", ""))
        group = None
        secret = None
        if link is not None:
            async with self.data.db.read() as session:
                group = await session.get(Group, link.group_id)
                secret = await current_secret(session, link.group_id)
        t = for_language(group.language if group is not None else self.data.config.bot.language)
        verdict = Verdict.FORGED if link is None else check(link, secret, self.data.clock.now())
        if verdict != Verdict.VALID or group is None or link is None:
            return self.refused(t, verdict)
        return group, link

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The group's wall, or its poster (``?print=1``)."""
        opened = await self.opened(request)
        if isinstance(opened, web.Response):
            return opened
        group, link = opened
        poster = request.query.get("print") == "1"
        t = for_language(group.language)
        now = self.data.clock.now()
        async with self.renders, self.data.db.read() as session:
            page = await read_page(session, t, group, now, poster=poster)

        def photo(p: Any) -> str:
            return f"{link.token}/photo/{p.id}"

        if poster:
            public = f"{self.data.config.web.public_url}/wall/{link.token}"
            return html(render_poster(t, page, photo, public))
        return html(render_page(t, page, photo, print_href=f"{link.token}?print=1"))

    async def photo(self, request: web.Request) -> web.StreamResponse:
        """A photo of the group's page (a scaled copy)."""
        opened = await self.opened(request)
        if isinstance(opened, web.Response):
            return opened
        group, _ = opened
        number = request.match_info.get("photo", "")
        if not number.isdigit() or len(number) > 10:
            raise web.HTTPNotFound()
        async with self.data.db.read() as session:
            found = await page_photo(session, group.id, int(number))
        path = None
        if found is not None:
            path = await asyncio.to_thread(scaled, self.data.config.media.dir, found)
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(
            path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=86400"}
        )

    async def app_page(self, request: web.Request) -> web.StreamResponse:
        """The Mini App's first page: hands Telegram's initData to the server."""
        return html(render_app(for_language(self.data.config.bot.language), "app"))

    async def enter(self, request: web.Request) -> web.StreamResponse:
        """The Mini App, once Telegram's initData is checked: the person's group's wall,
        or the list of their groups."""
        form = await request.post()
        given = form.get("init_data")
        now = self.data.clock.now()
        person = None
        if isinstance(given, str):
            person = check_init_data(given, self.data.config.telegram.token.get(), now)
        if person is None:
            t = for_language(self.data.config.bot.language)
            heading, text = t.plain("web.app.invalid.title"), t.plain("web.app.invalid.text")
            return html(render_message(t, heading, text), 403)
        t = for_language(language_from_code(person.language_code))
        links = []
        async with self.data.db.transaction() as session:
            for group in await groups_of(session, person.user_id, MAX_GROUPS):
                secret = await link_secret(session, group.id, now)
                links.append((group.title, f"wall/{sign(secret, group.id, expiry(now)).token}"))
        if len(links) == 1:
            raise web.HTTPSeeOther(links[0][1])
        if not links:
            return html(render_message(t, t.plain("web.app.title"), t.plain("web.app.none")))
        return html(render_message(t, t.plain("web.app.choose"), "", links))


def install(site: web.Application, app: Any) -> None:
    """Add the wall's routes to the web server of ``app``."""
    wall = WallSite(app)
    site.router.add_get("/wall/{token}", wall.page)
    site.router.add_get("/wall/{token}/photo/{photo}", wall.photo)
    site.router.add_get("/app", wall.app_page)
    site.router.add_post("/app", wall.enter)
