"""The world a scenario plays: people, groups, what they write, and reading what the bot
sent."""

from __future__ import annotations

from typing import Any

from emulator.core.objects import EChat, EUser
from emulator.core.state import EmulatorState
from emulator.markup import detect_entities


class World(EmulatorState):
    """People and groups, the messages people write, and the bot's output to read."""

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        user_id: int | None = None,
    ) -> EUser:
        """A new person on Telegram."""
        uid = user_id or 5_000_000 + len(self.users)
        user = EUser(uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        return user

    def add_group(
        self, title: str, *, supergroup: bool = False, creator: EUser | None = None
    ) -> EChat:
        """A new group (the bot is not in it yet)."""
        base = -1_001_000_000_000 if supergroup else -4_000_000
        chat_id = base - len(self.chats) - 1
        chat = EChat(chat_id, "supergroup" if supergroup else "group", title)
        if creator is not None:
            chat.members[creator.id] = "creator"
        self.chats[chat_id] = chat
        return chat

    def user_message(
        self,
        chat: EChat,
        user: EUser,
        *,
        text: str | None = None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """Build (and store) a message ``user`` sends into ``chat``; not yet pushed."""
        if chat.type == "private":
            # a private chat with a bot only opens through Start; writing again unblocks
            chat.bot_started = True
            chat.bot_blocked = False
        elif chat.members.get(user.id) not in ("creator", "administrator", "member"):
            chat.members[user.id] = "member"
        message = self._base_message(chat, user)
        if text is not None:
            message["text"] = text
            entities = detect_entities(text)
            if entities:
                message["entities"] = entities
        caption = content.pop("caption", None)
        if caption is not None:
            message["caption"] = caption
            entities = detect_entities(caption)
            if entities:
                message["caption_entities"] = entities
        message.update(content)
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        self.messages[(chat.id, message["message_id"])] = message
        return message

    def unread(self) -> list[tuple[int, dict[str, Any]]]:
        """Bot messages no scenario has read yet."""
        return [m for i, m in enumerate(self._bot_output) if i not in self.read_marks]

    def take_unread(self, chat_id: int) -> dict[str, Any] | None:
        """The oldest unread bot message in ``chat_id``, now marked read; None if none."""
        for index, (cid, message) in enumerate(self._bot_output):
            if cid == chat_id and index not in self.read_marks:
                self.read_marks.add(index)
                return message
        return None

    def mark_all_read(self) -> None:
        """Forget what is unread (the demo prints everything instead)."""
        self.read_marks = set(range(len(self._bot_output)))

    def bot_output(self) -> list[tuple[int, dict[str, Any]]]:
        """Every message the bot sent, in order: (chat id, message)."""
        return list(self._bot_output)
