"""Topics — 领题解题: claim a work problem, push it on a schedule, show and review the
result. ``register(app)`` installs the feature: its commands (``commands``, ``results``),
views (``views``) and buttons (``keyboards``), named by their module
(``handlers.features.Later``): none of those is imported to start."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from handlers.commands import add_commands, command
from handlers.features import later_in

CLAIM_BUTTON = r"^claim:[0-9]{1,12}(:list)?$"
RATE_BUTTON = r"^rate:[0-9]{1,12}:[1-5]$"


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the topic commands and buttons."""
    use = later_in(app, __name__)
    add_commands(
        app,
        command("newtopic", "group", use("commands:newtopic"), admin=True, section="topics"),
        command("topics", "group", use("commands:topics_command"), section="topics", grouped=False),
        command("topic", "group", use("commands:topic_command"), section="topics"),
        command("claim", "group", use("commands:claim_command"), section="topics"),
        command("release", "group", use("commands:release_command"), section="topics"),
        command("milestone", "group", use("commands:milestone_command"), section="topics"),
        command("progress", "any", use("results:progress_command"), section="topics", photos=True),
        command("done", "any", use("results:done_command"), section="topics", photos=True),
        command("approve", "group", use("results:approve_command"), admin=True, section="topics"),
        command("reject", "group", use("results:reject_command"), admin=True, section="topics"),
    )
    app.add_handler(CallbackQueryHandler(use("commands:on_claim_button"), pattern=CLAIM_BUTTON))
    app.add_handler(CallbackQueryHandler(use("results:on_rate_button"), pattern=RATE_BUTTON))
