"""Case 5 in a process of its own: ``/export issues`` in the big group of a seeded
database, so that the process's peak RSS is this export's.

    python -m bench.export_child --db-url URL --spec spec.json --media DIR --out result.json

It starts Vanguard on the in-process emulator, warms up with a ``/help`` in the other
group, resets the peak RSS, asks for the export as the big group's creator, sends
``/help`` in the other group a second later, and waits for the document (or an error
logged by the bot, or the timeout). The result is written as JSON to ``--out``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.bots import stop_quietly
from bench.child import RssSampler, parse_args, start_child_bot, texts, write_result
from bench.processes import proc_status
from bench.spec import Spec

HELP_AFTER = 1.0  # seconds after the export command that the other group asks /help


async def measure(db_url: str, spec: Spec, media: Path, timeout: float) -> dict[str, Any]:
    """The export, timed, with its peak RSS and another group's /help meanwhile."""
    bot = await start_child_bot(db_url, spec, media)
    emulator, tracker, catcher = bot.emulator, bot.tracker, bot.catcher
    big = spec.group("big")
    big_chat = emulator.chats[big.chat_id]
    result: dict[str, Any] = {"status": "ok"}
    try:
        before = await bot.warm_up(timeout)
        sampler = RssSampler()
        sampler.start()
        began = time.perf_counter()
        tracker.say(big_chat, emulator.users[big.creator], "/export issues")
        await asyncio.sleep(HELP_AFTER)
        help_key = tracker.say(bot.other_chat, bot.asker, "/help")

        def finished() -> bool:
            """Whether the document arrived or the bot logged an error."""
            documents = [
                o for o in tracker.outputs_in(big.chat_id, began) if o[1] == "sendDocument"
            ]
            return bool(documents) or catcher.first is not None

        await emulator.wait_for(finished, timeout)
        ended = time.perf_counter()
        await tracker.wait([help_key], max(1.0, timeout - (ended - began)))
        sampler.stop()
        after = proc_status()
        outputs = tracker.outputs_in(big.chat_id, began)
        documents = [o for o in outputs if o[1] == "sendDocument"]
        result.update(
            rss_before_kb=before.get("VmRSS", 0),
            peak_rss_kb=max(sampler.peak, after.get("VmHWM", 0)),
            help_latency=tracker.latency(help_key),
            messages=texts(outputs),
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
        await stop_quietly(bot.runner, timeout=30)
    return result


def main() -> None:
    """Parse the arguments, measure, write the JSON result."""
    args = parse_args("one /export issues, measured")
    spec = Spec.load(Path(args.spec))
    result = asyncio.run(measure(args.db_url, spec, Path(args.media), args.timeout))
    write_result(args.out, result)


if __name__ == "__main__":
    main()
