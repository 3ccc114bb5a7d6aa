"""``python -m bench.profile /report sqlite``: one command's throughput burst, repeated,
to run under a sampling profiler (``py-spy record -- python -m bench.profile …``).

The same world as the throughput case (20 groups of 5 people, registered, a topic and an
issue each); prints updates/s of each burst. Asserts nothing; writes no results file.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from bench.bots import start_vanguard, stop_quietly
from bench.databases import database
from bench.settings import Settings
from bench.throughput import COMMANDS, _shifted, burst, register
from bench.tracking import Tracker
from bench.world import make_group
from emulator.core import TelegramEmulator


async def profile(command: str, kind: str, bursts: int) -> None:
    """Start Vanguard on ``kind``, register the world, push ``bursts`` bursts of
    ``command`` and print each burst's updates/s."""
    settings = Settings(pg_url=os.environ.get("VANGUARD_TEST_PG_URL", ""))
    async with database(kind, settings, "prof") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as media:
            emulator = TelegramEmulator()
            _app, runner = await start_vanguard(emulator, url, Path(media))
            try:
                tracker = Tracker(emulator)
                groups = [
                    make_group(emulator, f"养护{i}班", settings.members)
                    for i in range(settings.groups)
                ]
                await register(tracker, groups, settings.sample_timeout * 3)
                tracker.unquoted = "trailing"
                for index in range(bursts):
                    text_of = _shifted(COMMANDS[command], 10_000 + index * settings.updates)
                    found = await burst(tracker, groups, text_of, settings.updates, 600)
                    print(f"{command} {kind}: {found['throughput']:.0f} updates/s", flush=True)
            finally:
                await stop_quietly(runner)


def main() -> None:
    """Command line: command (as in the throughput case), database, bursts."""
    command = sys.argv[1] if len(sys.argv) > 1 else "/report"
    kind = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    bursts = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    asyncio.run(profile(command, kind, bursts))


if __name__ == "__main__":
    main()
