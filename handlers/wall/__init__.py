"""The results wall (成果上墙): /wall in the chat, and the wall as a web page (a signed
link, the Mini App, a poster to print). ``register(app)`` installs the command and the
page's routes on the web server (``[web]``; ``bot.web``). Commands in ``commands``;
what a page shows and how it is drawn in ``page``, ``strip`` and the templates; the web
handlers in ``web``; the PDF poster in ``poster``; photos scaled for pages in ``photos``."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.features import features_of, later_in


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /wall and the wall's web pages (its modules imported when first used:
    ``handlers.features.Later``)."""
    use = later_in(app, __name__)
    add_commands(
        app, command("wall", "any", use("commands:wall_command"), section="topics", grouped=False)
    )
    features_of(app).web.append(install_pages)


def install_pages(site: Any, app: Any) -> None:
    """Add the wall's pages to the web server (made, with aiohttp, on its first request:
    not among the modules loaded a second after start)."""
    from handlers.wall.web import install

    install(site, app)
