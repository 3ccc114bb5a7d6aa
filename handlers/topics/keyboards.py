"""Topics — the buttons: Claim under a topic or the list, 1–5 stars under a result."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from handlers.i18n import Translator
from storage.models import Topic
from storage.topics import CLAIMABLE


def rating_keyboard(t: Translator, number: int) -> InlineKeyboardMarkup:
    """The 1-5 buttons under a submitted result."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("⭐" * 1 + str(s), callback_data=f"rate:{number}:{s}")
                for s in range(1, 6)
            ]
        ]
    )


def claim_button(t: Translator, number: int, *, in_list: bool = False) -> InlineKeyboardButton:
    """ "Claim #n" (under the list, the list is shown again after the claim)."""
    data = f"claim:{number}:list" if in_list else f"claim:{number}"
    return InlineKeyboardButton(t.plain("topics.claim_button", number=number), callback_data=data)


def claim_keyboard(t: Translator, topics: list[Topic]) -> InlineKeyboardMarkup | None:
    """A Claim button, three to a row, for each topic that still has a free slot."""
    buttons = [
        claim_button(t, topic.number, in_list=True)
        for topic in topics
        if topic.status in CLAIMABLE and topic.claimed_count < topic.slots
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)][:30]
    return InlineKeyboardMarkup(rows) if rows else None
