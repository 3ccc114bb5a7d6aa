"""A chat in a scenario: people write, send photos, files and locations, press buttons;
the scenario reads the bot's replies."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from emulator.core import EChat
from emulator.scenario.replies import BotMessage

if TYPE_CHECKING:
    from emulator.scenario.person import Person
    from emulator.scenario.world import World


class Chat:
    """A chat where people write and the bot answers."""

    def __init__(self, world: World, chat: EChat) -> None:
        self.world = world
        self.chat = chat

    @property
    def id(self) -> int:
        """Telegram chat id."""
        return self.chat.id

    @property
    def label(self) -> str:
        """How the transcript names this chat."""
        return self.chat.title or "private"

    async def _send(self, person: Person, kind: str = "message", **content: Any) -> dict[str, Any]:
        emulator = self.world.emulator
        message = emulator.user_message(self.chat, person.user, **content)
        self.world.log_user(self, person, message)
        emulator.push(kind, message)
        await asyncio.sleep(0)
        return message

    async def say(
        self, person: Person, text: str, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``person`` sends ``text`` (commands and @mentions get their entities)."""
        return await self._send(person, text=text, reply_to=reply_to)

    async def send_photo(
        self,
        person: Person,
        caption: str | None = None,
        *,
        content: bytes | None = None,
        media_group_id: str | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``person`` sends a photo (with an optional caption, optionally as a reply)."""
        data = content or self.world.fake_jpeg()
        extra: dict[str, Any] = {"photo": self.world.emulator.photo_payload(data)}
        if media_group_id:
            extra["media_group_id"] = media_group_id
        return await self._send(person, caption=caption, reply_to=reply_to, **extra)

    async def send_album(
        self,
        person: Person,
        count: int,
        caption: str | None = None,
        *,
        split: bool = False,
        reply_to: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """``person`` sends ``count`` photos as one album; the first carries the caption.
        With ``split`` the bot gets them in two getUpdates batches; with ``reply_to``
        every photo replies to that message (as Telegram sends an album reply)."""
        group_id = str(next(self.world.album_ids))
        # the photos are made first: Telegram sends an album's parts back to back
        photos = [self.world.emulator.photo_payload(self.world.fake_jpeg()) for _ in range(count)]
        sent = []
        for index, photo in enumerate(photos):
            if split and index == count // 2:
                await self.world.settle()
            caption_here = caption if index == 0 else None
            sent.append(
                await self._send(
                    person,
                    caption=caption_here,
                    reply_to=reply_to,
                    photo=photo,
                    media_group_id=group_id,
                )
            )
        return sent

    async def send_location(
        self,
        person: Person,
        latitude: float,
        longitude: float,
        *,
        live_period: int | None = None,
        accuracy: float | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``person`` shares a location: a pin, or with ``live_period`` (seconds) a live
        location; ``accuracy`` is its horizontal_accuracy in metres."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period is not None:
            location["live_period"] = live_period
        if accuracy is not None:
            location["horizontal_accuracy"] = accuracy
        return await self._send(person, location=location, reply_to=reply_to)

    async def move_location(
        self, person: Person, message: dict[str, Any], latitude: float, longitude: float
    ) -> dict[str, Any]:
        """A live location moves: Telegram sends the message again as an
        ``edited_message`` with the new position."""
        emulator = self.world.emulator
        location = dict(message["location"], latitude=latitude, longitude=longitude)
        edited = dict(message, location=location, edit_date=int(message["date"]) + 1)
        emulator.messages[(self.id, message["message_id"])] = edited
        self.world.transcript.append(
            f"[{self.label}] {person.name} (live location moves): {latitude:.5f}, {longitude:.5f}"
        )
        emulator.push("edited_message", edited)
        await asyncio.sleep(0)
        return edited

    async def send_document(
        self, person: Person, name: str, content: bytes, mimetype: str, caption: str | None = None
    ) -> dict[str, Any]:
        """``person`` sends a file."""
        document = self.world.emulator.document_payload(content, name, mimetype)
        return await self._send(person, caption=caption, document=document)

    async def edit(self, person: Person, message: dict[str, Any], text: str) -> dict[str, Any]:
        """``person`` edits an earlier text message (an ``edited_message`` update)."""
        emulator = self.world.emulator
        edited = dict(message, text=text, edit_date=int(message["date"]) + 1)
        emulator.messages[(self.id, message["message_id"])] = edited
        self.world.transcript.append(f"[{self.label}] {person.name} (edited): {text}")
        emulator.push("edited_message", edited)
        await asyncio.sleep(0)
        return edited

    async def next_reply(self, timeout: float | None = None) -> BotMessage:
        """The next message the bot sent in this chat (waits for it)."""
        emulator = self.world.emulator
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            message = emulator.take_unread(self.id)
            if message is not None:
                found.append(message)
            return bool(found)

        await emulator.wait_for(ready, timeout or self.world.reply_timeout)
        if not found:
            elsewhere = [(cid, m.get("text") or m.get("caption")) for cid, m in emulator.unread()]
            raise AssertionError(
                f"the bot sent nothing in {self.label!r} within the timeout; "
                f"unread elsewhere: {elsewhere}"
            )
        return BotMessage(found[0])

    async def replies(self, count: int) -> list[BotMessage]:
        """The next ``count`` bot messages in this chat."""
        return [await self.next_reply() for _ in range(count)]

    async def expect_silence(self) -> None:
        """Wait until the bot has processed everything, then check it said nothing here."""
        await self.world.settle()
        emulator = self.world.emulator
        unread = [m for cid, m in emulator.unread() if cid == self.id]
        if unread:
            raise AssertionError(f"the bot said {unread[0].get('text')!r} in {self.label!r}")

    async def press(self, person: Person, message: BotMessage, label: str) -> dict[str, Any]:
        """``person`` presses the inline button ``label``; returns the bot's answer
        (``{"text": …, "show_alert": …}``) once it has answered the callback query."""
        button = message.button(label)
        if button.callback_data is None:
            raise AssertionError(f"button {label!r} is a link, not a callback button")
        self.world.transcript.append(f"[{self.label}] {person.name} presses [{button.text}]")
        return await self.press_data(person, message, button.callback_data)

    async def press_data(self, person: Person, message: BotMessage, data: str) -> dict[str, Any]:
        """``person`` presses a button carrying ``data`` under ``message``, whatever the
        message's real buttons say (a forged or stale press); returns the bot's answer."""
        emulator = self.world.emulator
        current = emulator.messages.get((self.id, message.message_id), message.raw)
        query_id, _ = emulator.callback_query(person.user, current, data)
        answered = await emulator.wait_for(
            lambda: query_id in emulator.callback_answers, self.world.reply_timeout
        )
        if not answered:
            raise AssertionError(f"the bot did not answer the press of {data!r}")
        return emulator.callback_answers[query_id]
