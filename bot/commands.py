"""The command table: where each command works and who may use it.

/help, the published command menus and usage lines all come from here; each feature's
handler module adds its rows with :func:`add`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Where = Literal["any", "group", "private"]


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name, where it works, and whether it is admin-only.

    Its menu description is the catalog key ``cmd.<name>``, its usage line ``usage.<name>``.
    """

    name: str
    where: Where
    admin: bool = False
    section: str = "general"

    @property
    def description_key(self) -> str:
        """Catalog key of the one-line description."""
        return f"cmd.{self.name}"

    @property
    def usage_key(self) -> str:
        """Catalog key of the usage line."""
        return f"usage.{self.name}"


COMMANDS: list[CommandSpec] = [
    CommandSpec("start", "any"),
    CommandSpec("help", "any"),
    CommandSpec("settings", "group", admin=True),
    CommandSpec("profile", "private"),
    CommandSpec("members", "group"),
]


def add(*specs: CommandSpec) -> None:
    """Add a feature's commands to the table (once, at import)."""
    known = {c.name for c in COMMANDS}
    COMMANDS.extend(s for s in specs if s.name not in known)


def spec(name: str) -> CommandSpec:
    """The row of command ``name``."""
    for command in COMMANDS:
        if command.name == name:
            return command
    raise KeyError(name)


SECTIONS = ("general", "topics", "inspections", "events", "briefing")  # as in the spec


def visible(chat: Literal["group", "private"], is_admin: bool) -> list[CommandSpec]:
    """The commands a person may use in this kind of chat, section by section."""
    usable = [
        c
        for c in COMMANDS
        if c.where in ("any", chat) and (is_admin or not c.admin or chat == "private")
    ]
    return sorted(usable, key=lambda c: SECTIONS.index(c.section))
