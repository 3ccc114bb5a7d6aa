"""What ``make demo`` leaves of the results wall: the group's page as one self-contained
HTML file (photos inlined), and where Chromium is installed the A3 poster (PDF) and a
phone-sized screenshot of the page."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from sqlalchemy import select

from bot.app import VanguardApp
from handlers.i18n import for_language
from handlers.wall.page import read_page
from handlers.wall.poster import TIMEOUT, browser, page_html, poster_html, print_pdf
from storage.models import Group

log = logging.getLogger(__name__)
PHONE = (390, 3200)  # CSS pixels: a phone's width, tall enough for the demo's page


async def write_wall(app: VanguardApp, out: Path) -> list[Path]:
    """Write the demo group's wall into ``out``; the files written."""
    data = app.bot_data
    now = data.clock.now()
    if data.db is None:
        return []
    async with data.db.read() as session:
        group = await session.scalar(select(Group).order_by(Group.id).limit(1))
        if group is None:
            return []
        t = for_language(group.language)
        page = await read_page(session, t, group, now)
        poster = await read_page(session, t, group, now, poster=True)
    media = data.config.media.dir
    target = out / "wall.html"
    text = await asyncio.to_thread(page_html, t, page, media)
    await asyncio.to_thread(target.write_text, text, "utf-8")
    made = [target]
    chrome = browser()
    if chrome is None:
        return made
    pdf = out / "wall-poster.pdf"
    if await print_pdf(chrome, await asyncio.to_thread(poster_html, t, poster, media, None), pdf):
        made.append(pdf)
    shot = out / "wall.png"
    if await screenshot(chrome, target, shot):
        made.append(shot)
    return made


async def screenshot(chrome: str, page: Path, target: Path) -> bool:
    """A phone-sized PNG of the HTML file ``page`` (Chromium's --screenshot)."""
    source, shot = await asyncio.to_thread(lambda: (page.resolve().as_uri(), target.resolve()))
    with tempfile.TemporaryDirectory(prefix="vanguard-shot-") as work:
        process = await asyncio.create_subprocess_exec(
            *(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"),
            *("--no-first-run", f"--user-data-dir={work}", "--force-device-scale-factor=2"),
            f"--window-size={PHONE[0]},{PHONE[1]}",
            f"--screenshot={shot}",
            source,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(process.wait(), TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
    made = await asyncio.to_thread(lambda: target.exists() and target.stat().st_size > 0)
    if not made:
        log.error("Chromium could not take the wall's screenshot (%s)", process.returncode)
    return made
