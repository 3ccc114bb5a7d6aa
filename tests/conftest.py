"""Fixtures: a real database (SQLite file; PostgreSQL when VANGUARD_TEST_PG_URL is set)
and a running bot talking to the in-process Telegram emulator."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import VanguardApp, build_application
from bot.limits import ChatRateLimiter
from bot.runner import Runner
from domain.clock import Clock, FrozenClock
from domain.config import BotConfig, Config, DatabaseConfig, MediaConfig, Secret, TelegramConfig
from emulator import TelegramEmulator
from emulator.scenario import GroupChat, Person, World
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest
from storage.db import Database
from storage.groups import get_group
from storage.migrate import upgrade
from storage.models import Issue

PG_URL = os.environ.get("VANGUARD_TEST_PG_URL", "")
NO_PG = "VANGUARD_TEST_PG_URL is not set: PostgreSQL runs of this test are skipped"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="pg", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    return str(request.param)


@pytest_asyncio.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the test PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'vanguard-test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(PG_URL).update_query_dict({"search_path": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest_asyncio.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    """A migrated database for storage tests."""
    db = Database(db_url)
    await upgrade(db.engine)
    try:
        yield db
    finally:
        await db.dispose()


def make_config(db_url: str, tmp_path: Path, emulator: TelegramEmulator, **bot: Any) -> Config:
    """A config for a bot that talks to the in-process emulator."""
    return Config(
        telegram=TelegramConfig(
            token=Secret(emulator.token),
            api_base_url=IN_PROCESS_API,
            file_base_url=IN_PROCESS_FILES,
        ),
        database=DatabaseConfig(url=db_url),
        bot=replace(BotConfig(), **bot),
        media=MediaConfig(dir=tmp_path / "media"),
    )


@dataclass
class Harness:
    """A running bot, its emulator, and the people of the scenario."""

    emulator: TelegramEmulator
    world: World
    app: VanguardApp
    runner: Runner
    config: Config

    @property
    def clock(self) -> FrozenClock:
        """The bot's clock."""
        clock = self.app.bot_data.clock
        assert isinstance(clock, FrozenClock)
        return clock

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database and emulator."""
        await self.runner.stop()
        self.app = build_test_app(self.config, self.emulator, self.app.bot_data.clock)
        self.runner = Runner(self.app, self.config, poll_timeout=5)
        await self.runner.start()


# last month's report on the first working day: off, since other tests' mornings fall on
# whatever date the machine has (tests/test_summary*.py turn it on)
MONTHLY_REPORTS = False


def build_test_app(config: Config, emulator: TelegramEmulator, clock: Clock | None) -> VanguardApp:
    """The production composition root, on the in-process emulator, without throttling."""
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=clock,
        rate_limiter=ChatRateLimiter(None, max_retries=2),
    )
    app.bot_data.album_debounce = timedelta(seconds=0.4)
    app.bot_data.announce_delay = timedelta(seconds=0.1)
    app.bot_data.announce_interval = timedelta(seconds=0.2)
    app.bot_data.scheduling = False  # tests of the schedule sweep by hand, on their clock
    app.bot_data.monthly_reports = MONTHLY_REPORTS  # the summary tests turn it on
    return app


async def start_harness(config: Config, emulator: TelegramEmulator) -> Harness:
    """Start a bot on ``config`` against ``emulator``, on a clock the test can move."""
    app = build_test_app(config, emulator, FrozenClock(datetime.now(UTC)))
    runner = Runner(app, config, poll_timeout=5)
    world = World(emulator)
    await runner.start()
    return Harness(emulator, world, app, runner, config)


@pytest_asyncio.fixture
async def harness(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot running against the in-process emulator; every bot message must be read."""
    emulator = TelegramEmulator()
    h = await start_harness(make_config(db_url, tmp_path, emulator), emulator)
    try:
        yield h
    finally:
        await h.runner.stop()
    h.world.assert_all_read()


@dataclass
class Cast:
    """The usual people of a work group, and the group with the bot in it."""

    secretary: Person  # creator
    captain: Person  # admin
    worker: Person
    driver: Person  # speaks English
    group: GroupChat


@pytest_asyncio.fixture
async def cast(harness: Harness) -> Cast:
    """A group with a creator, an admin and two members; the bot has been added."""
    world = harness.world
    secretary = world.person("王", last_name="书记", username="wang_shuji")
    captain = world.person("李", last_name="队长", username="li_duizhang")
    worker = world.person("张", last_name="工", username="zhang_gong")
    driver = world.person("Chen", last_name="Driver", username="chen_d", language_code="en")
    group = world.group("养护一班", creator=secretary, admins=(captain,), members=(worker, driver))
    await group.add_bot(by=secretary)
    await group.next_reply()
    return Cast(secretary, captain, worker, driver, group)


async def seed_issues(harness: Harness, cast: Cast, count: int) -> None:
    """``count`` issues in the cast's group, written in one go."""
    db = harness.app.bot_data.db
    assert db is not None
    now = datetime.now(UTC)
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        rows = [
            {
                "group_id": group.id,
                "number": n,
                "road": "S272",
                "stake_from": n * 10,
                "stake_to": n * 10,
                "category": "guardrail",
                "severity": 2,
                "description": '=HYPERLINK("x")' if n == 2 else f"坑槽 {n}",
                "status": "open",
                "reporter_id": cast.worker.id,
                "chat_id": cast.group.id,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(1, count + 1)
        ]
        await session.execute(insert(Issue), rows)
