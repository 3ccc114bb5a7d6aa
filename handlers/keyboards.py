"""Inline keyboards used by more than one handler."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.i18n import Translator


def open_private_chat(t: Translator, url: str) -> InlineKeyboardMarkup:
    """One button that opens the private chat with the bot (a deep link)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t.plain("button.private_chat"), url=url)]])
