"""The ``/summary`` case in a process of its own: one monthly report of the seeded
group, so that the process's peak RSS is this report's.

    python -m bench.summary_child --db-url URL --spec spec.json --media DIR \\
        --command "/summary 2026-10" --out result.json

It starts Vanguard on the in-process emulator, warms up with a ``/help`` in the other
group, resets the peak RSS, asks for the report as the group's creator and, while it is
being made, asks ``/help`` in the other group every second (one at a time), until the
document arrives (or the bot logs an error, or says the file is too big, or the
timeout). The RSS of the process tree is sampled every 20 ms. The document is opened
to count the pictures it holds. The result is written as JSON to ``--out``.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.bots import stop_quietly
from bench.child import ChildBot, RssSampler, parse_args, start_child_bot, texts, write_result
from bench.processes import proc_status, tree_rss_kb
from bench.spec import Spec
from bench.tracking import Key

HELP_EVERY = 1.0  # seconds between the other group's /help while the report is made
WORKING = "⏳"  # the "on its way" notice begins so; any other text ends the wait


class PeakSampler(RssSampler):
    """:class:`RssSampler` that also keeps when the peak was reached."""

    def __init__(self, began: float) -> None:
        """Not started; times are seconds after ``began`` (perf_counter)."""
        super().__init__()
        self.began = began
        self.peak_at = 0.0

    def run(self) -> None:
        """Sample until stopped."""
        while self.running:
            rss = tree_rss_kb()
            if rss > self.peak:
                self.peak, self.peak_at = rss, time.perf_counter() - self.began
            time.sleep(0.02)


def inspect(content: bytes) -> dict[str, Any]:
    """What a .docx or .xlsx holds: pictures placed (drawings in the body), image parts,
    charts, and the size of the biggest XML part."""
    found: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        if "word/document.xml" in names:
            body = archive.read("word/document.xml")
            found["pictures"] = body.count(b"<pic:pic ") or body.count(b"<pic:pic>")
            found["tables"] = body.count(b"<w:tbl>")
            found["body_xml_bytes"] = len(body)
        found["image_parts"] = sum(1 for n in names if "/media/" in n)
        found["charts"] = sum(1 for n in names if "/charts/chart" in n)
        found["image_bytes"] = sum(
            archive.getinfo(n).compress_size for n in names if "/media/" in n
        )
    return found


def on_disk(media: Path) -> dict[str, Any]:
    """What the report file left in the media directory holds (none: nothing)."""
    made = sorted(media.glob("*/reports/*.*"))
    if not made:
        return {}
    content = made[0].read_bytes()
    return {"document_bytes": len(content), **inspect(content)}


async def measure(
    db_url: str, spec: Spec, media: Path, command: str, timeout: float
) -> dict[str, Any]:
    """The report, timed, with its peak RSS and the other group's /help meanwhile."""
    bot = await start_child_bot(db_url, spec, media)
    emulator, tracker, catcher = bot.emulator, bot.tracker, bot.catcher
    group = spec.group("summary")
    chat = emulator.chats[group.chat_id]
    result: dict[str, Any] = {"status": "ok", "command": command}
    try:
        before = await bot.warm_up(timeout)
        began = time.perf_counter()
        sampler = PeakSampler(began)
        sampler.start()
        asked = tracker.say(chat, emulator.users[group.creator], command)

        def answers() -> list[tuple[float, str, dict[str, Any]]]:
            """What answers the command: the document, or a reply to it (not what the
            bot says on its own meanwhile: the morning's briefing, when the bench runs
            in the morning's catch-up window, is not the report's answer)."""
            return [
                (t, method, message)
                for t, method, message in tracker.outputs_in(group.chat_id, began)
                if method == "sendDocument"
                or (message.get("reply_to_message") or {}).get("message_id") == asked[1]
            ]

        def finished() -> bool:
            """The document came, the bot logged an error or said something else."""
            for _t, method, message in answers():
                if method == "sendDocument":
                    return True
                if not str(message.get("text", "")).startswith(WORKING):
                    return True
            return catcher.first is not None

        probes: list[Key] = []

        async def probe() -> None:
            """/help in the other group every second, one at a time, until done."""
            while not finished():
                key = tracker.say(bot.other_chat, bot.asker, "/help")
                probes.append(key)
                await tracker.wait([key], timeout)
                await asyncio.sleep(max(0.0, HELP_EVERY - (tracker.latency(key) or 0.0)))

        prober = asyncio.create_task(probe())
        await emulator.wait_for(finished, timeout)
        ended = time.perf_counter()
        await asyncio.wait_for(prober, max(1.0, timeout - (ended - began)))
        sampler.stop()
        after = proc_status()
        outputs = answers()
        latencies = [x for x in (tracker.latency(k) for k in probes) if x is not None]
        result.update(
            rss_before_kb=before.get("VmRSS", 0),
            peak_rss_kb=max(sampler.peak, after.get("VmHWM", 0)),
            peak_at_s=round(sampler.peak_at, 2),
            help_latencies=[round(x, 4) for x in latencies],
            help_unanswered=len(probes) - len(latencies),
            messages=texts(outputs),
        )
        result.update(_ending(bot, outputs, media, began, ended))
    finally:
        await stop_quietly(bot.runner, timeout=30)
    return result


def _ending(
    bot: ChildBot,
    outputs: list[tuple[float, str, dict[str, Any]]],
    media: Path,
    began: float,
    ended: float,
) -> dict[str, Any]:
    """How the report ended: the document (what it holds), an error the bot logged or
    said (and the file it made, if any), or the timeout."""
    documents = [o for o in outputs if o[1] == "sendDocument"]
    if documents:
        document = documents[0][2]["document"]
        stored = bot.emulator.files[document["file_id"]]
        return {
            "seconds": documents[0][0] - began,
            "document_bytes": int(document.get("file_size") or 0),
            "document_name": document.get("file_name", ""),
            **inspect(stored.content),
        }
    if bot.catcher.first is not None:
        return {"status": "failed", "error": bot.catcher.first, "seconds": ended - began}
    if outputs and not str(outputs[-1][2].get("text", "")).startswith(WORKING):
        error = str(outputs[-1][2].get("text", ""))[:300]
        # e.g. too big to send: the file made
        return {"status": "failed", "error": error, "seconds": ended - began, **on_disk(media)}
    return {"status": "timeout", "seconds": ended - began}


def main() -> None:
    """Parse the arguments, measure, write the JSON result."""
    args = parse_args("one /summary, measured", "--command")
    spec = Spec.load(Path(args.spec))
    result = asyncio.run(measure(args.db_url, spec, Path(args.media), args.command, args.timeout))
    write_result(args.out, result)


if __name__ == "__main__":
    main()
