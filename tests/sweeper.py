"""A second bot process for the tests: ``python -m tests.sweeper CONFIG MOMENT [SWEEPS]``
builds the production application from CONFIG on a clock stopped at MOMENT (ISO 8601),
runs the schedule's minute sweep SWEEPS times at once, waits for the sends they start,
and exits. What one bot process does when it and another sweep one database."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.app import build_application
from domain.clock import FrozenClock
from domain.config import load_config
from handlers.context import Ctx
from handlers.schedule.sweep import run_sweep


async def sweep(config_path: Path, moment: datetime, sweeps: int) -> None:
    """Start the bot without polling, sweep, let the outbox sends end, stop."""
    app = build_application(load_config(config_path), clock=FrozenClock(moment))
    app.bot_data.options.scheduling = False  # no minute job: only the sweeps asked for
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        await asyncio.gather(*(run_sweep(Ctx(app)) for _ in range(sweeps)))
        me = asyncio.current_task()
        for _ in range(6000):  # until the sends the sweeps started end (a 60 s ceiling)
            others = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
            if all("update_fetcher" in t.get_name() for t in others):  # PTB's: always waits
                break
            await asyncio.sleep(0.01)
    finally:
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
    print("swept", flush=True)


if __name__ == "__main__":
    asyncio.run(
        sweep(
            Path(sys.argv[1]),
            datetime.fromisoformat(sys.argv[2]),
            int(sys.argv[3]) if len(sys.argv) > 3 else 1,
        )
    )
