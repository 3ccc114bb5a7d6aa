"""Briefings and reminders — 晨报与提醒: the minute sweep (``sweep``) that writes each
group's morning briefing, deadline reminders, birthday greetings and event reminders to
the outbox once, the ``/briefing`` command (``commands``) and what they say (``views``).
``register(app)`` installs the feature."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import Application, JobQueue

from handlers.commands import add_commands, command
from handlers.context import Ctx
from handlers.features import later_in

SWEEP_JOB = "schedule"
START_JOB = "schedule-start"


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /briefing and the minute sweep (their modules imported when first used:
    ``handlers.features.Later``)."""
    use = later_in(app, __name__)
    add_commands(
        app, command("briefing", "any", use("commands:briefing_command"), section="briefing")
    )
    register_jobs(app, use("sweep:sweep"))


def register_jobs(
    app: Application,  # type: ignore[type-arg]
    sweep: Callable[[Ctx], Coroutine[Any, Any, None]],
) -> None:
    """Run ``sweep`` right after start (what was missed while the bot was down), then at
    the start of every minute."""
    job_queue: JobQueue[Ctx] | None = app.job_queue
    assert job_queue is not None
    # however long the start takes (migrations), the first sweep runs: no misfire limit
    job_queue.run_once(sweep, when=1.0, name=START_JOB, job_kwargs={"misfire_grace_time": None})
    now = app.bot_data.clock.now()  # (minutes begin together in every zone)
    to_next_minute = 60 - now.second - now.microsecond / 1_000_000 + 0.5
    job_queue.run_repeating(
        sweep,
        interval=60,
        first=to_next_minute,
        name=SWEEP_JOB,
        # a late or busy minute is swept late, once, never skipped or run twice at once
        job_kwargs={"misfire_grace_time": 50, "coalesce": True, "max_instances": 1},
    )
