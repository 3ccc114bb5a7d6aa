"""Events — the buttons: Join / Leave and the check-in link under the announcement, the
link to the private chat, and the "send my location" keyboard of a check-in."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from handlers.i18n import Translator

SIGNUP_BUTTON = r"^ev:(join|leave):[0-9]{1,12}$"


def signup_keyboard(t: Translator, number: int, checkin_url: str | None) -> InlineKeyboardMarkup:
    """Join and Leave (callback data names the event's number, never a database id),
    and while check-in can still open, the link that starts it in private chat."""
    rows = [
        [
            InlineKeyboardButton(t.plain("event.join_button"), callback_data=f"ev:join:{number}"),
            InlineKeyboardButton(t.plain("event.leave_button"), callback_data=f"ev:leave:{number}"),
        ]
    ]
    if checkin_url is not None:
        rows.append([InlineKeyboardButton(t.plain("event.checkin_button"), url=checkin_url)])
    return InlineKeyboardMarkup(rows)


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """The private-chat keyboard whose one button sends the phone's location."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.plain("checkin.location_button"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
