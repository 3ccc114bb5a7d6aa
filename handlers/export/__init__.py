"""Export — /export issues|topics: a group's registers (台账) as .xlsx files. The
workbooks are made in ``sheets``; ``register(app)`` installs the command."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import CommandSpec, add
from handlers.export.commands import export_command
from handlers.invocation import register_command


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /export."""
    add(app, CommandSpec("export", "group", admin=True, section="inspections"))
    register_command(app, "export", export_command)
