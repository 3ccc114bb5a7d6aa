"""Declaring commands: each feature lists its commands once, as :func:`command` rows that
carry their handler, and :func:`add_commands` puts them in the application's table and
installs them. /help, the published command menus and usage lines read the same table,
so a listed command without a handler cannot exist.

Every handler has one signature, ``async def f(inv: Invocation) -> None``, however the
command arrives (text, a photo's or album's caption, a group picked in private chat).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application

from handlers.common import command as command_handler
from handlers.context import Ctx
from handlers.features import SECTIONS, CommandSpec, Where, features_of, visible
from handlers.invocation import Invocation, start_command
from handlers.people import with_mentions

__all__ = ["SECTIONS", "CommandSpec", "add_commands", "command", "visible"]


def command(
    name: str,
    where: Where,
    run: Callable[[Invocation], Awaitable[None]],
    *,
    admin: bool = False,
    section: str = "general",
    photos: bool = False,
    grouped: bool = True,
) -> CommandSpec:
    """One row of the command table: ``/name``, where it may run, its handler; ``photos``:
    it may be the caption of photos or an album; ``grouped``: it is about one group (in
    private chat the person's group, asked with buttons when they are in several), else
    it runs on its own (``inv.group`` is the chat's group, if it is one)."""
    return CommandSpec(name, where, run, admin, section, photos, grouped)


def add_commands(app: Application, *specs: CommandSpec) -> None:  # type: ignore[type-arg]
    """Add a feature's commands to this application's table (help, menus, usage) and
    install each as a text command (new messages only: an edited command is not run
    again); those with ``photos`` also run from captions (``handlers.photos``,
    ``handlers.albums``)."""
    table = features_of(app).commands
    known = {c.name for c in table}
    for spec in specs:
        if spec.name in known:
            continue
        table.append(spec)
        app.add_handler(command_handler(spec.name, _from_text(spec)))


def _from_text(spec: CommandSpec) -> Callable[[Update, Ctx], Coroutine[Any, Any, None]]:
    async def from_text(update: Update, context: Ctx) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        words = with_mentions(message).split(None, 1)  # any whitespace, a newline too
        rest = words[1] if len(words) > 1 else ""
        await start_command(update, context, spec, rest, [])

    from_text.__doc__ = f"/{spec.name} as a text message."
    return from_text
