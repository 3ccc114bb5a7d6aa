"""Text at the edges: what people type is cleaned and bounded on the way in, and what
the bot sends is fitted into Telegram's limits on the way out.

Pure functions, no I/O. Every stored text went through :func:`clean_line` (titles,
names) or :func:`clean_note` (descriptions, notes) and a per-field limit from
:data:`LIMITS`, so no stored value can carry control characters or break a later view.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

from domain.errors import InvalidValue

MESSAGE_LIMIT = 4096  # Telegram: characters (UTF-16 units) after entity parsing
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the largest file a bot may download from Telegram
EXCERPT = 40  # how much of a bad value an error reply quotes

# The longest text each field takes, in characters. Chosen so that the longest record
# still renders: a title fits a list line, a note fits one history line, a detail view
# splits into messages between lines.
LIMITS: dict[str, int] = {
    "title": 200,
    "description": 2000,
    "milestone": 300,
    "note": 1000,
    "result": 2000,
    "comment": 500,
    "reason": 500,
    "issue": 1000,
    "name": 32,
}

_ZWJ = "\u200d"
_KEEP_FORMAT = {_ZWJ}  # joins emoji sequences; every other format character goes
_SEPARATORS = {"\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\r"}


def _noncharacter(char: str) -> bool:
    point = ord(char)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _drop(char: str) -> bool:
    if _noncharacter(char):
        return True
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return True
    return category == "Cf" and char not in _KEEP_FORMAT


def clean_note(text: str) -> str:
    """Multi-line text as it may be stored: line breaks kept (at most one blank line in
    a row), tabs made spaces, control and invisible format characters removed."""
    for separator in _SEPARATORS:
        text = text.replace("\r\n", "\n").replace(separator, "\n")
    text = text.replace("\t", " ")
    kept = "".join(c for c in text if c == "\n" or not _drop(c))
    lines = [" ".join(line.split()) for line in kept.split("\n")]
    joined = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", joined)


def clean_line(text: str) -> str:
    """One-line text (a title, a name): like :func:`clean_note`, all on one line."""
    return " ".join(clean_note(text).split())


def has_newline(text: str) -> bool:
    """Whether the text breaks lines in any of Unicode's ways."""
    return "\n" in text or any(s in text for s in _SEPARATORS)


_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def is_blank(text: str) -> bool:
    """Whether nothing visible is left: only spaces, joiners, combining marks, control or
    format characters, or the "filler" letters that render as nothing."""
    return not any(
        unicodedata.category(c)[0] in "LNPS" and c not in _INVISIBLE_LETTERS for c in text
    )


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of a value quoted back to a person, on one line."""
    line = clean_line(str(text))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def visible_len(html_text: str) -> int:
    """Length of Telegram HTML as the person sees it (tags removed, entities as one)."""
    return utf16_len(unescape(_TAG.sub("", html_text)))


def shorten_html(html_text: str, limit: int) -> str:
    """Telegram HTML cut to at most ``limit`` visible UTF-16 units, ending in "…", with
    every tag still open at the cut closed. Text that fits is returned unchanged."""
    if visible_len(html_text) <= limit:
        return html_text
    budget = limit - 1
    out: list[str] = []
    open_tags: list[str] = []
    position = 0
    while position < len(html_text) and budget > 0:
        char = html_text[position]
        if char == "<":
            match = _TAG.match(html_text, position)
            if match is not None:
                closing, name = match.group(1), match.group(2).lower()
                if closing and name in open_tags:
                    open_tags.remove(name)
                elif not closing:
                    open_tags.append(name)
                out.append(match.group(0))
                position = match.end()
                continue
        if char == "&":
            end = html_text.find(";", position)
            if 0 < end - position <= 10:
                out.append(html_text[position : end + 1])
                budget -= 1
                position = end + 1
                continue
        cost = utf16_len(char)
        if cost > budget:
            break
        out.append(char)
        budget -= cost
        position += 1
    out.append("…")
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def bounded(text: str, field: str, command: str, *, one_line: bool = False) -> str:
    """``text`` cleaned for storage as ``field`` (a key of :data:`LIMITS`); refuses it
    with the command's usage line and the limit when it is longer."""
    cleaned = clean_line(text) if one_line else clean_note(text)
    if is_blank(cleaned):
        return ""
    limit = LIMITS[field]
    if len(cleaned) > limit:
        raise InvalidValue("error.too_long", max=limit, length=len(cleaned), command=command)
    return cleaned
