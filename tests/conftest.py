"""Fixtures: a real database (SQLite file; PostgreSQL when VANGUARD_TEST_PG_URL is set)
and a running bot talking to the in-process Telegram emulator, on a clock of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import VanguardApp, build_application
from bot.limits import ChatRateLimiter
from bot.runner import Runner
from domain.clock import Clock, FrozenClock
from domain.config import (
    BotConfig,
    Config,
    DatabaseConfig,
    MediaConfig,
    Secret,
    TelegramConfig,
    WebConfig,
)
from emulator import TelegramEmulator
from emulator.scenario import Chat, GroupChat, Person, World
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest
from handlers.context import Ctx
from handlers.media import JOB_NAME as DOWNLOADS_JOB
from handlers.outbox import send_due
from handlers.schedule import START_JOB
from handlers.schedule.sweep import run_sweep
from storage.db import Database
from storage.groups import get_group
from storage.migrate import upgrade
from storage.models import Issue

PG_URL = os.environ.get("VANGUARD_TEST_PG_URL", "")
NO_PG = "VANGUARD_TEST_PG_URL is not set: PostgreSQL runs of this test are skipped"

# Every test starts at this instant (10:00 on Tuesday 10 November 2026 in Shanghai, a
# working day) and derives every date from the harness clock, so the suite gives the same
# answer on any day, at any hour, in any time zone (.ci/run checks it under faketime).
START = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="pg", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)),
]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers a core. A test spends about half its time waiting (for
    the bot's debounces, rate limits and restarts, which run on real time), so a core
    has room for a second one."""
    return 2 * (os.cpu_count() or 1)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say in one line why the PostgreSQL half was skipped, instead of a reason per test."""
    skipped = len(terminalreporter.stats.get("skipped", []))
    if not PG_URL and skipped:
        terminalreporter.write_line(
            f"{skipped} skipped: the PostgreSQL runs (set VANGUARD_TEST_PG_URL, e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/test, or run .ci/run)"
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    return str(request.param)


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()


async def _pg_admin(statement: str) -> None:
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


def _pg_url(database: str | None = None, schema: str | None = None) -> str:
    url = make_url(PG_URL)
    if database is not None:
        url = url.set(database=database)
    if schema is not None:
        url = url.update_query_dict({"search_path": schema})
    return url.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _pg_schema() -> AsyncIterator[str]:
    """A new, empty schema on the test PostgreSQL (dropped afterwards): its URL."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_url(schema=schema)
    finally:
        await _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per worker, copied for each test (migrating takes 0.2 s)."""
    path = tmp_path_factory.mktemp("template") / "vanguard-template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


class PgTemplate:
    """A migrated PostgreSQL database per worker that each test's database is copied from
    (CREATE DATABASE … TEMPLATE), made the first time a PostgreSQL test asks for it."""

    def __init__(self) -> None:
        # by process id: runs side by side on one server (the dated runs) keep theirs
        # apart, and one a killed run left behind under the same id is dropped here
        self.name = f"vanguard_template_{os.getpid()}"
        self.state: str | None = None  # "made", or "refused" (no CREATEDB right)

    async def made(self) -> str | None:
        """The template's name; None where the test user may not create databases (each
        test then migrates a schema of its own)."""
        if self.state is None:
            try:
                await _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                await _pg_admin(f'CREATE DATABASE "{self.name}"')
            except Exception:
                self.state = "refused"
            else:
                await _migrate(_pg_url(database=self.name))
                self.state = "made"
        return self.name if self.state == "made" else None

    def drop(self) -> None:
        """Drop the template at the end of the run."""
        if self.state == "made":
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_template(request: pytest.FixtureRequest) -> PgTemplate:
    """This worker's PostgreSQL template (see :class:`PgTemplate`)."""
    template = PgTemplate()
    request.addfinalizer(template.drop)
    return template


@pytest_asyncio.fixture
async def empty_db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the test PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'vanguard-test.db'}"
        return
    async with _pg_schema() as url:
        yield url


@pytest_asyncio.fixture
async def db_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_template: PgTemplate
) -> AsyncIterator[str]:
    """A fresh database at the newest migration, copied from the worker's template."""
    if backend == "sqlite":
        path = tmp_path / "vanguard-test.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = await pg_template.made()
    if template is None:
        async with _pg_schema() as url:
            await _migrate(url)
            yield url
        return
    name = f"vanguard_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(database=name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    """A migrated database for storage tests."""
    db = Database(db_url)
    try:
        yield db
    finally:
        await db.dispose()


PUBLIC_URL = "https://wall.test"  # the wall pages' public address in tests (see ``page_url``)


def page_url(harness: Harness, public: str) -> str:
    """Where a public page address is served in the test: the bot's own web server."""
    base = harness.config.web.public_url
    assert public.startswith(base), public
    assert harness.runner.web is not None, "the harness has no web server (pytest.mark.web)"
    return f"http://127.0.0.1:{harness.runner.web.port}{public[len(base) :]}"


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
        web=WebConfig(port=0),  # /healthz and /metrics on any free port
    )


RESIDENT = {
    # what a running bot always has waiting: the poller and its long poll, PTB's update
    # fetcher, and the bare waits of the poller's and the emulator's helper tasks (the
    # tasks that wait on them are counted); not the bot's own
    "ConfirmingPoller._run",
    "ParkedWork._run",  # the look-out for parked updates nobody holds (bot/parking.py)
    "Runner._stand_by",  # polls, or waits to (bot/runner.py)
    "VanguardBot.get_updates_after",
    "Application._update_fetcher",
    "Event.wait",
    "Condition.wait",
    "Browser._read",  # the browser tests' reader of Chromium's messages (tests/browser.py)
}


def working(apps: list[VanguardApp]) -> list[str]:
    """What the bots still have in hand: tasks (updates, outbox sends, files being made,
    jobs running) and one-off jobs not yet run. Empty when idle."""
    me = asyncio.current_task()
    busy = [
        task.get_name()
        for task in asyncio.all_tasks()
        if task is not me
        and not task.done()
        and getattr(task.get_coro(), "__qualname__", "") not in RESIDENT
    ]
    for app in apps:
        if app.job_queue is not None and app.running:
            busy += [
                f"job {job.name}"
                for job in app.job_queue.jobs()
                if isinstance(job.job.trigger, DateTrigger)
            ]
    return busy


async def wait_idle(world: World, apps: list[VanguardApp], timeout: float = 120) -> None:
    """Wait until every update sent so far is confirmed and ``apps`` have nothing in hand
    (see :func:`working`); ``timeout`` is a ceiling, never the thing asserted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while quiet < 3:  # idle at three looks in a row, with turns of the loop between them
        await world.settle(timeout=max(deadline - loop.time(), 0.1))
        busy = working(apps)
        quiet = 0 if busy else quiet + 1
        if busy and loop.time() > deadline:
            raise AssertionError(f"the bot was still busy after {timeout} s: {busy}")
        await asyncio.sleep(0.01 if busy else 0)


@dataclass
class Harness:
    """A running bot, its emulator, the people of the scenario, and the clock."""

    emulator: TelegramEmulator
    world: World
    app: VanguardApp
    runner: Runner
    config: Config
    clock: FrozenClock

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database, emulator and clock."""
        await self.runner.stop()
        self.app = build_test_app(self.config, self.emulator, self.clock)
        self.runner = Runner(self.app, self.config, poll_timeout=5)
        await self.runner.start()

    def today(self, zone: ZoneInfo = SHANGHAI) -> date:
        """The date on the harness clock in ``zone`` (the test group's by default)."""
        return self.clock.now().astimezone(zone).date()

    def day(self, days: int = 0) -> str:
        """The Shanghai date ``days`` after the harness clock's, as a command takes it."""
        return (self.today() + timedelta(days=days)).isoformat()

    async def idle(self, timeout: float = 120) -> None:
        """Wait until the bot has nothing in hand: every update sent so far confirmed, no
        update, outbox send, file being made or one-off job (an album's quiet time, an
        announcement edit, a download) left. Repeating jobs (the sweeps) are not waited
        for: tests run them by hand (:meth:`sweep`, :meth:`sweep_outbox`)."""
        await wait_idle(self.world, [self.app], timeout)

    def hold_up(self, seconds: float) -> None:
        """Hold the event loop up for ``seconds``, as a loaded machine does: the one-off
        jobs due meanwhile find themselves late. The repeating jobs are paused first
        (tests run them by hand), so that none falls due meanwhile and is still at work
        when the test ends."""
        assert self.app.job_queue is not None
        for job in self.app.job_queue.jobs():
            if isinstance(job.job.trigger, IntervalTrigger):
                job.enabled = False
        time.sleep(seconds)

    async def sweep(self) -> None:
        """The schedule's minute sweep at the clock's time, and everything it starts."""
        await run_sweep(Ctx(self.app))
        await self.idle()

    async def sweep_outbox(self) -> None:
        """The outbox sweep at the clock's time, and the sends it starts."""
        await send_due(Ctx(self.app))
        await self.idle()


def build_test_app(config: Config, emulator: TelegramEmulator, clock: Clock | None) -> VanguardApp:
    """The production composition root, on the in-process emulator, without throttling."""
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=clock,
        rate_limiter=ChatRateLimiter(None, max_retries=2),
    )
    # the production quiet time: a loaded machine's slow turn between two parts of an
    # album (or between its two batches) must not split it
    app.bot_data.options.album_debounce = timedelta(seconds=1.5)
    app.bot_data.options.announce_delay = timedelta(seconds=0.1)
    app.bot_data.options.announce_interval = timedelta(seconds=0.2)
    app.bot_data.options.scheduling = False  # tests run the schedule sweep by hand, on their clock
    assert app.job_queue is not None
    for job in app.job_queue.get_jobs_by_name(START_JOB):  # so not its one-off first sweep
        job.schedule_removal()  # either (a second's wait for every test that waits idle)
    for job in app.job_queue.get_jobs_by_name(DOWNLOADS_JOB):  # the minute's retry of the
        job.enabled = False  # downloads: run by hand (a run 3 s in, beside a test's own
        # download, could still be at work when a test ends), as the sweeps are
    # a command waits for its file (no "on its way" note first, however loaded the
    # machine); tests of what happens while a file is being made set it to zero
    app.bot_data.options.notice_after = timedelta(seconds=120)
    return app


@contextlib.asynccontextmanager
async def second_application(harness: Harness) -> AsyncIterator[VanguardApp]:
    """A second bot process on the harness's database, emulator and clock, started but
    not polling: the test runs its sweeps or hands it updates."""
    app = build_test_app(harness.config, harness.emulator, harness.clock)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


def new_emulator(clock: FrozenClock) -> TelegramEmulator:
    """An emulator whose messages are dated by ``clock``."""
    return TelegramEmulator(clock=lambda: clock.now().timestamp())


async def start_harness(
    config: Config, emulator: TelegramEmulator, clock: FrozenClock | None = None
) -> Harness:
    """Start a bot on ``config`` against ``emulator``, on a clock the test can move."""
    clock = clock or FrozenClock(START)
    app = build_test_app(config, emulator, clock)
    runner = Runner(app, config, poll_timeout=5)
    world = World(emulator)
    await runner.start()
    return Harness(emulator, world, app, runner, config, clock)


@pytest_asyncio.fixture
async def harness(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    """A bot running against the in-process emulator; every bot message must be read.
    Its clock starts at START, or where the test's ``@pytest.mark.start(moment)`` says."""
    marker = request.node.get_closest_marker("start")
    clock = FrozenClock(marker.args[0] if marker else START)
    emulator = new_emulator(clock)
    config = make_config(db_url, tmp_path, emulator)
    web = list(request.node.iter_markers("web"))
    if web:  # the wall's pages, on any free port (at a marker's public URL, if one has)
        public = next((m.args[0] for m in web if m.args), PUBLIC_URL)
        config = replace(config, web=WebConfig(public_url=public, port=0))
    h = await start_harness(config, emulator, clock)
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


async def dialogue(chat: Chat, lines: list[tuple[Person, str, str]]) -> None:
    """Each person says their line and the bot's next answer in ``chat`` holds the
    expected words."""
    for person, said, expected in lines:
        await chat.say(person, said)
        answer = await chat.next_reply()
        assert expected in answer, f"{said!r} was answered {answer.text!r}"


async def topic_and_a_second_group(harness: Harness, cast: Cast) -> GroupChat:
    """Topic #1 in the cast's group, and a second group 养护二班 (the captain's) that the
    worker is in too, seen by the bot in both: a numbered command the worker sends in
    private chat asks which group."""
    other = harness.world.group("养护二班", creator=cast.captain, members=(cast.worker,))
    await other.add_bot(by=cast.captain)
    await other.next_reply()
    await cast.group.say(cast.captain, "/newtopic 中东桥加固")
    await cast.group.next_reply()
    for group in (cast.group, other):  # the worker is seen in both groups
        await group.say(cast.worker, "/help")
        await group.next_reply()
    return other


async def li_ming_wei(harness: Harness, cast: Cast) -> Person:
    """A member of the cast's group without a username, whose name has three words."""
    li = harness.world.person("Li", last_name="Ming Wei")
    cast.group.chat.members[li.id] = "member"
    await cast.group.say(li, "/help")
    await cast.group.next_reply()
    return li


def local(day: str | date, hhmm: str, second: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    """``day`` at ``hhmm`` (and ``second``) in ``zone``, as an aware moment."""
    moment = datetime.fromisoformat(f"{day}T{hhmm}").replace(second=second, tzinfo=zone)
    return moment


async def seed_issues(harness: Harness, cast: Cast, count: int) -> None:
    """``count`` issues in the cast's group, written in one go."""
    db = harness.app.bot_data.db
    assert db is not None
    now = harness.clock.now()
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
