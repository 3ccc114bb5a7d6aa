"""Telegram handlers, one package per feature; :func:`register_all` installs them.

Order matters:
1. group -1, ``registry``: drops redelivered updates, records chat and person, refreshes
   admins, chooses the translator. Every later handler relies on it.
2. group 0, the features (only the first matching handler of a group runs): general,
   topics, wall, inspections (its guided report before its one-message /report), events,
   export, schedule, summary; then
   ``prompts`` (/cancel, and locations and private text for what a person is in the
   middle of), ``albums`` before ``photos`` (both run photo-taking commands), ``picks``.
3. group 0, last: the reply to unknown commands and buttons, so it never shadows a real one.
4. group ``registry.LAST``: records the update as processed if nothing did (so even a
   read-only answer is not given twice when Telegram redelivers).
5. the error handler.

``outbox`` adds no handler: it schedules the sender of the messages that handlers write
with their changes (``handlers.outbox.send_later``); ``schedule`` adds /briefing and the
minute sweep that writes briefings and reminders to the outbox; ``summary`` adds
/summary and the maker of the monthly reports the sweep sends on the first working day.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    albums,
    errors,
    events,
    export,
    general,
    inspections,
    outbox,
    photos,
    picks,
    prompts,
    registry,
    schedule,
    summary,
    topics,
    wall,
)


def register_all(app: Application) -> None:  # type: ignore[type-arg]
    """Install every handler in the documented order."""
    registry.register(app)
    general.register(app)
    topics.register(app)
    wall.register(app)  # /wall, and the wall's web pages
    inspections.register(app)  # its guided report first: `/report` alone in private chat
    events.register(app)
    export.register(app)
    schedule.register(app)  # /briefing, and the minute sweep
    summary.register(app)  # /summary, and the maker of the reports the sweep sends
    prompts.register(app)  # /cancel; locations and private text go to the person's prompt
    albums.register(app)  # an album's photos, before single photos
    photos.register(app)
    picks.register(app)
    general.register_fallback(app)
    outbox.register(app)
    errors.register(app)
