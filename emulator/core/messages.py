"""Text messages: sending, editing and deleting them, and what every bot message shares
(formatted text, reply markup, replies)."""

from __future__ import annotations

from typing import Any

from emulator.core.errors import bad_request
from emulator.core.objects import EChat, UploadedFile
from emulator.core.params import Params
from emulator.core.web_apps import WebApps
from emulator.markup import EntityError, parse_html, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class Messages(WebApps):
    """sendMessage, editMessage*, deleteMessage, and the checks they share."""

    def _text_and_entities(
        self, params: Params, field_name: str, limit: int, required: bool
    ) -> tuple[str | None, list[dict[str, Any]]]:
        source = params.text(field_name, required=required)
        if source is None:
            return None, []
        entities_name = "entities" if field_name == "text" else "caption_entities"
        entities: list[dict[str, Any]] = params.data(entities_name) or []
        text = source
        mode = (params.text("parse_mode") or "").upper()
        if mode == "HTML":
            try:
                text, entities = parse_html(source)
            except EntityError as exc:
                raise bad_request(str(exc)) from None
        elif mode and mode not in ("MARKDOWN", "MARKDOWNV2"):
            raise bad_request(f"unsupported parse_mode {mode}")
        if field_name == "text" and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            what = "message" if field_name == "text" else "message caption"
            raise bad_request(f"{what} is too long")
        return text, entities

    def _reply_markup(self, params: Params) -> dict[str, Any] | None:
        markup = params.data("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise bad_request("text buttons are unallowed in the inline keyboard")
                    data = button.get("callback_data")
                    if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
                        raise bad_request("BUTTON_DATA_INVALID")
                    if "web_app" in button:
                        self.check_web_app_button(button, self._chat(params).type)
                    if not any(
                        k in button
                        for k in ("callback_data", "url", "switch_inline_query", "web_app")
                    ):
                        raise bad_request("inline keyboard button must have an action")
            return markup
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    if (
                        isinstance(button, dict)
                        and button.get("request_location")
                        and (self._chat(params).type != "private")
                    ):
                        raise bad_request(
                            "keyboard buttons with request_location are "
                            "allowed in private chats only"
                        )
        return markup

    def _finish_bot_message(
        self, chat: EChat, message: dict[str, Any], params: Params
    ) -> dict[str, Any]:
        reply = params.data("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            original = self.messages.get((chat.id, int(reply["message_id"])))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat.id, message["message_id"])] = message
        self._bot_output.append((chat.id, message))
        return message

    def _send_message(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        text, entities = self._text_and_entities(params, "text", MAX_TEXT, required=True)
        message = self._base_message(chat, self.bot)
        message["text"] = text
        if entities:
            message["entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _message_to_edit(self, params: Params) -> tuple[EChat, dict[str, Any]]:
        chat = self._chat(params)
        message_id = params.integer("message_id", required=True)
        message = self.messages.get((chat.id, message_id or 0))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit_message_text(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text_and_entities(params, "text", MAX_TEXT, required=True)
        markup = self._reply_markup(params)
        if (
            text == message["text"]
            and markup == message.get("reply_markup")
            and entities == (message.get("entities") or [])
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _edit_message_caption(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        markup = self._reply_markup(params)
        if caption == message.get("caption") and markup == message.get("reply_markup"):
            raise bad_request("message is not modified")
        message.pop("caption", None)
        message.pop("caption_entities", None)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _edit_message_reply_markup(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        markup = self._reply_markup(params)
        if markup == message.get("reply_markup"):
            raise bad_request("message is not modified")
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _delete_message(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params)
        message_id = params.integer("message_id", required=True) or 0
        if self.messages.pop((chat.id, message_id), None) is None:
            raise bad_request("message to delete not found")
        return True
