"""Topics — 领题解题: claim a work problem, push it on a schedule, show and review the
result. ``register(app)`` installs the feature: its commands (``commands``, ``results``),
views (``views``) and buttons (``keyboards``)."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from handlers.commands import add_commands, command
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
)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the topic commands and buttons."""
    add_commands(
        app,
        command("newtopic", "group", newtopic, admin=True, section="topics"),
        command("topics", "group", topics_command, section="topics", grouped=False),
        command("topic", "group", topic_command, section="topics"),
        command("claim", "group", claim_command, section="topics"),
        command("release", "group", release_command, section="topics"),
        command("milestone", "group", milestone_command, section="topics"),
        command("progress", "any", progress_command, section="topics", photos=True),
        command("done", "any", done_command, section="topics", photos=True),
        command("approve", "group", approve_command, admin=True, section="topics"),
        command("reject", "group", reject_command, admin=True, section="topics"),
    )
    app.add_handler(CallbackQueryHandler(on_claim_button, pattern=r"^claim:[0-9]{1,12}(:list)?$"))
    app.add_handler(CallbackQueryHandler(on_rate_button, pattern=r"^rate:[0-9]{1,12}:[1-5]$"))
