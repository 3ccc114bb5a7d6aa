"""The world of a scenario: its people and groups on one emulator, and the transcript of
what they and the bot wrote."""

from __future__ import annotations

import io
import itertools
import os
from typing import TYPE_CHECKING, Any

from PIL import Image

from emulator.core import Call, TelegramEmulator
from emulator.scenario.group import GroupChat
from emulator.scenario.person import Person
from emulator.scenario.transcript import Transcript

if TYPE_CHECKING:
    from emulator.scenario.chat import Chat


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
