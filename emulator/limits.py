"""Telegram's flood limits, for an emulator that should enforce them (off by default).

Telegram documents (and enforces, more or less strictly) three limits on the messages a
bot sends: about 30 messages per second overall, 20 messages per minute in one group,
and about one message per second in one private chat. Past them it answers
``429 Too Many Requests: retry after N`` with ``parameters.retry_after = N``.

:class:`FloodLimits` keeps rolling windows of accepted sends and says, for each new
send, whether it is admitted or how many whole seconds the bot must wait. Enable it with
``emulator.limits = FloodLimits()``; only message-sending methods count (``send*``
except ``sendChatAction``, ``copyMessage(s)``, ``forwardMessage(s)``, ``editMessage*``).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

LIMITED_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage")
UNLIMITED = frozenset({"sendChatAction"})


def is_limited(method: str) -> bool:
    """Whether ``method`` sends (or edits) a message and so counts against the limits."""
    return method not in UNLIMITED and method.startswith(LIMITED_PREFIXES)


@dataclass(frozen=True)
class Window:
    """At most ``count`` sends in any rolling ``seconds``."""

    count: int
    seconds: float


@dataclass
class FloodLimits:
    """Rolling-window flood control: overall, per group and per private chat.

    A refused send is not counted as sent (Telegram does not deliver it); ``refused``
    counts the 429 answers, ``admitted`` the sends let through.
    """

    overall: Window = Window(30, 1.0)
    group: Window = Window(20, 60.0)
    private: Window = Window(1, 1.0)
    clock: Callable[[], float] = time.monotonic
    admitted: int = 0
    refused: int = 0
    refused_by_method: dict[str, int] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)
    _chats: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, method: str, chat_id: str | None) -> int | None:
        """Admit one call of ``method`` to ``chat_id`` (the raw parameter, as sent):
        None if it may go (and it is counted), else the whole seconds to wait (≥ 1)."""
        if not is_limited(method):
            return None
        now = self.clock()
        waits = [self._wait(self._all, self.overall, now)]
        chat_window, chat_log = self._chat(chat_id)
        if chat_log is not None and chat_window is not None:
            waits.append(self._wait(chat_log, chat_window, now))
        wait = max(waits)
        if wait > 0:
            self.refused += 1
            self.refused_by_method[method] = self.refused_by_method.get(method, 0) + 1
            return max(1, math.ceil(wait))
        self._all.append(now)
        if chat_log is not None:
            chat_log.append(now)
        self.admitted += 1
        return None

    def _chat(self, chat_id: str | None) -> tuple[Window | None, deque[float] | None]:
        """The window and the send log that apply to one chat (None for an inline
        message, which has no chat)."""
        if chat_id is None or chat_id == "":
            return None, None
        try:
            numeric = int(chat_id)
        except ValueError:  # @channelusername: a public chat, limited like a group
            numeric = -1
        window = self.private if numeric > 0 else self.group
        return window, self._chats.setdefault(chat_id, deque())

    @staticmethod
    def _wait(log: deque[float], window: Window, now: float) -> float:
        """Seconds until one more send fits in ``window`` (0 if it fits now)."""
        while log and log[0] <= now - window.seconds:
            log.popleft()
        if len(log) < window.count:
            return 0.0
        # the oldest send that must leave the window before one more fits
        return log[len(log) - window.count] + window.seconds - now
