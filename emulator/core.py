"""The emulator's state and its Bot API methods.

One :class:`TelegramEmulator` is one Telegram as a single bot sees it. Transports hand it
raw requests (``dispatch``); scenario code plays users (``send_text``, ``press`` …) and
reads what the bot sent. Every call is logged in ``calls`` for assertions and for the
api.json conformance test; every update emitted is kept in ``emitted_updates``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from emulator.markup import EntityError, detect_entities, parse_html, utf16_len

if TYPE_CHECKING:
    from emulator.limits import FloodLimits

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
DEFAULT_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "chat_join_request",
)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(description: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Fault:
    """A failure injected into the next matching call(s)."""

    method: str  # a method name, or "*" for any
    code: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    timeout: bool = False  # the call hangs past the client's read timeout instead
    delay: float = 0.0  # seconds the HTTP server waits before answering a timeout fault
    times: int = 1
    after: int = 0  # matching calls that succeed first (a failure in mid-broadcast)


@dataclass
class Call:
    """One Bot API call the bot made, with what it got back."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    result: Any = None
    error: ApiError | None = None
    finished: bool = False  # answered (False while a long poll is still waiting)
    cancelled: bool = False  # the client gave up waiting (e.g. a long poll at shutdown)
    at: float = field(default_factory=time.time)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass
class StoredFile:
    """A file the emulator can serve through getFile and the file endpoint."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    size: int


@dataclass
class EUser:
    """A Telegram user played by a test or the demo."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass
class EChat:
    """A chat: private (id = the user's id), group or supergroup."""

    id: int
    type: str
    title: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id → status
    migrated_to: int | None = None
    bot_blocked: bool = False  # private chats: the user blocked the bot
    bot_started: bool = False  # private chats: the user pressed Start

    def to_api(self, users: dict[int, EUser]) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            user = users[self.id]
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
        else:
            data["title"] = self.title or ""
        return data


class _Params:
    """Form parameters as PTB sends them: strings raw, everything else JSON text."""

    def __init__(self, method: str, raw: dict[str, str]) -> None:
        self.method = method
        self.raw = raw

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str, required: bool = False) -> str | None:
        if name not in self.raw:
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        return self.raw[name]

    def integer(self, name: str, required: bool = False) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(f'parameter "{name}" must be an integer') from None

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is not None and value.lower() in ("true", "1")

    def data(self, name: str, required: bool = False) -> Any:
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None


class TelegramEmulator:
    """Telegram, as one bot sees it: state, methods, updates, faults and a call log."""

    def __init__(
        self,
        token: str = "1000001:EMULATOR-TOKEN",
        bot_username: str = "vanguard_bot",
        bot_name: str = "先锋助手",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.clock = clock  # seconds since the epoch: the dates of the messages it makes
        bot_id = int(token.split(":", 1)[0])
        self.bot = EUser(bot_id, bot_name, username=bot_username, is_bot=True)
        self.users: dict[int, EUser] = {bot_id: self.bot}
        self.chats: dict[int, EChat] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.emitted_updates: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.allowed_updates: list[str] | None = None
        self.confirmed_offset = 0
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._group_ids = itertools.count(1)
        self._unique = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._bot_output: list[tuple[int, dict[str, Any]]] = []  # (chat id, message)
        self.read_marks: set[int] = set()  # indexes into _bot_output read by scenarios
        self.on_call: Callable[[Call], Awaitable[None] | None] | None = None
        self.limits: FloodLimits | None = None  # Telegram's flood limits; off unless set
        self._methods: dict[str, Callable[[_Params, dict[str, UploadedFile]], Any]] = {
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

    # ------------------------------------------------------------------ transports

    async def dispatch(
        self,
        http_method: str,
        path: str,
        params: dict[str, str],
        files: dict[str, UploadedFile],
    ) -> tuple[int, bytes, float]:
        """Answer one HTTP request: ``(status, body, delay)``; ``delay`` > 0 asks the
        transport to stall that long (a timeout fault)."""
        path = unquote(path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            if token != self.token:
                return 401, b"Unauthorized", 0.0
            for stored in self.files.values():
                if stored.file_path == file_path:
                    return 200, stored.content, 0.0
            return 404, b"Not Found", 0.0
        if not path.startswith("/bot"):
            return 404, b"Not Found", 0.0
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return 401, json.dumps(body).encode(), 0.0
        status, envelope, delay = await self.call(method, params, files)
        return status, json.dumps(envelope, ensure_ascii=False).encode(), delay

    async def call(
        self, method: str, raw: dict[str, str], files: dict[str, UploadedFile]
    ) -> tuple[int, dict[str, Any], float]:
        """Run one Bot API method; returns (HTTP status, envelope, stall seconds)."""
        call = Call(method, dict(raw), {k: v.content for k, v in files.items()})
        self.calls.append(call)
        fault = self._take_fault(method)
        try:
            if fault is not None:
                if fault.timeout:
                    call.error = ApiError(504, "emulated timeout")
                    return (
                        504,
                        {"ok": False, "error_code": 504, "description": "timeout"},
                        (fault.delay or 30.0),
                    )
                raise ApiError(fault.code, fault.description, retry_after=fault.retry_after)
            if self.limits is not None:
                wait = self.limits.check(method, raw.get("chat_id"))
                if wait is not None:
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            handler = self._methods.get(method)
            if handler is None:
                raise bad_request(f'method "{method}" is not implemented by the Vanguard emulator')
            params = _Params(method, raw)
            if method == "getUpdates":
                result = await self._get_updates_async(params)
            else:
                result = handler(params, files)
            call.result = result
            call.finished = True
            return 200, {"ok": True, "result": result}, 0.0
        except ApiError as error:
            call.error = error
            return error.code, error.envelope(), 0.0
        except asyncio.CancelledError:
            call.cancelled = True
            raise
        finally:
            if self.on_call is not None:
                maybe = self.on_call(call)
                if maybe is not None:
                    await maybe
            await self._notify()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*"):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def fail(self, method: str, code: int = 500, description: str | None = None, **kw: Any) -> None:
        """Make the next call of ``method`` ("*" = any) fail; see :class:`Fault`."""
        default = {
            400: "Bad Request: emulated failure",
            403: "Forbidden: bot was blocked by the user",
            429: "Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(code, "Emulated failure")
        text = description or default.format(retry_after=kw.get("retry_after", 1))
        self.faults.append(Fault(method, code, text, **kw))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (re-checked after every call/update)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                return predicate()
        return True

    # ------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.clock())

    def _new_unique(self, prefix: str) -> tuple[str, str]:
        n = next(self._unique)
        digest = hashlib.sha1(f"{prefix}{n}".encode()).hexdigest()
        return f"{prefix}{digest[:24]}{n}", f"U{digest[24:36]}{n}"

    def _chat(self, params: _Params) -> EChat:
        raw = params.text("chat_id", required=True)
        assert raw is not None
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None and chat_id in self.users:
            # a person the bot has seen who never opened a private chat with it: the
            # chat exists for Telegram, but the bot may not start it (403 on writing)
            chat = self.private_chat(self.users[chat_id])
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        return chat

    def _writable_chat(self, params: _Params) -> EChat:
        chat = self._chat(params)
        if chat.type == "private":
            if chat.bot_blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.bot_started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.members.get(self.bot.id) not in ("member", "administrator", "creator"):
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _base_message(self, chat: EChat, sender: EUser) -> dict[str, Any]:
        return {
            "message_id": self._next_message_id(chat.id),
            "date": self._now(),
            "chat": chat.to_api(self.users),
            "from": sender.to_api(),
        }

    def _text_and_entities(
        self, params: _Params, field_name: str, limit: int, required: bool
    ) -> tuple[str | None, list[dict[str, Any]]]:
        source = params.text(field_name, required=required)
        if source is None:
            return None, []
        entities_name = "entities" if field_name == "text" else "caption_entities"
        entities: list[dict[str, Any]] = params.data(entities_name) or []
        text = source
        mode = (params.text("parse_mode") or "").upper()
        if mode == "HTML":
            try:
                text, entities = parse_html(source)
            except EntityError as exc:
                raise bad_request(str(exc)) from None
        elif mode and mode not in ("MARKDOWN", "MARKDOWNV2"):
            raise bad_request(f"unsupported parse_mode {mode}")
        if field_name == "text" and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            what = "message" if field_name == "text" else "message caption"
            raise bad_request(f"{what} is too long")
        return text, entities

    def _reply_markup(self, params: _Params) -> dict[str, Any] | None:
        markup = params.data("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise bad_request("text buttons are unallowed in the inline keyboard")
                    data = button.get("callback_data")
                    if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
                        raise bad_request("BUTTON_DATA_INVALID")
                    if not any(
                        k in button for k in ("callback_data", "url", "switch_inline_query")
                    ):
                        raise bad_request("inline keyboard button must have an action")
            return markup
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    if (
                        isinstance(button, dict)
                        and button.get("request_location")
                        and (self._chat(params).type != "private")
                    ):
                        raise bad_request(
                            "keyboard buttons with request_location are "
                            "allowed in private chats only"
                        )
        return markup

    def _finish_bot_message(
        self, chat: EChat, message: dict[str, Any], params: _Params
    ) -> dict[str, Any]:
        reply = params.data("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            original = self.messages.get((chat.id, int(reply["message_id"])))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat.id, message["message_id"])] = message
        self._bot_output.append((chat.id, message))
        return message

    def _store_file(self, content: bytes, folder: str, suffix: str) -> StoredFile:
        file_id, unique = self._new_unique("F")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            content=content,
            file_path=f"{folder}/emu_{unique}{suffix}",
            size=len(content),
        )
        self.files[file_id] = stored
        return stored

    def _photo_sizes(self, content: bytes) -> list[dict[str, Any]]:
        sizes = []
        for width, height, share in ((90, 67, 0.05), (320, 240, 0.3), (1280, 960, 1.0)):
            part = content if share == 1.0 else content[: max(1, int(len(content) * share))]
            stored = self._store_file(part, "photos", ".jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            )
        return sizes

    def _input_photo(
        self, value: str | None, files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        if value is None:
            raise bad_request("there is no photo in the request")
        if value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return self._photo_sizes(upload.content)
        stored = self.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._photo_sizes(stored.content)

    # ------------------------------------------------------------------ methods

    def _get_me(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        data = self.bot.to_api()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def _delete_webhook(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        self.webhook_url = ""
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        return True

    def _set_webhook(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        url = params.text("url", required=True) or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        return True

    def _get_webhook_info(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    def _get_updates(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        raise AssertionError("getUpdates is answered asynchronously")

    async def _get_updates_async(self, params: _Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.integer("timeout") or 0, 0)
        if params.has("allowed_updates"):
            allowed = params.data("allowed_updates")
            self.allowed_updates = list(allowed) if allowed else None
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if offset > self.confirmed_offset:
                self.confirmed_offset = offset
                await self._notify()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            self._pending = [u for u in self._pending if self._is_allowed(u)]
            if self._pending:
                return self._pending[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    return []

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        allowed = self.allowed_updates or DEFAULT_UPDATES
        return kind in allowed

    def _send_message(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        text, entities = self._text_and_entities(params, "text", MAX_TEXT, required=True)
        message = self._base_message(chat, self.bot)
        message["text"] = text
        if entities:
            message["entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _message_to_edit(self, params: _Params) -> tuple[EChat, dict[str, Any]]:
        chat = self._chat(params)
        message_id = params.integer("message_id", required=True)
        message = self.messages.get((chat.id, message_id or 0))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit_message_text(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text_and_entities(params, "text", MAX_TEXT, required=True)
        markup = self._reply_markup(params)
        if (
            text == message["text"]
            and markup == message.get("reply_markup")
            and entities == (message.get("entities") or [])
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _edit_message_caption(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        markup = self._reply_markup(params)
        if caption == message.get("caption") and markup == message.get("reply_markup"):
            raise bad_request("message is not modified")
        message.pop("caption", None)
        message.pop("caption_entities", None)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _edit_message_reply_markup(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        _chat, message = self._message_to_edit(params)
        markup = self._reply_markup(params)
        if markup == message.get("reply_markup"):
            raise bad_request("message is not modified")
        self._set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _answer_callback_query(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        query_id = params.text("callback_query_id", required=True) or ""
        if query_id not in self._callback_queries or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
        }
        return True

    def _send_photo(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        value = params.text("photo")
        if value is None and "photo" in files:
            value = "attach://photo"
        message = self._base_message(chat, self.bot)
        message["photo"] = self._input_photo(value, files)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _send_media_group(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._writable_chat(params)
        media = params.data("media", required=True)
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must include 2-10 items")
        group_id = str(10**12 + next(self._group_ids))
        sent = []
        for item in media:
            if item.get("type") not in ("photo", "document"):
                raise bad_request(f"unsupported media type {item.get('type')!r}")
            caption = item.get("caption")
            entities: list[dict[str, Any]] = item.get("caption_entities") or []
            if caption and (item.get("parse_mode") or "").upper() == "HTML":
                try:
                    caption, entities = parse_html(caption)
                except EntityError as exc:
                    raise bad_request(str(exc)) from None
            if caption and utf16_len(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            message = self._base_message(chat, self.bot)
            message["media_group_id"] = group_id
            if item["type"] == "photo":
                message["photo"] = self._input_photo(item.get("media"), files)
            else:
                message["document"] = self._input_document(item.get("media"), files, None)
            if caption:
                message["caption"] = caption
                if entities:
                    message["caption_entities"] = entities
            sent.append(self._finish_bot_message(chat, message, params))
        return sent

    def _input_document(
        self, value: str | None, files: dict[str, UploadedFile], filename: str | None
    ) -> dict[str, Any]:
        if value is not None and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        elif value is not None and value in self.files:
            stored = self.files[value]
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "file_name": filename or stored.file_path,
            }
        else:
            upload = files.get("document")
        if upload is None:
            raise bad_request("there is no document in the request")
        name = filename or upload.filename or "file"
        stored = self._store_file(upload.content, "documents", "_" + name)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": upload.mimetype,
            "file_size": stored.size,
        }

    def _send_document(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        message = self._base_message(chat, self.bot)
        message["document"] = self._input_document(params.text("document"), files, None)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _get_file(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        file_id = params.text("file_id", required=True) or ""
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _get_chat(self, params: _Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
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

    def _get_chat_member(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        return self._member_object(chat, params.integer("user_id", required=True) or 0)

    def _get_chat_administrators(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member_object(chat, uid)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    def _get_chat_member_count(self, params: _Params, files: dict[str, UploadedFile]) -> int:
        chat = self._chat(params)
        return sum(1 for s in chat.members.values() if s in ("creator", "administrator", "member"))

    def _scope_key(self, params: _Params) -> tuple[str, str]:
        scope = params.data("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def _set_my_commands(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        commands = params.data("commands", required=True)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            name = command.get("command", "")
            if not ((1 <= len(name) <= 32 and name.islower()) or name.isdigit()):
                raise bad_request("command must be 1-32 lowercase characters")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be 1-256 characters")
        self.commands[self._scope_key(params)] = commands
        return True

    def _get_my_commands(self, params: _Params, files: dict[str, UploadedFile]) -> Any:
        return self.commands.get(self._scope_key(params), [])

    def _delete_my_commands(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _delete_message(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params)
        message_id = params.integer("message_id", required=True) or 0
        if self.messages.pop((chat.id, message_id), None) is None:
            raise bad_request("message to delete not found")
        return True

    def _leave_chat(self, params: _Params, files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params)
        chat.members[self.bot.id] = "left"
        return True

    # ------------------------------------------------------------------ the world

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

    def private_chat(self, user: EUser) -> EChat:
        """The private chat between ``user`` and the bot."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = EChat(user.id, "private")
            self.chats[user.id] = chat
        return chat

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update of ``kind`` for the bot; returns the update."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self._pending.append(update)
        self.emitted_updates.append(update)
        self._kick()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an already confirmed update again, as Telegram does when a bot crashed
        before confirming it."""
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self.confirmed_offset = min(self.confirmed_offset, update["update_id"])
        self._kick()

    def _kick(self) -> None:
        async def notify() -> None:
            await self._notify()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

    def photo_payload(self, content: bytes) -> list[dict[str, Any]]:
        """PhotoSize objects (three sizes, smallest first) for an uploaded picture."""
        return self._photo_sizes(content)

    def document_payload(self, content: bytes, name: str, mimetype: str) -> dict[str, Any]:
        """A Document object for an uploaded file."""
        return self._input_document(None, {"document": UploadedFile(name, content, mimetype)}, name)

    def callback_query(
        self, user: EUser, message: dict[str, Any], data: str
    ) -> tuple[str, dict[str, Any]]:
        """Press an inline button: pushes a callback_query update; returns its id."""
        query_id = str(10**15 + next(self._unique))
        query = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(message["chat"]["id"])),
            "message": message,
            "data": data,
        }
        self._callback_queries[query_id] = query
        return query_id, self.push("callback_query", query)

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

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        return len(self._pending)

    def last_update_id(self) -> int:
        """The id of the newest update emitted (0 if none)."""
        return self.emitted_updates[-1]["update_id"] if self.emitted_updates else 0
