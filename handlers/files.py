"""Files and uploads: sending a file we made (a register, a report) to the chat a
command came from, within the size Telegram takes from a bot."""

from __future__ import annotations

from pathlib import Path

from handlers.i18n import Translator
from handlers.invocation import Invocation


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
    with path.open("rb") as file:
        await inv.context.bot.send_document(inv.chat_id, file, filename=path.name, caption=caption)
