"""The wall as a poster to print: the print view (A3 portrait, up to 12 results, the
group's name, the month, a QR code of the page and the day it was printed) made into a
PDF by headless Chromium where the server has it. The HTML is written self-contained
(photos inlined), so Chromium needs no network and no link."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from handlers.i18n import Translator
from handlers.wall.page import PhotoSource, WallPage, render_page, render_poster
from handlers.wall.photos import inline
from storage.models import Photo

log = logging.getLogger(__name__)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds Chromium may take for one poster


@dataclass
class Posters:
    """One poster made at a time by a process (Chromium is heavy)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def browser() -> str | None:
    """The headless browser on this server, if any."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def inlined(media_dir: Path) -> PhotoSource:
    """Photos as data: URLs (each read once), for a file that needs no server."""
    cache: dict[int, str] = {}

    def photo(p: Photo) -> str:
        if p.id not in cache:
            cache[p.id] = inline(media_dir, p)
        return cache[p.id]

    return photo


def poster_html(t: Translator, page: WallPage, media_dir: Path, link: str | None) -> str:
    """The poster as one self-contained HTML file. Blocking (reads the photos)."""
    return render_poster(t, page, inlined(media_dir), link, offline=True)


def page_html(t: Translator, page: WallPage, media_dir: Path) -> str:
    """The wall's page as one self-contained HTML file (``make demo``'s wall.html).
    Blocking (reads the photos)."""
    return render_page(t, page, inlined(media_dir), offline=True)


async def print_pdf(chrome: str, html: str, target: Path) -> bool:
    """Print ``html`` to the PDF ``target`` with headless Chromium; False when it failed
    (logged)."""
    with tempfile.TemporaryDirectory(prefix="vanguard-poster-") as work:
        source = Path(work) / "poster.html"
        source.write_text(html, "utf-8")
        process = await asyncio.create_subprocess_exec(
            chrome,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={work}/profile",
            f"--print-to-pdf={target}",
            source.as_uri(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, errors = await asyncio.wait_for(process.communicate(), TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            log.error("Chromium took longer than %.0f s for a poster", TIMEOUT)
            return False
    size = await asyncio.to_thread(lambda: target.stat().st_size if target.exists() else 0)
    if process.returncode != 0 or size == 0:
        log.error("Chromium could not print the poster (%s): %s", process.returncode, errors[-500:])
        return False
    return True
