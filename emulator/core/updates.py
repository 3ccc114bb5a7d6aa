"""Updates: the queue the bot polls with getUpdates, webhook settings, and getMe."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from emulator.core.errors import ApiError, bad_request
from emulator.core.objects import UploadedFile
from emulator.core.params import Params
from emulator.core.state import EmulatorState

DEFAULT_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "chat_join_request",
)


CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running"
)


class Updates(EmulatorState):
    """getMe, the webhook methods, getUpdates (a long poll), and pushing updates."""

    def _get_me(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        data = self.bot.to_api()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def _delete_webhook(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        self.webhook_url = ""
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        return True

    def _set_webhook(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        url = params.text("url", required=True) or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        connections = params.integer("max_connections")
        if connections is not None and not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        secret = params.text("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if params.has("allowed_updates"):
            allowed = params.data("allowed_updates")
            self.allowed_updates = list(allowed) if allowed else None
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = secret
        self.webhook_max_connections = connections or 40
        self._kick()
        return True

    def _get_webhook_info(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            if self.allowed_updates is not None:
                info["allowed_updates"] = list(self.allowed_updates)
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    def webhook_updates(self) -> list[dict[str, Any]]:
        """The updates waiting for the webhook, oldest first (those the bot did not ask
        for are dropped, as getUpdates drops them)."""
        self._pending = [u for u in self._pending if self._is_allowed(u)]
        return list(self._pending)

    def webhook_answered(self, update_id: int, error: str | None = None) -> None:
        """The webhook answered this update: with 2xx (``error`` None) Telegram forgets
        it; otherwise it keeps it to send again and notes the error."""
        if error is None:
            self._pending = [u for u in self._pending if u["update_id"] != update_id]
        else:
            self.webhook_error = (self._now(), error)
        self._kick()

    def _get_updates(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        raise AssertionError("getUpdates is answered asynchronously")

    async def _get_updates_async(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.integer("timeout") or 0, 0)
        if params.has("allowed_updates"):
            allowed = params.data("allowed_updates")
            self.allowed_updates = list(allowed) if allowed else None
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if offset > self.confirmed_offset:
                self.confirmed_offset = offset
                await self._notify()
        deadline = asyncio.get_running_loop().time() + timeout
        self.polls_started += 1
        turn = self.polls_started
        await self._notify()  # a poll still waiting is ended with 409 (below), as Telegram does
        while True:
            if turn != self.polls_started:
                # a poll its client gave up (a stop) is cancelled by the server meanwhile:
                # only one still waited for counts, as only that one would see the 409
                await asyncio.sleep(0.05)
                self.conflicts += 1
                raise ApiError(409, CONFLICT)
            self._pending = [u for u in self._pending if self._is_allowed(u)]
            if self._pending:
                return self._pending[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    return []

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        allowed = self.allowed_updates or DEFAULT_UPDATES
        return kind in allowed

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update of ``kind`` for the bot; returns the update."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self._pending.append(update)
        self.emitted_updates.append(update)
        self._kick()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an already confirmed update again, as Telegram does when a bot crashed
        before confirming it."""
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self.confirmed_offset = min(self.confirmed_offset, update["update_id"])
        self._kick()

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        return len(self._pending)

    def last_update_id(self) -> int:
        """The id of the newest update emitted (0 if none)."""
        return self.emitted_updates[-1]["update_id"] if self.emitted_updates else 0
