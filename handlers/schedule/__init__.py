"""Briefings and reminders — 晨报与提醒: the minute sweep (``sweep``) that writes each
group's morning briefing, deadline reminders, birthday greetings and event reminders to
the outbox once, the ``/briefing`` command (``commands``) and what they say (``views``).
``register(app)`` installs the feature."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import CommandSpec, add
from handlers.invocation import register_command
from handlers.schedule.commands import briefing_command
from handlers.schedule.sweep import register_jobs


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /briefing and the minute sweep."""
    add(app, CommandSpec("briefing", "any", section="briefing"))
    register_command(app, "briefing", briefing_command)
    register_jobs(app)
