"""What an operator sees (issue 24, part 4): ``GET /healthz`` (JSON, 200 or 503) and
``GET /metrics`` (Prometheus) on the bot's own web listener, on this machine only by
default, read over HTTP from a bot running against the emulator, as a monitoring system
would."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import MessageHandler, filters

from domain.clock import FrozenClock
from domain.config import WebConfig, load_config
from handlers.context import Ctx
from handlers.outbox import JOB_NAME as OUTBOX_JOB
from storage.migrate import downgrade, revisions, upgrade
from storage.outbox import Outgoing, enqueue
from tests.conftest import (
    PUBLIC_URL,
    START,
    Cast,
    Harness,
    _pg_admin,
    local,
    make_config,
    new_emulator,
    start_harness,
)
from tests.test_query_plans import full_scans, recording

TOKEN = "123456:ABCDEFGHIJKLMNOP"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def fetch(harness: Harness, path: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    """GET ``path`` from the bot's listener, as a scraper on this machine does."""
    assert harness.runner.web is not None, "the bot has no web listener"
    address = f"http://127.0.0.1:{harness.runner.web.port}{path}"
    async with aiohttp.ClientSession() as http, http.get(address, headers=headers) as response:
        return response.status, await response.text(), dict(response.headers)


async def healthz(harness: Harness, expected: int = 200) -> dict[str, Any]:
    """/healthz's JSON, after checking its status."""
    status, body, headers = await fetch(harness, "/healthz")
    assert status == expected, body
    assert headers["Content-Type"].startswith("application/json")
    found: dict[str, Any] = json.loads(body)
    return found


async def metrics(harness: Harness) -> Samples:
    """/metrics parsed as Prometheus parses it: (sample name, labels) → value."""
    status, body, headers = await fetch(harness, "/metrics")
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not counted yet)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_and_metrics_are_on_and_on_this_machine_only_by_default() -> None:
    config = load_config(None, env={"VANGUARD_TOKEN": TOKEN})
    assert config.web.health and config.web.listening and not config.web.enabled
    assert config.web.listen == "127.0.0.1"
    example_path = Path(__file__).parent.parent / "config.example.toml"
    example = load_config(example_path, env={"VANGUARD_TOKEN": TOKEN})
    assert example.web.health and example.web.listen == "127.0.0.1"
    off = load_config(None, env={"VANGUARD_TOKEN": TOKEN, "VANGUARD_WEB_HEALTH": "false"})
    assert not off.web.listening


async def test_the_listener_is_bound_to_localhost_without_a_public_url(harness: Harness) -> None:
    assert not harness.config.web.enabled  # no wall pages: the listener is there for health
    assert harness.runner.web is not None
    assert harness.runner.web.host == "127.0.0.1"
    status, _, _ = await fetch(harness, "/wall/anything")
    assert status == 404  # the wall's routes are not served without a public URL


async def _harness_with(db_url: str, tmp_path: Path, web: WebConfig) -> Harness:
    """A bot started with these ``[web]`` settings."""
    clock = FrozenClock(START)
    emulator = new_emulator(clock)
    config = replace(make_config(db_url, tmp_path, emulator), web=web)
    return await start_harness(config, emulator, clock)


async def test_with_health_off_and_no_public_url_nothing_listens(
    db_url: str, tmp_path: Path
) -> None:
    harness = await _harness_with(db_url, tmp_path, WebConfig(health=False, port=0))
    try:
        assert harness.runner.web is None
    finally:
        await harness.runner.stop()


async def test_healthz_reports_a_healthy_polling_process(harness: Harness) -> None:
    found = await healthz(harness)
    assert found["status"] == "ok"
    assert found["checked_at"] == START.isoformat()
    assert found["database"] == {"reachable": True, "error": None}
    assert found["migrations"] == {
        "current": revisions()[-1],
        "head": revisions()[-1],
        "at_head": True,
    }
    assert found["mode"] == "polling" and found["poller"] is True
    assert found["outbox"] == {"waiting": 0, "oldest_due_at": None, "oldest_due_age_seconds": None}
    assert found["parked_updates"] == 0
    assert found["last_sweep"] == {"at": None, "age_seconds": None}  # none yet
    samples = await metrics(harness)
    assert value(samples, "vanguard_poller") == 1
    assert value(samples, "vanguard_database_up") == 1
    assert value(samples, "vanguard_migrations_current") == 1


async def test_healthz_is_503_while_migrations_are_behind(harness: Harness) -> None:
    db = harness.app.bot_data.db
    assert db is not None
    previous = revisions()[-2]
    await downgrade(db.engine, previous)
    try:
        found = await healthz(harness, 503)
        assert found["status"] == "failing"
        assert found["database"]["reachable"] is True
        assert found["migrations"] == {
            "current": previous,
            "head": revisions()[-1],
            "at_head": False,
        }
        assert value(await metrics(harness), "vanguard_migrations_current") == 0
    finally:
        await upgrade(db.engine)
    assert (await healthz(harness))["migrations"]["at_head"] is True


@pytest_asyncio.fixture
async def doomed(
    backend: str, db_url: str, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[tuple[Harness, str]]:
    """A bot whose database the test may take away: a SQLite file in a folder of its
    own, or the PostgreSQL database the test got. Yields the harness and its URL."""
    if backend == "sqlite":
        folder = tmp_path / "db"
        folder.mkdir()
        shutil.copyfile(sqlite_template, folder / "vanguard.db")
        db_url = f"sqlite+aiosqlite:///{folder / 'vanguard.db'}"
    elif make_url(db_url).query.get("search_path"):
        pytest.skip("the test PostgreSQL user may not create databases: nothing to drop")
    h = await _harness_with(db_url, tmp_path, WebConfig(port=0))
    try:
        yield h, db_url
    finally:
        await h.runner.stop()


async def pause_sender(harness: Harness) -> None:
    """Stop the outbox's sweep (every 2 s), and let a sweep under way end."""
    assert harness.app.job_queue is not None
    [sender] = harness.app.job_queue.get_jobs_by_name(OUTBOX_JOB)
    sender.enabled = False
    await harness.idle()


async def test_healthz_is_503_when_the_database_is_gone(doomed: tuple[Harness, str]) -> None:
    harness, url = doomed
    db = harness.app.bot_data.db
    assert db is not None
    chat = harness.world.person("张", last_name="工").private()
    await chat.send("/help")
    assert "/start" in await chat.next_reply()
    assert (await healthz(harness))["status"] == "ok"
    await pause_sender(harness)  # no connection in use while the database goes
    if db.url.startswith("sqlite"):
        await db.dispose()  # the open connections closed, and the disk gone
        database = make_url(url).database
        assert database is not None
        shutil.rmtree(Path(database).parent)
    else:
        name = make_url(url).database
        await _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
    status, body, _ = await fetch(harness, "/healthz")
    assert status == 503
    found = json.loads(body)
    assert found["status"] == "failing"
    assert found["database"]["reachable"] is False and found["database"]["error"]
    assert found["migrations"]["at_head"] is False and found["outbox"]["waiting"] is None
    _, scraped, _ = await fetch(harness, "/metrics")
    for secret in (harness.config.telegram.token.get(), url, make_url(url).password or url):
        assert secret not in body and secret not in scraped
    assert "vanguard_database_up 0.0" in scraped


async def test_healthz_shows_how_long_the_oldest_due_message_has_waited(
    harness: Harness, cast: Cast
) -> None:
    await pause_sender(harness)  # no sender takes them: as when every process is stuck
    db = harness.app.bot_data.db
    assert db is not None
    written_at = harness.clock.now()
    async with db.transaction() as session:
        for text in ("第一条", "第二条"):
            await enqueue(session, Outgoing(chat_id=cast.group.id, text=text), written_at)
    harness.clock.advance(timedelta(minutes=6))
    found = await healthz(harness)
    assert found["status"] == "ok"  # a backlog is for an alert, not a failed check
    assert found["outbox"] == {
        "waiting": 2,
        "oldest_due_at": written_at.isoformat(),
        "oldest_due_age_seconds": 360.0,
    }
    samples = await metrics(harness)
    assert value(samples, "vanguard_outbox_waiting") == 2
    assert value(samples, "vanguard_outbox_oldest_due_age_seconds") == 360.0
    harness.emulator.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    await harness.sweep_outbox()  # one of them refused for good, the other one sent
    assert (await cast.group.next_reply()).text in ("第一条", "第二条")
    found = await healthz(harness)
    assert found["outbox"]["waiting"] == 0 and found["outbox"]["oldest_due_at"] is None
    samples = await metrics(harness)
    assert value(samples, "vanguard_outbox_messages_total", outcome="sent") == 1
    assert value(samples, "vanguard_outbox_messages_total", outcome="failed") == 1
    assert value(samples, "vanguard_outbox_waiting") == 0
    assert value(samples, "vanguard_outbox_oldest_due_age_seconds") == 0


async def test_healthz_shows_the_last_sweep_and_metrics_count_briefings(
    harness: Harness, cast: Cast
) -> None:
    day = harness.today() + timedelta(days=1)
    harness.clock.set(local(day, "13:00"))  # the bot was down all morning: skipped
    await harness.sweep()
    swept_at = harness.clock.now()
    harness.clock.advance(timedelta(minutes=2))
    found = await healthz(harness)
    assert found["last_sweep"] == {"at": swept_at.isoformat(), "age_seconds": 120.0}
    samples = await metrics(harness)
    assert value(samples, "vanguard_last_sweep_timestamp_seconds") == swept_at.timestamp()
    assert value(samples, "vanguard_briefings_skipped_total", reason="late") == 1
    assert value(samples, "vanguard_briefings_sent_total") == 0
    harness.clock.set(local(day + timedelta(days=1), "08:00"))
    await harness.sweep()
    assert "晨报" in (await cast.group.next_reply()).text
    samples = await metrics(harness)
    assert value(samples, "vanguard_briefings_sent_total") == 1
    assert value(samples, "vanguard_briefings_skipped_total", reason="late") == 1
    assert value(samples, "vanguard_outbox_messages_total", outcome="sent") == 1
    found = await healthz(harness)
    assert found["last_sweep"] == {"at": harness.clock.now().isoformat(), "age_seconds": 0.0}


async def test_metrics_count_updates_by_command_with_their_latency(
    harness: Harness, cast: Cast
) -> None:
    before = await metrics(harness)  # the bot added to the group, its welcome read
    assert value(before, "vanguard_updates_handled_total", command="help") == 0
    await cast.group.say(cast.worker, "/help")
    assert "/members" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/secret_hunter2 密码")  # no command of ours
    await cast.group.say(cast.worker, "大家好")
    await harness.idle()
    samples = await metrics(harness)
    assert value(samples, "vanguard_updates_handled_total", command="help") == 1
    assert value(samples, "vanguard_update_seconds_count", command="help") == 1
    buckets = sorted(
        (float(dict(labels)["le"]), count)
        for (name, labels), count in samples.items()
        if name == "vanguard_update_seconds_bucket" and dict(labels)["command"] == "help"
    )
    assert [le for le, _ in buckets][:3] == [0.01, 0.025, 0.05] and buckets[-1] == (
        float("inf"),
        1,
    )
    counts = [count for _, count in buckets]
    assert counts == sorted(counts)  # cumulative, as Prometheus reads them
    for label in ("other", "message"):  # a command not ours; a message no command
        was = value(before, "vanguard_updates_handled_total", command=label)
        assert value(samples, "vanguard_updates_handled_total", command=label) == was + 1
    labels = {dict(lb).get("command") for (name, lb), _ in samples.items()}
    assert not any("hunter2" in str(label) for label in labels)


async def test_metrics_count_errors_by_kind_but_not_refusals(harness: Harness, cast: Cast) -> None:
    async def broken(update: Update, context: Ctx) -> None:
        raise RuntimeError("disk on fire")

    harness.app.add_handler(MessageHandler(filters.Regex("^坏了$"), broken), group=1)
    await cast.group.say(cast.worker, "坏了")
    assert "错误编号" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim")  # a refusal: the usage line
    await cast.group.next_reply()
    samples = await metrics(harness)
    assert value(samples, "vanguard_errors_total", kind="RuntimeError") == 1
    errors = [k for k in samples if k[0] == "vanguard_errors_total"]
    assert errors == [("vanguard_errors_total", (("kind", "RuntimeError"),))]


async def test_metrics_count_telegrams_429s(harness: Harness, cast: Cast) -> None:
    assert value(await metrics(harness), "vanguard_telegram_429_total") == 0
    harness.emulator.fail("sendMessage", 429, retry_after=1)
    await cast.group.say(cast.worker, "/help")
    assert "/members" in await cast.group.next_reply()  # waited out, then answered
    assert value(await metrics(harness), "vanguard_telegram_429_total") == 1


async def test_parked_updates_are_counted_and_shown(harness: Harness, cast: Cast) -> None:
    release = asyncio.Event()

    async def slow(update: Update, context: Ctx) -> None:
        await release.wait()

    harness.app.add_handler(MessageHandler(filters.Regex("^慢慢来$"), slow), group=1)
    await cast.group.say(cast.worker, "慢慢来")
    await until(lambda: parked(harness, 1))  # parked after 2 s
    samples = await metrics(harness)
    assert value(samples, "vanguard_updates_parked_total") == 1
    assert value(samples, "vanguard_parked_updates") == 1
    release.set()
    await harness.idle()
    await until(lambda: parked(harness, 0))  # released at the poller's next round


async def parked(harness: Harness, count: int) -> bool:
    """Whether /healthz shows ``count`` parked updates."""
    return bool((await healthz(harness))["parked_updates"] == count)


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Ask again until ``condition`` holds; ``timeout`` is a ceiling, not what is tested."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, "it never came to pass"
        await asyncio.sleep(0.1)


@pytest.mark.web
async def test_a_scraper_is_never_held_back_by_page_traffic(harness: Harness) -> None:
    pages = [(await fetch(harness, "/wall/nothing-here"))[0] for _ in range(21)]
    assert pages[-1] == 429  # this address has used up its pages
    for _ in range(30):  # a scrape every few seconds, on a clock that never refills
        assert (await fetch(harness, "/healthz"))[0] == 200
        assert (await fetch(harness, "/metrics"))[0] == 200
    # the wall's public address (a proxy, which says whom it forwards) never shows them
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert (await fetch(harness, "/healthz", **forwarded))[0] == 404
    assert (await fetch(harness, "/metrics", **forwarded))[0] == 404
    assert harness.config.web.public_url == PUBLIC_URL


async def test_the_health_check_reads_no_growing_table_whole(harness: Harness) -> None:
    db = harness.app.bot_data.db
    assert db is not None
    with recording(db) as statements:
        await healthz(harness)
        seen = statements.take()
    assert any("outbox" in s for s, _ in seen)
    assert await full_scans(db, seen) == []
