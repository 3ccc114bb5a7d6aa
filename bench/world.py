"""The emulated world of a case: groups of people, the bot added to one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import EChat, EUser, TelegramEmulator


@dataclass
class Group:
    """A group in the emulator: its chat, creator, admins and members (senders)."""

    chat: EChat
    creator: EUser
    admins: list[EUser]
    members: list[EUser]

    @property
    def id(self) -> int:
        """The chat id."""
        return self.chat.id

    @property
    def people(self) -> list[EUser]:
        """Everyone who writes in the group: creator, admins, members."""
        return [self.creator, *self.admins, *self.members]


def make_group(
    emulator: TelegramEmulator, title: str, members: int, admins: int = 1, bot_in: bool = False
) -> Group:
    """A group with a creator, ``admins`` admins and ``members`` plain members."""
    n = len(emulator.users)
    creator = emulator.add_user("书记", last_name=f"{n}", username=f"sec_{n}")
    chat = emulator.add_group(title, creator=creator)
    admin_users, member_users = [], []
    for index in range(admins):
        user = emulator.add_user("队长", last_name=f"{n}_{index}", username=f"cap_{n}_{index}")
        chat.members[user.id] = "administrator"
        admin_users.append(user)
    for index in range(members):
        user = emulator.add_user("工", last_name=f"{n}_{index}", username=f"w_{n}_{index}")
        chat.members[user.id] = "member"
        member_users.append(user)
    if bot_in:
        chat.members[emulator.bot.id] = "member"
    return Group(chat, creator, admin_users, member_users)


def push_add_bot(emulator: TelegramEmulator, group: Group) -> dict[str, Any]:
    """The creator adds the bot: ``my_chat_member`` and the service message (returned)."""
    old = emulator.member_dict(emulator.bot, group.chat.members.get(emulator.bot.id, "left"))
    group.chat.members[emulator.bot.id] = "member"
    emulator.push(
        "my_chat_member",
        {
            "chat": group.chat.to_api(emulator.users),
            "from": group.creator.to_api(),
            "date": emulator._now(),
            "old_chat_member": old,
            "new_chat_member": emulator.member_dict(emulator.bot, "member"),
        },
    )
    message = emulator.user_message(
        group.chat, group.creator, new_chat_members=[emulator.bot.to_api()]
    )
    emulator.push("message", message)
    return message
