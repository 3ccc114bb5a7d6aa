"""Field inspections — 自查问题清单: report defects with photos, rectify them with
evidence, verify and close. ``register(app)`` installs the feature: the one-message
report (``report``), the guided report in private chat (``guided``), lists and details
(``lists``), the life cycle (``lifecycle``), views (``views``). Its handlers are named by
their module (``handlers.features.Later``): none of those is imported to start."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.kinds import PromptKind
from handlers.commands import add_commands, command
from handlers.features import Taker, later_in
from handlers.private import register_payload
from handlers.prompts import add_taker, set_location_fallback

PAGE_BUTTON = r"^iss:[A-Za-z0-9]{1,8}:[0-9]{1,6}(:-?[0-9]{1,20})?$"  # which, page[, chat]
FLOW_BUTTON = r"^rpt:(next|cancel|g:-?[0-9]{1,20}):[0-9a-f]{0,8}$"  # the guided report's
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
FIX_PHOTO_WAIT = timedelta(minutes=30)  # "send the after photos" is forgotten after this


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the guided report first (``/report`` alone in private chat), then the
    inspection commands, the page buttons, the wait for "after" photos, and what a
    location does when nothing waits for it."""
    use = later_in(app, __name__)
    register_guided(app)
    add_commands(
        app,
        command("report", "any", use("report:report_command"), section="inspections", photos=True),
        command("issues", "group", use("lists:issues_command"), section="inspections"),
        command("issue", "group", use("lists:issue_command"), section="inspections"),
        command("assign", "group", use("lifecycle:assign_command"), section="inspections"),
        command("fixed", "any", use("lifecycle:fixed_command"), section="inspections", photos=True),
        command(
            "verify", "group", use("lifecycle:verify_command"), admin=True, section="inspections"
        ),
        command(
            "reopen", "group", use("lifecycle:reopen_command"), admin=True, section="inspections"
        ),
    )
    app.add_handler(CallbackQueryHandler(use("lists:on_page_button"), pattern=PAGE_BUTTON))
    fix = Taker(
        photo=use("lifecycle:fix_photo"),
        album=use("lifecycle:fix_album"),
        expires=FIX_PHOTO_WAIT,
        cancelled="issue.fix_cancelled",
    )
    add_taker(app, PromptKind.FIX_PHOTO, fix)
    set_location_fallback(app, use("report:on_location"))


def register_guided(app: Application) -> None:  # type: ignore[type-arg]
    """Install the guided report (``guided``): ``/report`` alone in private chat (before
    the one-message /report), its buttons, its prompt taker and its deep link."""
    use = later_in(app, __name__)
    only_report = filters.Regex(r"^/report(@\w+)?\s*$")
    app.add_handler(CommandHandler("report", use("guided:start_flow"), PRIVATE & only_report))
    app.add_handler(CallbackQueryHandler(use("guided:on_flow_button"), pattern=FLOW_BUTTON))
    flow = Taker(
        photo=use("guided:flow_photo"),
        album=use("guided:flow_album"),
        location=use("guided:flow_location"),
        text=use("guided:flow_text"),
        cancelled="flow.cancelled",
        remove_keyboard=True,
    )
    add_taker(app, PromptKind.REPORT, flow)
    register_payload(app, "report", use("guided:start_from_link"))
