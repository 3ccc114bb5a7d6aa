"""The one source of "now", so tests can move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Real time, aware, in UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        """The frozen moment."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``."""
        self._now = moment


def as_seconds(value: float | timedelta) -> float:
    """A duration as Telegram's libraries give it (seconds, or a ``timedelta`` in newer
    python-telegram-bot) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
