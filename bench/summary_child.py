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

import argparse
import asyncio
import io
import itertools
import json
import logging
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.common import Key, Tracker, proc_status, start_vanguard, stop_quietly, tree_rss_kb
from bench.export_child import ErrorCatcher, RssSampler, reset_peak
from bench.spec import Spec, build_emulator
from emulator.core import TelegramEmulator

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
    catcher = ErrorCatcher()
    logging.getLogger().addHandler(catcher)
    emulator = TelegramEmulator()
    emulator._update_ids = itertools.count(int(time.time() * 1000))  # past earlier bots'
    build_emulator(emulator, spec)
    tracker = Tracker(emulator)
    group, other = spec.group("summary"), spec.group("other")
    chat, other_chat = emulator.chats[group.chat_id], emulator.chats[other.chat_id]
    asker = emulator.users[other.members[0]]
    _app, runner = await start_vanguard(emulator, db_url, media)
    result: dict[str, Any] = {"status": "ok", "command": command}
    try:
        warm = tracker.say(other_chat, asker, "/help")
        if not await tracker.wait([warm], timeout):
            raise TimeoutError("no answer to the warm-up /help")
        await tracker.wait_quiet(None, 0.3)
        catcher.first = None
        reset_peak()
        before = proc_status()
        began = time.perf_counter()
        sampler = PeakSampler(began)
        sampler.start()
        tracker.say(chat, emulator.users[group.creator], command)

        def finished() -> bool:
            """The document came, the bot logged an error or said something else."""
            for _t, method, message in tracker.outputs_in(group.chat_id, began):
                if method == "sendDocument":
                    return True
                if not str(message.get("text", "")).startswith(WORKING):
                    return True
            return catcher.first is not None

        probes: list[Key] = []

        async def probe() -> None:
            """/help in the other group every second, one at a time, until done."""
            while not finished():
                key = tracker.say(other_chat, asker, "/help")
                probes.append(key)
                await tracker.wait([key], timeout)
                await asyncio.sleep(max(0.0, HELP_EVERY - (tracker.latency(key) or 0.0)))

        prober = asyncio.create_task(probe())
        await emulator.wait_for(finished, timeout)
        ended = time.perf_counter()
        await asyncio.wait_for(prober, max(1.0, timeout - (ended - began)))
        sampler.running = False
        sampler.join()
        after = proc_status()
        outputs = tracker.outputs_in(group.chat_id, began)
        documents = [o for o in outputs if o[1] == "sendDocument"]
        latencies = [x for x in (tracker.latency(k) for k in probes) if x is not None]
        result.update(
            rss_before_kb=before.get("VmRSS", 0),
            peak_rss_kb=max(sampler.peak, after.get("VmHWM", 0)),
            peak_at_s=round(sampler.peak_at, 2),
            help_latencies=[round(x, 4) for x in latencies],
            help_unanswered=len(probes) - len(latencies),
            messages=[
                (o[1], str(o[2].get("text") or o[2].get("caption") or "")[:80]) for o in outputs
            ],
        )
        if documents:
            document = documents[0][2]["document"]
            stored = emulator.files[document["file_id"]]
            result.update(
                seconds=documents[0][0] - began,
                document_bytes=int(document.get("file_size") or 0),
                document_name=document.get("file_name", ""),
                **inspect(stored.content),
            )
        elif catcher.first is not None:
            result.update(status="failed", error=catcher.first, seconds=ended - began)
        elif outputs and not str(outputs[-1][2].get("text", "")).startswith(WORKING):
            error = str(outputs[-1][2].get("text", ""))[:300]
            result.update(status="failed", error=error, seconds=ended - began)
            result.update(on_disk(media))  # e.g. too big to send: the file made
        else:
            result.update(status="timeout", seconds=ended - began)
    finally:
        await stop_quietly(runner, timeout=30)
    return result


def main() -> None:
    """Parse the arguments, measure, write the JSON result."""
    parser = argparse.ArgumentParser(description="one /summary, measured")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--media", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # errors reach the catcher, nothing prints
    spec = Spec.load(Path(args.spec))
    result = asyncio.run(measure(args.db_url, spec, Path(args.media), args.command, args.timeout))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
