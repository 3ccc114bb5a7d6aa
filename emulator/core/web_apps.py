"""Mini Apps (``web_app`` buttons): Telegram opens the button's https address with the
launch parameters after ``#`` — among them ``tgWebAppData``, the initData that Telegram
signs for the bot (HMAC-SHA256 of the sorted ``key=value`` lines under the key
HMAC-SHA256("WebAppData", bot token)), as core.telegram.org/bots/webapps documents. The
emulator signs it itself, independently of the bot's check."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from emulator.core.errors import bad_request
from emulator.core.state import EmulatorState


class WebApps(EmulatorState):
    """Checking ``web_app`` buttons, and opening them as a person would."""

    def check_web_app_button(self, button: dict[str, Any], chat_type: str) -> None:
        """Refuse a ``web_app`` button as Telegram does: https only, private chats only."""
        app = button.get("web_app")
        if not isinstance(app, dict) or not isinstance(app.get("url"), str):
            raise bad_request("can't parse inline keyboard button: web_app.url is required")
        if urlsplit(app["url"]).scheme != "https":
            raise bad_request("BUTTON_URL_INVALID")
        if chat_type != "private":
            raise bad_request("BUTTON_TYPE_INVALID")

    def init_data(self, user_id: int, *, auth_date: int | None = None, **extra: str) -> str:
        """The initData Telegram would hand a Mini App opened by this user now."""
        user = self.users[user_id].to_api()
        user.pop("is_bot", None)
        user["allows_write_to_pm"] = True
        fields = {
            "query_id": f"AAE{user_id}{next(self._unique)}",
            "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
            "auth_date": str(auth_date if auth_date is not None else self._now()),
            **extra,
        }
        check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
        key = hmac.new(b"WebAppData", self.token.encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
        return urlencode(fields, quote_via=quote)

    def open_web_app(self, user_id: int, message: dict[str, Any], label: str) -> str:
        """The user taps the ``web_app`` button ``label`` under ``message``: the address
        Telegram opens (the button's, with the launch parameters after ``#``)."""
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if label in button["text"] and "web_app" in button:
                    launch = {
                        "tgWebAppData": self.init_data(user_id),
                        "tgWebAppVersion": "9.1",
                        "tgWebAppPlatform": "android",
                    }
                    return f"{button['web_app']['url']}#{urlencode(launch, quote_via=quote)}"
        raise AssertionError(f"no web_app button {label!r} under the message")
