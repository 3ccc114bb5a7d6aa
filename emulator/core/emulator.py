"""The emulator: the Bot API areas composed into one class, and its table of methods."""

from __future__ import annotations

from emulator.core.callbacks import Callbacks
from emulator.core.calls import Calls
from emulator.core.chats import Chats
from emulator.core.commands import Commands
from emulator.core.media import Media
from emulator.core.state import Method
from emulator.core.world import World


class TelegramEmulator(Calls, Callbacks, Media, Chats, Commands, World):
    """Telegram, as one bot sees it: state, methods, updates, faults and a call log."""

    def _method_table(self) -> dict[str, Method]:
        """Every Bot API method the emulator answers, by name."""
        return {
            "getMe": self._get_me,
            "logOut": lambda p, f: True,
            "close": lambda p, f: True,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "sendDocument": self._send_document,
            "sendChatAction": lambda p, f: self._chat(p) is not None,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "deleteMessage": self._delete_message,
            "leaveChat": self._leave_chat,
        }
