"""Scenario helpers that read like a chat, for tests and the demo.

    group = await world.group("养护一班", creator=secretary, members=[alice])
    await group.add_bot(by=secretary)
    await group.say(alice, "/help")
    reply = await group.next_reply()
    assert "/members" in reply.text

Every bot message must be read with ``next_reply`` (or ``drain``); :meth:`World.assert_all_read`
fails a test that leaves one unread.
"""

from emulator.scenario.chat import Chat
from emulator.scenario.group import GroupChat
from emulator.scenario.person import Person, PrivateChat
from emulator.scenario.replies import BotMessage, Button
from emulator.scenario.transcript import Transcript
from emulator.scenario.world import World

__all__ = [
    "BotMessage",
    "Button",
    "Chat",
    "GroupChat",
    "Person",
    "PrivateChat",
    "Transcript",
    "World",
]
