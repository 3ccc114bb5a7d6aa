"""What the bot sent, as a person in the chat sees it: the message and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Button:
    """An inline button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None  # a Mini App's address


class BotMessage:
    """A message the bot sent, as the person sees it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def text(self) -> str:
        """The text, or the caption of a photo/document."""
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def message_id(self) -> int:
        """Its id in the chat."""
        return int(self.raw["message_id"])

    @property
    def buttons(self) -> list[Button]:
        """The inline buttons, row by row, flattened."""
        markup = self.raw.get("reply_markup") or {}
        return [
            Button(
                b["text"], b.get("callback_data"), b.get("url"), (b.get("web_app") or {}).get("url")
            )
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, text: str) -> Button:
        """The button whose label contains ``text``."""
        for button in self.buttons:
            if text in button.text:
                return button
        labels = [b.text for b in self.buttons]
        raise AssertionError(f"no button {text!r} under the message; buttons: {labels}")

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text

    def __repr__(self) -> str:
        return f"BotMessage({self.text[:80]!r})"
