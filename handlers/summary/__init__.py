"""Monthly report — 工作简报: ``/summary`` drafts the group's month as an editable Word
document (``document``) or an .xlsx appendix with charts (``workbook``), from the
month's rows (``storage.summary``) in the group's words (``views``), made off the event
loop (``make``); ``monthly`` sends last month's report to the admins on the first
working day. ``register(app)`` installs the command and the outbox's maker of reports."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.context import BotData
from handlers.features import add_morning
from handlers.summary.commands import summary_command
from handlers.summary.monthly import KIND, MORNING, report_file


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /summary and the maker of the reports the scheduler sends."""
    add_commands(app, command("summary", "any", summary_command, admin=True, section="briefing"))
    data: BotData = app.bot_data
    data.features.documents[KIND] = report_file
    add_morning(app, MORNING)
