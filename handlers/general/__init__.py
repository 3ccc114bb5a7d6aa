"""General — /start and /help (``start``), /settings, /profile, /members and the
welcome of newcomers (``members``). ``register(app)`` installs them; the reply to
unknown commands and buttons is installed last, by ``register_fallback``."""

from __future__ import annotations

from telegram.ext import Application

from handlers.general import members, profile, settings, start


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the general commands, in the order /help lists them."""
    start.register(app)
    settings.register(app)
    profile.register(app)
    members.register(app)


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Install the answers to unknown commands and buttons (after every feature)."""
    start.register_fallback(app)
