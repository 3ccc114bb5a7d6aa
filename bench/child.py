"""What the measuring children (:mod:`bench.export_child`, :mod:`bench.summary_child`)
share: their arguments, the bot started on a seeded database, the warm-up, errors the
bot logs, and the peak RSS."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bots import start_vanguard
from bench.processes import proc_status, tree_rss_kb
from bench.spec import Spec, build_emulator
from bench.tracking import Tracker
from bot.runner import Runner
from emulator.core import EChat, EUser, TelegramEmulator


class ErrorCatcher(logging.Handler):
    """Keeps the first ERROR the bot logs (an export that failed)."""

    def __init__(self) -> None:
        """No error yet."""
        super().__init__(logging.ERROR)
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the first error with its exception's last line."""
        if self.first is not None:
            return
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            cause = getattr(error, "orig", None) or error
            text += f": {type(cause).__name__}: {str(cause).strip().splitlines()[0][:300]}"
        self.first = text


class RssSampler(threading.Thread):
    """Samples the VmRSS of this process and its children (a worker process, if the
    export uses one) every 20 ms; ``peak`` is the largest sum (kB)."""

    def __init__(self) -> None:
        """A daemon thread, not started."""
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        """Sample until stopped."""
        while self.running:
            self.peak = max(self.peak, tree_rss_kb())
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self.running = False
        self.join()


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


@dataclass
class ChildBot:
    """Vanguard started in a measuring child, with what watches it and the person in
    the other group who asks ``/help``."""

    emulator: TelegramEmulator
    tracker: Tracker
    catcher: ErrorCatcher
    runner: Runner
    other_chat: EChat
    asker: EUser

    async def warm_up(self, timeout: float) -> dict[str, int]:
        """A ``/help`` in the other group, answered; then, the bot quiet, errors so far
        forgotten and the peak RSS reset: the process's status at that moment."""
        warm = self.tracker.say(self.other_chat, self.asker, "/help")
        if not await self.tracker.wait([warm], timeout):
            raise TimeoutError("no answer to the warm-up /help")
        await self.tracker.wait_quiet(None, 0.3)
        self.catcher.first = None
        reset_peak()
        return proc_status()


async def start_child_bot(db_url: str, spec: Spec, media: Path) -> ChildBot:
    """Vanguard on the in-process emulator built from ``spec``, its errors caught."""
    catcher = ErrorCatcher()
    logging.getLogger().addHandler(catcher)
    emulator = TelegramEmulator()
    # the database already holds updates of earlier bots (recorded as processed): this
    # Telegram numbers its updates past them, as the real one would
    emulator._update_ids = itertools.count(int(time.time() * 1000))
    build_emulator(emulator, spec)
    tracker = Tracker(emulator)
    other = spec.group("other")
    other_chat = emulator.chats[other.chat_id]
    asker = emulator.users[other.members[0]]
    _app, runner = await start_vanguard(emulator, db_url, media)
    return ChildBot(emulator, tracker, catcher, runner, other_chat, asker)


def texts(outputs: list[tuple[float, str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """The bot's messages as (method, the start of their text or caption)."""
    return [(o[1], str(o[2].get("text") or o[2].get("caption") or "")[:80]) for o in outputs]


def parse_args(description: str, *extra: str) -> argparse.Namespace:
    """A child's command line: ``--db-url --spec --media``, the ``extra`` (required)
    options, ``--out`` and ``--timeout``; only errors are logged (to the catcher)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--media", required=True)
    for option in extra:
        parser.add_argument(option, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # errors reach the catcher, nothing prints
    return args


def write_result(out: str, result: dict[str, Any]) -> None:
    """The result, as JSON, to ``out``."""
    Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
