"""Briefings and reminders — 晨报与提醒: the minute sweep (``sweep``) that writes each
group's morning briefing, deadline reminders, birthday greetings and event reminders to
the outbox once, the ``/briefing`` command (``commands``) and what they say (``views``).
``register(app)`` installs the feature."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.schedule.commands import briefing_command
from handlers.schedule.sweep import register_jobs


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /briefing and the minute sweep."""
    add_commands(app, command("briefing", "any", briefing_command, section="briefing"))
    register_jobs(app)
