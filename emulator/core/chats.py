"""Chats and members: getChat, getChatMember(s), getChatAdministrators, leaveChat."""

from __future__ import annotations

from typing import Any

from emulator.core.errors import bad_request
from emulator.core.objects import EChat, EUser, UploadedFile
from emulator.core.params import Params
from emulator.core.state import EmulatorState


class Chats(EmulatorState):
    """What the bot may ask about a chat and its members, and leaving it."""

    def _get_chat(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._chat(params)
        data = chat.to_api(self.users)
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    def _member_object(self, chat: EChat, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        status = chat.members.get(user_id, "left")
        return self.member_dict(user, status)

    def member_dict(self, user: EUser, status: str) -> dict[str, Any]:
        """A ``ChatMember`` object of the given status."""
        data: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            )
        elif status == "kicked":
            data["until_date"] = 0
        return data

    def _get_chat_member(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        return self._member_object(chat, params.integer("user_id", required=True) or 0)

    def _get_chat_administrators(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member_object(chat, uid)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    def _get_chat_member_count(self, params: Params, files: dict[str, UploadedFile]) -> int:
        chat = self._chat(params)
        return sum(1 for s in chat.members.values() if s in ("creator", "administrator", "member"))

    def _leave_chat(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params)
        chat.members[self.bot.id] = "left"
        return True
