"""Events and volunteer service — 活动 / 志愿服务: announce an activity, sign up with a
waiting list, check in privately (live location in the radius, the code, or the QR code
at the venue), check out, attendance and the volunteer-hours leaderboard.
Activities that already happened are recorded (补录, ``record``).
``register(app)`` installs the feature: its commands (``commands``, ``checkin``,
``hours``, ``record``), views (``views``), buttons (``keyboards``) and the messages that follow a
change (``notify``)."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application, CallbackQueryHandler

from domain.kinds import PromptKind
from handlers.commands import add_commands, command
from handlers.events.checkin import (
    checkin_command,
    checkout_command,
    on_link,
    on_qr,
    take_album_reply,
    take_code,
    take_location,
    take_reply,
)
from handlers.events.commands import (
    event_command,
    events_command,
    join_command,
    leave_command,
    newevent,
    on_signup_button,
)
from handlers.events.hours import hours_command
from handlers.events.keyboards import SIGNUP_BUTTON
from handlers.events.record import attendance_command
from handlers.features import Taker
from handlers.private import register_payload
from handlers.prompts import add_album_reply_taker, add_reply_taker, add_taker

CHECKIN_WAIT = timedelta(hours=12)  # a check-in prompt nobody came back to is forgotten


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the event commands, the Join / Leave buttons, the check-in deep links,
    what a location or code does while a check-in waits, and photos or a venue sent in
    reply to an announcement."""
    add_commands(
        app,
        command("newevent", "group", newevent, admin=True, section="events"),
        command("events", "group", events_command, section="events", grouped=False),
        command("event", "group", event_command, section="events", photos=True),
        command("join", "group", join_command, section="events"),
        command("leave", "group", leave_command, section="events"),
        command("checkin", "any", checkin_command, section="events"),
        command("checkout", "private", checkout_command, section="events"),
        command("attendance", "group", attendance_command, section="events"),
        command("hours", "group", hours_command, section="events", grouped=False),
    )
    app.add_handler(CallbackQueryHandler(on_signup_button, pattern=SIGNUP_BUTTON))
    register_payload(app, "ev", on_link)
    register_payload(app, "qr", on_qr)
    add_taker(
        app,
        PromptKind.CHECKIN,
        Taker(
            location=take_location,
            text=take_code,
            expires=CHECKIN_WAIT,
            cancelled="checkin.cancelled",
            remove_keyboard=True,
        ),
    )
    add_reply_taker(app, take_reply)
    add_album_reply_taker(app, take_album_reply)
