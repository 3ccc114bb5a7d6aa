"""Events and volunteer service — 活动 / 志愿服务: announce an activity, sign up with a
waiting list, check in privately (live location in the radius, the code, or the QR code
at the venue), check out, attendance and the volunteer-hours leaderboard.
Activities that already happened are recorded (补录, ``record``).
``register(app)`` installs the feature: its commands (``commands``, ``checkin``,
``hours``, ``record``), views (``views``), buttons (``keyboards``) and the messages that follow a
change (``notify``), named by their module (``handlers.features.Later``): none of those
is imported to start."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application, CallbackQueryHandler

from domain.kinds import PromptKind
from handlers.commands import add_commands, command
from handlers.events.keyboards import SIGNUP_BUTTON
from handlers.features import Taker, later_in
from handlers.private import register_payload
from handlers.prompts import add_album_reply_taker, add_reply_taker, add_taker

CHECKIN_WAIT = timedelta(hours=12)  # a check-in prompt nobody came back to is forgotten


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the event commands, the Join / Leave buttons, the check-in deep links,
    what a location or code does while a check-in waits, and photos or a venue sent in
    reply to an announcement."""
    use = later_in(app, __name__)
    add_commands(
        app,
        command("newevent", "group", use("commands:newevent"), admin=True, section="events"),
        command("events", "group", use("commands:events_command"), section="events", grouped=False),
        command("event", "group", use("commands:event_command"), section="events", photos=True),
        command("join", "group", use("commands:join_command"), section="events"),
        command("leave", "group", use("commands:leave_command"), section="events"),
        command("checkin", "any", use("checkin:checkin_command"), section="events"),
        command("checkout", "private", use("checkin:checkout_command"), section="events"),
        command("attendance", "group", use("record:attendance_command"), section="events"),
        command("hours", "group", use("hours:hours_command"), section="events", grouped=False),
    )
    app.add_handler(CallbackQueryHandler(use("commands:on_signup_button"), pattern=SIGNUP_BUTTON))
    register_payload(app, "ev", use("checkin:on_link"))
    register_payload(app, "qr", use("checkin:on_qr"))
    checkin = Taker(
        location=use("checkin:take_location"),
        text=use("checkin:take_code"),
        expires=CHECKIN_WAIT,
        cancelled="checkin.cancelled",
        remove_keyboard=True,
    )
    add_taker(app, PromptKind.CHECKIN, checkin)
    add_reply_taker(app, use("checkin:take_reply"))
    add_album_reply_taker(app, use("checkin:take_album_reply"))
