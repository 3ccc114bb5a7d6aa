"""A Telegram group in a scenario: the bot added and removed, people joining and leaving,
admins, the move to a supergroup."""

from __future__ import annotations

import asyncio

from emulator.scenario.chat import Chat
from emulator.scenario.person import Person


class GroupChat(Chat):
    """A Telegram group."""

    async def add_bot(self, by: Person, *, as_admin: bool = False) -> None:
        """``by`` adds the bot to the group (``my_chat_member`` + a service message)."""
        emulator = self.world.emulator
        self._bot_becomes(by, "administrator" if as_admin else "member", "left", "adds")
        message = emulator.user_message(
            self.chat, by.user, new_chat_members=[emulator.bot.to_api()]
        )
        emulator.push("message", message)
        await asyncio.sleep(0)

    async def remove_bot(self, by: Person) -> None:
        """``by`` removes the bot from the group."""
        self._bot_becomes(by, "left", "member", "removes")
        await asyncio.sleep(0)

    def _bot_becomes(self, by: Person, status: str, was: str, verb: str) -> None:
        """``by`` changes the bot's membership to ``status`` (from ``was`` if the group has
        no record of it): a transcript line and a ``my_chat_member`` update."""
        emulator = self.world.emulator
        old = emulator.member_dict(emulator.bot, self.chat.members.get(emulator.bot.id, was))
        self.chat.members[emulator.bot.id] = status
        self.world.transcript.append(f"[{self.label}] {by.name} {verb} the bot")
        emulator.push(
            "my_chat_member",
            {
                "chat": self.chat.to_api(emulator.users),
                "from": by.user.to_api(),
                "date": emulator._now(),
                "old_chat_member": old,
                "new_chat_member": emulator.member_dict(emulator.bot, status),
            },
        )

    async def join(self, person: Person) -> None:
        """``person`` joins the group."""
        self.chat.members[person.id] = "member"
        await self._send(person, new_chat_members=[person.user.to_api()])

    async def leave(self, person: Person) -> None:
        """``person`` leaves the group."""
        self.chat.members[person.id] = "left"
        await self._send(person, left_chat_member=person.user.to_api())

    def promote(self, person: Person) -> None:
        """Make ``person`` an administrator (Telegram sends the bot no update for this)."""
        self.chat.members[person.id] = "administrator"

    def demote(self, person: Person) -> None:
        """Make ``person`` a plain member again."""
        self.chat.members[person.id] = "member"

    async def migrate(self, by: Person) -> GroupChat:
        """The group becomes a supergroup with a new id; returns the new chat."""
        emulator = self.world.emulator
        new = emulator.add_group(self.chat.title or "", supergroup=True)
        new.members = dict(self.chat.members)
        old_message = emulator.user_message(self.chat, by.user, migrate_to_chat_id=new.id)
        self.chat.migrated_to = new.id
        new_message = emulator.user_message(new, by.user, migrate_from_chat_id=self.chat.id)
        self.world.transcript.append(f"[{self.label}] becomes a supergroup")
        emulator.push("message", old_message)
        emulator.push("message", new_message)
        await asyncio.sleep(0)
        return GroupChat(self.world, new)
