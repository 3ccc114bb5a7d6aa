"""Files and uploads: sending a file we made (a register, a report) to the chat a
command came from, within the size Telegram takes from a bot."""

from __future__ import annotations

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
) -> None:
    """Send the file, or say why not (past Telegram's 50 MB: ``too_big``, the reply
    naming the file kept on the server)."""
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
