"""The command table: where each command works and who may use it.

/help, the published command menus and usage lines all come from here; each feature's
``register(app)`` adds its rows with :func:`add`, to that application's table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from telegram.ext import Application

from handlers.features import features_of

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


def add(app: Application, *specs: CommandSpec) -> None:  # type: ignore[type-arg]
    """Add a feature's commands to this application's table (help, menus, usage)."""
    table = features_of(app).commands
    known = {c.name for c in table}
    table.extend(s for s in specs if s.name not in known)


SECTIONS = ("general", "topics", "inspections", "events", "briefing")  # as in the spec


def visible(
    table: Sequence[CommandSpec], chat: Literal["group", "private"], is_admin: bool
) -> list[CommandSpec]:
    """The commands of ``table`` a person may use in this kind of chat, by section."""
    usable = [
        c
        for c in table
        if c.where in ("any", chat) and (is_admin or not c.admin or chat == "private")
    ]
    return sorted(usable, key=lambda c: SECTIONS.index(c.section))
