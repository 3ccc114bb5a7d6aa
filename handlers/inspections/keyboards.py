"""Inspections — the buttons: ◀ ▶ under a page of /issues. In a group the data names
only the filter and the page (the group is the chat pressed in); in private chat it also
names the group's chat, which the presser must belong to."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.i18n import Translator


def page_keyboard(
    t: Translator, which: str, page: int, pages: int, where: str = ""
) -> InlineKeyboardMarkup | None:
    """◀ ▶ for page ``page`` (from 0) of ``pages``; None when there is one page."""
    buttons = []
    if page > 0:
        data = f"iss:{which}:{page - 1}{where}"
        buttons.append(InlineKeyboardButton(t.plain("issues.prev"), callback_data=data))
    if page < pages - 1:
        data = f"iss:{which}:{page + 1}{where}"
        buttons.append(InlineKeyboardButton(t.plain("issues.next"), callback_data=data))
    return InlineKeyboardMarkup([buttons]) if buttons else None
