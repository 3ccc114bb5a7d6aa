"""Case 5 in a process of its own: ``/export issues`` in the big group of a seeded
database, so that the process's peak RSS is this export's.

    python -m bench.export_child --db-url URL --spec spec.json --media DIR --out result.json

It starts Vanguard on the in-process emulator, warms up with a ``/help`` in the other
group, resets the peak RSS, asks for the export as the big group's creator, sends
``/help`` in the other group a second later, and waits for the document (or an error
logged by the bot, or the timeout). The result is written as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Tracker, proc_status, start_vanguard, stop_quietly, tree_rss_kb
from bench.spec import Spec, build_emulator
from emulator.core import TelegramEmulator

HELP_AFTER = 1.0  # seconds after the export command that the other group asks /help


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


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


async def measure(db_url: str, spec: Spec, media: Path, timeout: float) -> dict[str, Any]:
    """The export, timed, with its peak RSS and another group's /help meanwhile."""
    catcher = ErrorCatcher()
    logging.getLogger().addHandler(catcher)
    emulator = TelegramEmulator()
    # the database already holds updates of earlier bots (recorded as processed): this
    # Telegram numbers its updates past them, as the real one would
    emulator._update_ids = itertools.count(int(time.time() * 1000))
    build_emulator(emulator, spec)
    tracker = Tracker(emulator)
    big, other = spec.group("big"), spec.group("other")
    big_chat, other_chat = emulator.chats[big.chat_id], emulator.chats[other.chat_id]
    asker = emulator.users[other.members[0]]
    _app, runner = await start_vanguard(emulator, db_url, media)
    result: dict[str, Any] = {"status": "ok"}
    try:
        warm = tracker.say(other_chat, asker, "/help")
        if not await tracker.wait([warm], timeout):
            raise TimeoutError("no answer to the warm-up /help")
        await tracker.wait_quiet(None, 0.3)
        catcher.first = None
        reset_peak()
        before = proc_status()
        sampler = RssSampler()
        sampler.start()
        began = time.perf_counter()
        tracker.say(big_chat, emulator.users[big.creator], "/export issues")
        await asyncio.sleep(HELP_AFTER)
        help_key = tracker.say(other_chat, asker, "/help")

        def finished() -> bool:
            """Whether the document arrived or the bot logged an error."""
            documents = [
                o for o in tracker.outputs_in(big.chat_id, began) if o[1] == "sendDocument"
            ]
            return bool(documents) or catcher.first is not None

        await emulator.wait_for(finished, timeout)
        ended = time.perf_counter()
        await tracker.wait([help_key], max(1.0, timeout - (ended - began)))
        sampler.running = False
        sampler.join()
        after = proc_status()
        outputs = tracker.outputs_in(big.chat_id, began)
        documents = [o for o in outputs if o[1] == "sendDocument"]
        result.update(
            rss_before_kb=before.get("VmRSS", 0),
            peak_rss_kb=max(sampler.peak, after.get("VmHWM", 0)),
            help_latency=tracker.latency(help_key),
            messages=[
                (o[1], str(o[2].get("text") or o[2].get("caption") or "")[:80]) for o in outputs
            ],
        )
        if documents:
            result.update(
                seconds=documents[0][0] - began,
                document_bytes=int(documents[0][2]["document"].get("file_size") or 0),
            )
        elif catcher.first is not None:
            result.update(status="failed", error=catcher.first, seconds=ended - began)
        else:
            result.update(status="timeout", seconds=ended - began)
    finally:
        await stop_quietly(runner, timeout=30)
    return result


def main() -> None:
    """Parse the arguments, measure, write the JSON result."""
    parser = argparse.ArgumentParser(description="one /export issues, measured")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--media", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # errors reach the catcher, nothing prints
    spec = Spec.load(Path(args.spec))
    result = asyncio.run(measure(args.db_url, spec, Path(args.media), args.timeout))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
