"""Field inspections — 自查问题清单: report defects with photos, rectify them with
evidence, verify and close. ``register(app)`` installs the feature: the one-message
report (``report``), the guided report in private chat (``guided``), lists and details
(``lists``), the life cycle (``lifecycle``), views (``views``)."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from domain.kinds import PromptKind
from handlers.commands import add_commands, command
from handlers.features import Taker
from handlers.inspections import guided
from handlers.inspections.lifecycle import (
    FIX_PHOTO_WAIT,
    assign_command,
    fix_album,
    fix_photo,
    fixed_command,
    reopen_command,
    verify_command,
)
from handlers.inspections.lists import issue_command, issues_command, on_page_button
from handlers.inspections.report import on_location, report_command
from handlers.prompts import add_taker, set_location_fallback

PAGE_BUTTON = r"^iss:[A-Za-z0-9]{1,8}:[0-9]{1,6}(:-?[0-9]{1,20})?$"  # which, page[, chat]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the guided report first (``/report`` alone in private chat), then the
    inspection commands, the page buttons, the wait for "after" photos, and what a
    location does when nothing waits for it."""
    guided.register(app)
    add_commands(
        app,
        command("report", "any", report_command, section="inspections", photos=True),
        command("issues", "group", issues_command, section="inspections"),
        command("issue", "group", issue_command, section="inspections"),
        command("assign", "group", assign_command, section="inspections"),
        command("fixed", "any", fixed_command, section="inspections", photos=True),
        command("verify", "group", verify_command, admin=True, section="inspections"),
        command("reopen", "group", reopen_command, admin=True, section="inspections"),
    )
    app.add_handler(CallbackQueryHandler(on_page_button, pattern=PAGE_BUTTON))
    fix = Taker(
        photo=fix_photo, album=fix_album, expires=FIX_PHOTO_WAIT, cancelled="issue.fix_cancelled"
    )
    add_taker(app, PromptKind.FIX_PHOTO, fix)
    set_location_fallback(app, on_location)
