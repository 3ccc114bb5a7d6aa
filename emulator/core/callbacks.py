"""Callback queries: a person presses an inline button, the bot answers the query."""

from __future__ import annotations

from typing import Any

from emulator.core.errors import bad_request
from emulator.core.objects import EUser, UploadedFile
from emulator.core.params import Params
from emulator.core.updates import Updates


class Callbacks(Updates):
    """Pressing a button (a callback_query update) and answerCallbackQuery."""

    def callback_query(
        self, user: EUser, message: dict[str, Any], data: str
    ) -> tuple[str, dict[str, Any]]:
        """Press an inline button: pushes a callback_query update; returns its id."""
        query_id = str(10**15 + next(self._unique))
        query = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(message["chat"]["id"])),
            "message": message,
            "data": data,
        }
        self._callback_queries[query_id] = query
        return query_id, self.push("callback_query", query)

    def _answer_callback_query(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        query_id = params.text("callback_query_id", required=True) or ""
        if query_id not in self._callback_queries or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
        }
        return True
