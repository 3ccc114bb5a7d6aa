"""The bot object Vanguard talks to Telegram through: python-telegram-bot's ``ExtBot``,
with a repr that never shows the token, a getUpdates for the low-water poller, and the
answers to its own messages read without the message each one replied to."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, cast

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

FETCH_GRACE = 10.0  # seconds a long poll may take beyond its own timeout


class VanguardBot(ExtBot[Any]):
    """python-telegram-bot's bot, whose ``repr`` (and so the Application's, and any
    traceback or debug print that shows either) names the bot by id, never the token."""

    def __repr__(self) -> str:
        bot_id = self.token.split(":", 1)[0]
        return f"VanguardBot[id={bot_id if bot_id.isdigit() else '?'}, token=***]"

    __str__ = __repr__

    async def _do_post(self, endpoint: str, data: dict[str, Any], **timeouts: Any) -> Any:
        """Every call to Telegram (through the rate limiter). A message the bot sends as a
        reply comes back with the whole message it replied to inside, which
        python-telegram-bot would turn into objects too — a third of the cost of reading
        the answer — and nothing reads it: it is dropped before that."""
        result = await super()._do_post(endpoint, data, **timeouts)
        if endpoint != "getUpdates":
            for sent in result if isinstance(result, list) else (result,):
                if isinstance(sent, dict):
                    sent.pop("reply_to_message", None)
        return result

    async def get_updates_after(
        self,
        *,
        offset: int,
        seen: int,
        skip: Collection[int] = (),
        timeout: int,
        allowed_updates: list[str],
    ) -> list[Update]:
        """getUpdates from ``offset``, turning into ``Update`` objects only those above
        ``seen`` and not in ``skip``: the low-water poller asks again for the updates it
        is still processing, and parsing each of them on every poll would cost more than
        the updates themselves."""
        result = cast(
            "list[dict[str, Any]]",
            await self._post(
                "getUpdates",
                {"offset": offset, "timeout": timeout, "allowed_updates": allowed_updates},
                read_timeout=timeout + FETCH_GRACE,
            ),
        )
        updates = []
        for data in result:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int) or update_id <= seen or update_id in skip:
                continue
            try:
                updates.append(Update.de_json(data, self))
            except Exception:  # one malformed update must not stop the others
                log.exception("update %s cannot be read; skipping it", update_id)
                updates.append(Update(update_id=update_id))  # processed as empty, confirmed
        return updates
