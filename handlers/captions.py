"""A command in the caption of a photo or an album: ``/progress@bot 3 60% …``, addressed
to this bot or to no bot in particular."""

from __future__ import annotations

import re
from collections.abc import Collection

COMMAND_CAPTION = re.compile(
    r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+|$)(.*)$", re.DOTALL
)


def parse_caption(
    caption: str | None, bot_username: str, commands: Collection[str]
) -> tuple[str, str] | None:
    """``"/progress@bot 3 60% …"`` → ("progress", "3 60% …") when the command is one of
    ``commands`` (those that take photos); None for any other caption."""
    if not caption:
        return None
    match = COMMAND_CAPTION.match(caption.strip())
    if match is None:
        return None
    name, target, rest = match.group(1).lower(), match.group(2), match.group(3)
    if target and target.lower() != bot_username.lower():
        return None
    if name not in commands:
        return None
    return name, rest.strip()


def caption_command(caption: str | None, bot_username: str) -> str | None:
    """The command a caption starts with, when it is addressed to this bot (or to no bot
    in particular); None otherwise."""
    match = COMMAND_CAPTION.match((caption or "").strip())
    if match is None:
        return None
    target = match.group(2)
    if target and target.lower() != bot_username.lower():
        return None
    return match.group(1).lower()
