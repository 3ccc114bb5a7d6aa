"""Topics — 领题解题: claim a work problem, push it on a schedule, show and review the
result. ``register(app)`` installs the feature: its commands (``commands``, ``results``),
views (``views``) and buttons (``keyboards``)."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from handlers.commands import CommandSpec, add
from handlers.common import command
from handlers.invocation import register_command
from handlers.topics.commands import (
    claim_command,
    milestone_command,
    newtopic,
    on_claim_button,
    release_command,
    topic_command,
    topics_command,
)
from handlers.topics.results import (
    approve_command,
    done_command,
    on_rate_button,
    progress_command,
    reject_command,
    wall_command,
)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the topic commands and buttons."""
    add(
        app,
        CommandSpec("newtopic", "group", admin=True, section="topics"),
        CommandSpec("topics", "group", section="topics"),
        CommandSpec("topic", "group", section="topics"),
        CommandSpec("claim", "group", section="topics"),
        CommandSpec("release", "group", section="topics"),
        CommandSpec("milestone", "group", section="topics"),
        CommandSpec("progress", "any", section="topics"),
        CommandSpec("done", "any", section="topics"),
        CommandSpec("approve", "group", admin=True, section="topics"),
        CommandSpec("reject", "group", admin=True, section="topics"),
        CommandSpec("wall", "group", section="topics"),
    )
    register_command(app, "newtopic", newtopic)
    app.add_handler(command("topics", topics_command))
    register_command(app, "topic", topic_command)
    register_command(app, "claim", claim_command)
    register_command(app, "release", release_command)
    register_command(app, "milestone", milestone_command)
    register_command(app, "progress", progress_command, photos=True)
    register_command(app, "done", done_command, photos=True)
    register_command(app, "approve", approve_command)
    register_command(app, "reject", reject_command)
    app.add_handler(command("wall", wall_command))
    app.add_handler(CallbackQueryHandler(on_claim_button, pattern=r"^claim:[0-9]{1,12}(:list)?$"))
    app.add_handler(CallbackQueryHandler(on_rate_button, pattern=r"^rate:[0-9]{1,12}:[1-5]$"))
