"""Export — /export issues|topics: a group's registers (台账) as .xlsx files. The
workbooks are made in ``sheets``; ``register(app)`` installs the command."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.export.commands import export_command


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /export."""
    add_commands(app, command("export", "group", export_command, admin=True, section="inspections"))
