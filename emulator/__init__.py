"""An emulator of the Telegram Bot API subset Vanguard uses, for tests and the demo.

:class:`~emulator.core.TelegramEmulator` holds the state (chats, users, admins,
messages, files, updates, a log of every call). The bot reaches it through python-telegram-
bot's own request path, either in-process (:class:`~emulator.transport.EmulatorRequest`)
or over real HTTP on 127.0.0.1 (:class:`~emulator.server.EmulatorServer`).
:mod:`emulator.scenario` has helpers that read like a chat.
"""

from emulator.core import ApiError, Call, Fault, TelegramEmulator

__all__ = ["ApiError", "Call", "Fault", "TelegramEmulator"]
