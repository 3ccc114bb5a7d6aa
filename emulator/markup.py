"""Telegram's HTML parse mode and message entities, as the emulator needs them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


class EntityError(ValueError):
    """The text does not parse as Telegram HTML."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise EntityError(f'Can\'t parse entities: unsupported start tag "{tag}"')
        extra: dict[str, Any] = {}
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise EntityError("Can't parse entities: <a> without href")
            extra["url"] = href
        self.stack.append((tag, utf16_len(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise EntityError(f'Can\'t parse entities: unmatched end tag "{tag}"')
        _, start, extra = self.stack.pop()
        length = utf16_len(self.text) - start
        if length:
            self.entities.append({"type": _TAGS[tag], "offset": start, "length": length, **extra})

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram HTML → (plain text, entities); raises EntityError like Telegram's 400."""
    parser = _Parser()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise EntityError(f'Can\'t parse entities: unclosed tag "{parser.stack[-1][0]}"')
    # the parser has already decoded character references (convert_charrefs): once only
    return parser.text, sorted(parser.entities, key=lambda e: e["offset"])


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command and mention entities Telegram's clients would attach to ``text``."""
    found: list[tuple[int, int, str]] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention")):
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), kind))
    entities = []
    for start, end, kind in sorted(found):
        entities.append(
            {
                "type": kind,
                "offset": utf16_len(text[:start]),
                "length": utf16_len(text[start:end]),
            }
        )
    return entities
