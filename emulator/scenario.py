"""Scenario helpers that read like a chat, for tests and the demo.

    group = await world.group("养护一班", creator=secretary, members=[alice])
    await group.add_bot(by=secretary)
    await group.say(alice, "/help")
    reply = await group.next_reply()
    assert "/members" in reply.text

Every bot message must be read with ``next_reply`` (or ``drain``); :meth:`World.assert_all_read`
fails a test that leaves one unread.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from emulator.core import Call, EChat, EUser, TelegramEmulator


@dataclass
class Button:
    """An inline button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


class BotMessage:
    """A message the bot sent, as the person sees it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def text(self) -> str:
        """The text, or the caption of a photo/document."""
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def message_id(self) -> int:
        """Its id in the chat."""
        return int(self.raw["message_id"])

    @property
    def buttons(self) -> list[Button]:
        """The inline buttons, row by row, flattened."""
        markup = self.raw.get("reply_markup") or {}
        return [
            Button(b["text"], b.get("callback_data"), b.get("url"))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, text: str) -> Button:
        """The button whose label contains ``text``."""
        for button in self.buttons:
            if text in button.text:
                return button
        labels = [b.text for b in self.buttons]
        raise AssertionError(f"no button {text!r} under the message; buttons: {labels}")

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text

    def __repr__(self) -> str:
        return f"BotMessage({self.text[:80]!r})"


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


class GroupChat(Chat):
    """A Telegram group."""

    async def add_bot(self, by: Person, *, as_admin: bool = False) -> None:
        """``by`` adds the bot to the group (``my_chat_member`` + a service message)."""
        emulator = self.world.emulator
        status = "administrator" if as_admin else "member"
        old = emulator.member_dict(emulator.bot, self.chat.members.get(emulator.bot.id, "left"))
        self.chat.members[emulator.bot.id] = status
        self.world.transcript.append(f"[{self.label}] {by.name} adds the bot")
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
        message = emulator.user_message(
            self.chat, by.user, new_chat_members=[emulator.bot.to_api()]
        )
        emulator.push("message", message)
        await asyncio.sleep(0)

    async def remove_bot(self, by: Person) -> None:
        """``by`` removes the bot from the group."""
        emulator = self.world.emulator
        old = emulator.member_dict(emulator.bot, self.chat.members.get(emulator.bot.id, "member"))
        self.chat.members[emulator.bot.id] = "left"
        self.world.transcript.append(f"[{self.label}] {by.name} removes the bot")
        emulator.push(
            "my_chat_member",
            {
                "chat": self.chat.to_api(emulator.users),
                "from": by.user.to_api(),
                "date": emulator._now(),
                "old_chat_member": old,
                "new_chat_member": emulator.member_dict(emulator.bot, "left"),
            },
        )
        await asyncio.sleep(0)

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


class Transcript(list[str]):
    """The lines of a scenario; with ``echo``, each line is also printed as it comes."""

    def __init__(self, echo: bool = False) -> None:
        super().__init__()
        self.echo = echo

    def append(self, line: str) -> None:
        """Add a line (and print it at once when echoing)."""
        super().append(line)
        if self.echo:
            try:
                print(line, flush=True)
            except BrokenPipeError:  # `vanguard demo | head`: stop printing, quietly
                self.echo = False
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())

    def extend(self, lines: Iterable[str]) -> None:
        """Add several lines, each as :meth:`append` does."""
        for line in lines:
            self.append(line)


class World:
    """The people and chats of one scenario, on one emulator, with a transcript."""

    def __init__(
        self, emulator: TelegramEmulator, *, reply_timeout: float = 10.0, echo: bool = False
    ) -> None:
        self.emulator = emulator
        self.reply_timeout = reply_timeout
        self.transcript = Transcript(echo)
        self.album_ids = itertools.count(13_000_000_000_000_000)
        self._labels: dict[int, str] = {}
        emulator.on_call = self._log_call

    def person(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> Person:
        """A new person on Telegram."""
        user = self.emulator.add_user(
            first_name, last_name=last_name, username=username, language_code=language_code
        )
        return Person(self, user)

    def group(
        self,
        title: str,
        *,
        creator: Person,
        admins: tuple[Person, ...] = (),
        members: tuple[Person, ...] = (),
        supergroup: bool = False,
    ) -> GroupChat:
        """A group with a creator, admins and members (the bot is not in it yet)."""
        chat = self.emulator.add_group(title, supergroup=supergroup, creator=creator.user)
        for admin in admins:
            chat.members[admin.id] = "administrator"
        for member in members:
            chat.members[member.id] = "member"
        self._labels[chat.id] = title
        return GroupChat(self, chat)

    def fake_jpeg(self, size: int = 2048) -> bytes:
        """A real JPEG picture (a colour band of its own, so reports can show it),
        padded with random bytes after its end to about ``size`` bytes (so every photo is
        a different file)."""
        shade = os.urandom(3)
        image = Image.new("RGB", (320, 240), (shade[0], shade[1], shade[2]))
        image.paste((255 - shade[0], 255 - shade[1], 255 - shade[2]), (0, 160, 320, 240))
        data = io.BytesIO()
        image.save(data, "JPEG", quality=60)
        picture = data.getvalue()
        return picture + os.urandom(max(size - len(picture), 16))

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until the bot has confirmed (so: processed) every update sent so far."""
        emulator = self.emulator
        last = emulator.last_update_id()
        done = await emulator.wait_for(
            lambda: emulator.confirmed_offset > last, timeout or self.reply_timeout
        )
        if not done:
            raise AssertionError(
                f"the bot did not confirm update {last} (confirmed up to "
                f"{emulator.confirmed_offset - 1})"
            )

    def assert_all_read(self) -> None:
        """Fail if the bot sent a message that the scenario never read."""
        unread = self.emulator.unread()
        if unread:
            shown = [
                (self._chat_label(cid), m.get("text") or m.get("caption")) for cid, m in unread
            ]
            raise AssertionError(f"{len(unread)} bot message(s) left unread: {shown}")

    def _chat_label(self, chat_id: int) -> str:
        if chat_id in self._labels:
            return self._labels[chat_id]
        user = self.emulator.users.get(chat_id)
        return f"private: {user.full_name}" if user else str(chat_id)

    def log_user(self, chat: Chat, person: Person, message: dict[str, Any]) -> None:
        """Add what a person sent to the transcript."""
        if "text" in message:
            what = message["text"]
        elif "photo" in message:
            what = "[photo]" + (f" {message['caption']}" if message.get("caption") else "")
        elif "location" in message:
            loc = message["location"]
            kind = "live location" if "live_period" in loc else "location"
            what = f"[{kind} {loc['latitude']:.5f}, {loc['longitude']:.5f}]"
        elif "document" in message:
            what = f"[file {message['document'].get('file_name')}]"
        elif "new_chat_members" in message:
            what = "[joins the group]"
        elif "left_chat_member" in message:
            what = "[leaves the group]"
        else:
            what = "[message]"
        self.transcript.append(f"[{chat.label}] {person.name}: {what}")

    def _log_call(self, call: Call) -> None:
        if call.error is not None or call.result is None:
            return
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            self._log_bot_message(call.result)
        elif call.method == "sendMediaGroup":
            for message in call.result:
                self._log_bot_message(message)
        elif call.method in ("editMessageText", "editMessageCaption"):
            self._log_bot_message(call.result, edited=True)
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.transcript.append(f"    ↳ bot answers the button: {call.params['text']}")

    def _log_bot_message(self, message: dict[str, Any], edited: bool = False) -> None:
        label = self._chat_label(int(message["chat"]["id"]))
        body = message.get("text") or message.get("caption") or ""
        if "photo" in message:
            body = "[photo] " + body
        if "document" in message:
            body = f"[file {message['document'].get('file_name')}] " + body
        head = f"[{label}] 🤖 Vanguard{' (edited)' if edited else ''}: "
        lines = body.splitlines() or [""]
        self.transcript.append(head + lines[0])
        self.transcript.extend("    " + line for line in lines[1:])
        buttons = [
            b["text"]
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]
        if buttons:
            self.transcript.append("    buttons: " + "  ".join(f"[{b}]" for b in buttons))
