"""A person played by the scenario, and their private chat with the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core import EChat, EUser
from emulator.scenario.chat import Chat

if TYPE_CHECKING:
    from emulator.scenario.world import World


class Person:
    """A person on Telegram, played by the scenario."""

    def __init__(self, world: World, user: EUser) -> None:
        self.world = world
        self.user = user

    @property
    def id(self) -> int:
        """Telegram user id."""
        return self.user.id

    @property
    def name(self) -> str:
        """Full name."""
        return self.user.full_name

    def private(self) -> PrivateChat:
        """The private chat between this person and the bot."""
        return PrivateChat(self.world, self.world.emulator.private_chat(self.user), self)


class PrivateChat(Chat):
    """The private chat of one person with the bot."""

    def __init__(self, world: World, chat: EChat, person: Person) -> None:
        super().__init__(world, chat)
        self.person = person

    @property
    def label(self) -> str:
        """How the transcript names this chat."""
        return f"private: {self.person.name}"

    async def start(self, payload: str | None = None) -> dict[str, Any]:
        """The person presses Start (optionally through a deep link)."""
        return await self.say(self.person, "/start" + (f" {payload}" if payload else ""))

    async def send(self, text: str) -> dict[str, Any]:
        """The person writes ``text`` here."""
        return await self.say(self.person, text)

    def block(self) -> None:
        """The person blocks the bot."""
        self.chat.bot_blocked = True
