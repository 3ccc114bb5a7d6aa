"""Events and volunteer service — 活动 / 志愿服务: announce an activity, sign up with a
waiting list, check in privately (live location in the radius, the code, or the QR code
at the venue), check out, attendance and the volunteer-hours leaderboard.
``register(app)`` installs the feature: its commands (``commands``, ``checkin``,
``hours``), views (``views``), buttons (``keyboards``) and the messages that follow a
change (``notify``)."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application, CallbackQueryHandler

from domain.kinds import PromptKind
from handlers.commands import CommandSpec, add
from handlers.common import command
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
    attendance_command,
    event_command,
    events_command,
    join_command,
    leave_command,
    newevent,
    on_signup_button,
)
from handlers.events.hours import hours_command
from handlers.events.keyboards import SIGNUP_BUTTON
from handlers.general.start import register_payload
from handlers.invocation import register_command
from handlers.prompts import Taker, add_album_reply_taker, add_reply_taker, add_taker

CHECKIN_WAIT = timedelta(hours=12)  # a check-in prompt nobody came back to is forgotten


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the event commands, the Join / Leave buttons, the check-in deep links,
    what a location or code does while a check-in waits, and photos or a venue sent in
    reply to an announcement."""
    add(
        app,
        CommandSpec("newevent", "group", admin=True, section="events"),
        CommandSpec("events", "group", section="events"),
        CommandSpec("event", "group", section="events"),
        CommandSpec("join", "group", section="events"),
        CommandSpec("leave", "group", section="events"),
        CommandSpec("checkin", "any", section="events"),
        CommandSpec("checkout", "private", section="events"),
        CommandSpec("attendance", "group", section="events"),
        CommandSpec("hours", "group", section="events"),
    )
    register_command(app, "newevent", newevent)
    app.add_handler(command("events", events_command))
    register_command(app, "event", event_command, photos=True)
    register_command(app, "join", join_command)
    register_command(app, "leave", leave_command)
    register_command(app, "checkin", checkin_command)
    register_command(app, "checkout", checkout_command)
    register_command(app, "attendance", attendance_command)
    app.add_handler(command("hours", hours_command))
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
