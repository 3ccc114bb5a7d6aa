"""The results wall's page at scale: GET /wall/<link> over HTTP from the bot's own web
server, for a group of ``small_issues`` issues and as many topics (100 and 100: the
issue's "a group with 100") and one of ``big_issues`` issues and a topic for every hundred
issues (1,000 at 100,000), alternating, median of ``data_samples``. The page reads a
bounded piece of each list, so the ratio should stay near 1 (target ≤ 1.5×). An HTTP
page has no echo-bot counterpart: no anchor here."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.bots import start_vanguard, stop_quietly
from bench.databases import database
from bench.figures import outcome, spread
from bench.seed import seed
from bench.settings import Settings
from bench.spec import build_emulator, make_spec
from domain.config import WebConfig
from domain.wall_links import expiry, sign
from emulator.core import TelegramEmulator
from storage.models import Group
from storage.wall import link_secret

PUBLIC = "https://wall.bench"


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Seed the two groups, then time their pages."""
    spec = make_spec(settings.small_issues, settings.big_issues)
    spec.group("big").topics = max(10, settings.big_issues // 100)
    spec.group("small").topics = max(10, settings.small_issues)
    async with database(kind, settings, "wall") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as folder:
            await seed(url, spec)
            emulator = TelegramEmulator()
            build_emulator(emulator, spec)
            web = WebConfig(public_url=PUBLIC, port=0)
            app, runner = await start_vanguard(emulator, url, Path(folder), web=web)
            try:
                return [await _timed(settings, kind, app, runner, spec)]
            except Exception as exc:
                return [{"case": "wall", "database": kind, **outcome(exc)}]
            finally:
                await stop_quietly(runner, timeout=settings.sample_timeout)


async def _links(app: Any, chat_ids: dict[str, int]) -> dict[str, str]:
    """Each group's page address on this machine."""
    now = app.bot_data.clock.now()
    found = {}
    async with app.bot_data.db.transaction() as session:
        for key, chat_id in chat_ids.items():
            group = await session.scalar(select(Group).where(Group.chat_id == chat_id))
            secret = await link_secret(session, group.id, now)
            found[key] = f"/wall/{sign(secret, group.id, expiry(now)).token}"
    return found


async def _timed(settings: Settings, kind: str, app: Any, runner: Any, spec: Any) -> dict[str, Any]:
    """The medians of both groups' page times and their ratio."""
    links = await _links(app, {k: spec.group(k).chat_id for k in ("small", "big")})
    base = f"http://127.0.0.1:{runner.web.port}"
    times: dict[str, list[float]] = {"small": [], "big": []}
    sizes: dict[str, int] = {}
    async with aiohttp.ClientSession() as http:
        for sample in range(settings.data_samples * 2 + 1):  # the first one warms up
            for key, path in links.items():
                # each request from its own address: the per-address allowance is not measured
                headers = {"X-Forwarded-For": f"198.51.100.{sample % 250}"}
                began = time.perf_counter()
                async with http.get(base + path, headers=headers) as response:
                    body = await response.read()
                    assert response.status == 200, (response.status, body[:200])
                if sample:
                    times[key].append((time.perf_counter() - began) * 1000)
                sizes[key] = len(body)
    row: dict[str, Any] = {
        "case": "wall",
        "database": kind,
        "small": {"issues": spec.group("small").issues, "topics": spec.group("small").topics},
        "big": {"issues": spec.group("big").issues, "topics": spec.group("big").topics},
        "small_ms": spread(times["small"], 1),
        "big_ms": spread(times["big"], 1),
        "bytes": sizes,
    }
    small, big = row["small_ms"].get("median"), row["big_ms"].get("median")
    row["ratio"] = round(big / small, 2) if small and big else None
    return row
