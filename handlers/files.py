"""Files and uploads: sending a file we made (a register, a report) to the chat a
command came from, within the size Telegram takes from a bot, and saying it is on its
way when making it takes a while."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram.error import ChatMigrated

from handlers.i18n import Translator
from handlers.invocation import Invocation
from storage.groups import migrate_group

log = logging.getLogger(__name__)


async def send_file(
    inv: Invocation,
    t: Translator,
    path: Path,
    size: int,
    caption: str,
    too_big: str = "export.too_big",
    made: asyncio.Event | None = None,
) -> None:
    """Send the file, or say why not (past Telegram's 50 MB: ``too_big``, the reply
    naming the file kept on the server); ``made`` is set first (see
    :func:`notice_unless_made`)."""
    if made is not None:
        made.set()  # what is left is sending it
    if size > inv.context.bot_data.options.upload_limit:
        await inv.reply(t(too_big, size=f"{size / 1024 / 1024:.0f}", name=path.name))
        return
    try:
        await _send(inv, inv.chat_id, path, caption)
    except ChatMigrated as moved:  # the group became a supergroup while the file was made
        new_chat_id = int(moved.new_chat_id)
        async with inv.context.write_unclaimed() as session:
            await migrate_group(session, inv.chat_id, new_chat_id, inv.context.clock.now())
        log.info("chat %s moved to %s: the file goes there", inv.chat_id, new_chat_id)
        inv.chat_id = new_chat_id
        await _send(inv, new_chat_id, path, caption)


async def _send(inv: Invocation, chat_id: int, path: Path, caption: str) -> None:
    with path.open("rb") as file:
        await inv.context.bot.send_document(chat_id, file, filename=path.name, caption=caption)


async def notice_unless_made(
    inv: Invocation, work: asyncio.Task[None], made: asyncio.Event, after: float, notice: str
) -> None:
    """Say ``notice`` (the file is being made, it will come here) unless ``work`` has made
    its file within ``after`` seconds. Sending it does not count: a file made in time may
    still wait for the chat's pace behind earlier replies, and a notice then would take
    the next turn and come after the file it announces."""
    ready = asyncio.ensure_future(made.wait())
    try:
        await asyncio.wait({work, ready}, timeout=after, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if not (work.done() or made.is_set()):
        await inv.reply(notice)
