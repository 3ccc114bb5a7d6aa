"""Both bots in process at Telegram's limits, for the cases that compare them there
(fairness, flood): a fresh emulator that enforces the limits (:mod:`emulator.limits`)
with a :class:`~bench.tracking.Tracker` on it, and either Vanguard with its production
rate limiter or the echo bot with python-telegram-bot's ``AIORateLimiter``. Both are
stopped without waiting for the replies the limits still hold back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.bots import OffsetClock, abandon, start_vanguard
from bench.echo import ECHO_TOKEN, start_echo, stop_echo
from bench.tracking import Tracker
from bench.world import Group, make_group, push_add_bot
from emulator.core import TelegramEmulator
from emulator.limits import FloodLimits


@dataclass
class Side:
    """One bot's world: who it is ("vanguard" or "echo"), its emulator, the limits that
    emulator enforces and the tracker timing the bot's replies."""

    who: str
    emulator: TelegramEmulator
    limits: FloodLimits
    tracker: Tracker

    def group(self, title: str, members: int, admins: int = 1) -> Group:
        """A new group (the echo bot is in it from the start; Vanguard is added later by
        :meth:`ready`)."""
        return make_group(self.emulator, title, members, admins, bot_in=self.who == "echo")

    async def ready(self, groups: list[Group], askers: list[Group], timeout: float) -> None:
        """Vanguard is added to ``groups`` and greets them; then the bot answers a first
        message of each of ``askers``' members. From then on a reply is told by what it
        quotes."""
        tracker = self.tracker
        tracker.unquoted = "oldest"
        if self.who == "vanguard":
            greet = [tracker.expect(push_add_bot(self.emulator, g)) for g in groups]
            if not await tracker.wait(greet, timeout):
                raise TimeoutError("the bot did not greet the groups")
        first = [tracker.say(g.chat, g.members[0], "/start") for g in askers]
        if not await tracker.wait(first, timeout):
            raise TimeoutError(f"the {self.who} bot did not answer a first message")
        await tracker.wait_quiet(None, 0.3)
        tracker.pending.clear()
        tracker.unquoted = "trailing"


def limited_emulator(echo: bool) -> tuple[TelegramEmulator, FloodLimits]:
    """A fresh emulator (for the echo bot or for Vanguard) that enforces Telegram's
    flood limits."""
    if echo:
        emulator = TelegramEmulator(token=ECHO_TOKEN, bot_username="echo_bot")
    else:
        emulator = TelegramEmulator()
    limits = FloodLimits()
    emulator.limits = limits
    return emulator, limits


@asynccontextmanager
async def vanguard_side(
    url: str, media: Path, *, clock: OffsetClock | None = None, timeout: float = 30.0
) -> AsyncIterator[Side]:
    """Vanguard with its production rate limiter on a fresh limited emulator; abandoned
    (its replies still held back cancelled) at the end."""
    emulator, limits = limited_emulator(echo=False)
    tracker = Tracker(emulator)
    _app, runner = await start_vanguard(emulator, url, media, production_limits=True, clock=clock)
    try:
        yield Side("vanguard", emulator, limits, tracker)
    finally:
        await abandon(runner, timeout=timeout)


@asynccontextmanager
async def echo_side() -> AsyncIterator[Side]:
    """The echo bot with ``AIORateLimiter()`` on a fresh limited emulator; abandoned at
    the end."""
    emulator, limits = limited_emulator(echo=True)
    tracker = Tracker(emulator)
    app = await start_echo(emulator, rate_limited=True)
    try:
        yield Side("echo", emulator, limits, tracker)
    finally:
        await stop_echo(app)
