"""Export — /export issues|topics: a group's registers (台账) as .xlsx files. The
workbooks are made in ``sheets``; ``register(app)`` installs the command."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.features import later_in


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /export (its module imported when first used: ``handlers.features.Later``)."""
    use = later_in(app, __name__)
    export = use("commands:export_command")
    add_commands(app, command("export", "group", export, admin=True, section="inspections"))
