"""The emulator's state and its Bot API methods.

One :class:`TelegramEmulator` is one Telegram as a single bot sees it. Transports hand it
raw requests (``dispatch``); scenario code plays users (``send_text``, ``press`` …) and
reads what the bot sent. Every call is logged in ``calls`` for assertions and for the
api.json conformance test; every update emitted is kept in ``emitted_updates``.

The class is composed of one mixin per Bot API area, each in its own module:

- :mod:`~emulator.core.state` — the state and the helpers every area uses;
- :mod:`~emulator.core.calls` — the HTTP wiring: paths, the file endpoint, faults, flood
  limits, the call log;
- :mod:`~emulator.core.updates` — getUpdates (a long poll), the webhook methods, getMe;
- :mod:`~emulator.core.messages` — send, edit and delete text messages;
- :mod:`~emulator.core.media` — photos, albums, documents, getFile;
- :mod:`~emulator.core.chats` — chats and their members;
- :mod:`~emulator.core.commands` — the command menus;
- :mod:`~emulator.core.callbacks` — inline buttons pressed and answered;
- :mod:`~emulator.core.world` — people, groups, what they write, the bot's output;
- :mod:`~emulator.core.errors`, :mod:`~emulator.core.objects`,
  :mod:`~emulator.core.params` — error answers and faults, records, a call's parameters.
"""

from emulator.core.emulator import TelegramEmulator
from emulator.core.errors import ApiError, Fault, bad_request
from emulator.core.objects import Call, EChat, EUser, StoredFile, UploadedFile

__all__ = [
    "ApiError",
    "Call",
    "EChat",
    "EUser",
    "Fault",
    "StoredFile",
    "TelegramEmulator",
    "UploadedFile",
    "bad_request",
]
