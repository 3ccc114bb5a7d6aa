"""Monthly report — 工作简报: ``/summary`` drafts the group's month as an editable Word
document (``document``) or an .xlsx appendix with charts (``workbook``), from the
month's rows (``storage.summary``) in the group's words (``views``), made off the event
loop (``make``); ``monthly`` sends last month's report to the admins on the first
working day. ``register(app)`` installs the command and the outbox's maker of reports."""

from __future__ import annotations

from telegram.ext import Application

from handlers.commands import add_commands, command
from handlers.features import MorningHook, add_morning, features_of, later_in

KIND = "summary"  # outbox.document: "summary:2026-11"


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install /summary, the maker of the reports the scheduler sends and their part of
    each group's morning (their modules imported when first used:
    ``handlers.features.Later``)."""
    use = later_in(app, __name__)
    summary = use("commands:summary_command")
    add_commands(app, command("summary", "any", summary, admin=True, section="briefing"))
    features_of(app).documents[KIND] = use("monthly:report_file")
    add_morning(
        app,
        MorningHook(write=use("monthly:monthly_report_line"), prepare=use("monthly:fresh_admins")),
    )
