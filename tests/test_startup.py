"""What a bot process loads to start: the heavy libraries wait until they are first used
(a name sorted, a report or register made, a page asked for, a metric counted)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.tls import prepare as prepare_tls
from bot.tls import tls_context
from emulator import TelegramEmulator
from emulator.server import EmulatorServer
from storage.migrate import MIGRATIONS, head, newest_in_files
from tests.test_process import write_config

pytestmark = pytest.mark.process

# what start-up used to import, and what each waits for now
NOT_AT_START = {
    "pypinyin": "a list of names sorted (domain/names.py)",
    "holidays": "a year no other calendar has (domain/holiday_sources.py)",
    "chinese_calendar": "a working day asked (domain/holiday_sources.py)",
    "lunar_python": "a year reckoned by rule (domain/holiday_sources.py)",
    "openpyxl": "a register or report appendix made",
    "docx": "a monthly report made",
    "lxml": "a register or report made",
    "PIL": "a report, check-in sign or wall photo made",
    "segno": "a check-in sign or poster made",
    "jinja2": "a wall page rendered",
    "alembic": "a database behind the newest migration (storage/migrate.py)",
    "mako": "a database behind the newest migration",
    "prometheus_client": "the first metric counted or scraped (handlers/metrics.py)",
    "aiohttp": "the first connection to the web listener (bot/web.py)",
    "babel": "never: the catalogs are read without it (handlers/i18n.py)",
    "tarfile": "a backup made or restored (bot/backups.py, the daily job's first look)",
}
# our own modules that wait likewise
OURS_NOT_AT_START = {
    "bot.backups": "the daily backup's first look (bot/app.py: register_daily_backup)",
    "storage.restore": "a restore",
    "storage.wrong_codes": "a check-in code, or the hourly housekeeping",
    "domain.checkin": "a check-in",
}

# a bot process that writes the modules it has loaded once it has started, and whether
# the garbage collector is on again (start-up runs without it: bot/runner.py settle_heap)
STARTED = """
import asyncio, gc, json, sys
import bot.runner
start = bot.runner.Runner.start
from storage.models import Member
async def report(modules, mapped):
    for _ in range(200):  # a ceiling: settle_heap is due a second after start
        if gc.isenabled():
            break
        await asyncio.sleep(0.05)
    found = {"modules": modules, "collecting": gc.isenabled(), "frozen": gc.get_freeze_count(),
             "mapped_at_start": mapped, "mapped": Member.__mapper__.configured,
             "modules_settled": sorted(sys.modules)}
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(found, out)
async def started(self):
    # the jobs (the outbox's first sweep 0.2 s after start, a query) wait until the start
    # is over, however slow the machine: what is asked is whether starting maps the models
    scheduler = self.app.job_queue.scheduler
    begin = scheduler.start
    scheduler.start = lambda paused=False: begin(paused=True)
    await start(self)
    mapped = Member.__mapper__.configured
    scheduler.resume()
    bot.runner.reported = asyncio.ensure_future(report(sorted(sys.modules), mapped))
bot.runner.Runner.start = started
from bot.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


async def started(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """What a `vanguard run` process has once it has started (polling): its modules,
    whether its garbage collector is on, how many objects it keeps out of collections."""
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = write_config(tmp_path, emulator, server, db_url)
    found = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", STARTED, str(found), "run", "--config", str(config)),
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        for _ in range(1200):  # a ceiling (60 s), not a wait for something not to happen
            if found.exists() and found.read_text(encoding="utf-8").endswith("}"):
                break
            assert process.returncode is None, "the bot process ended before it started"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await server.stop()
    assert process.returncode == 0, stderr.decode()[-3000:]
    report: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
    return report


async def test_starting_on_a_current_database_leaves_the_heavy_libraries_unloaded(
    db_url: str, tmp_path: Path
) -> None:
    process = await started(db_url, tmp_path)
    loaded = {name.split(".")[0] for name in process["modules"]}
    early = {name: NOT_AT_START[name] for name in NOT_AT_START.keys() & loaded}
    early |= {n: OURS_NOT_AT_START[n] for n in OURS_NOT_AT_START.keys() & set(process["modules"])}
    assert not early, f"loaded at start, though they wait for: {early}"
    assert {"telegram", "sqlalchemy", "storage", "handlers"} <= loaded  # it did start
    if db_url.startswith("sqlite"):  # PostgreSQL's dialect and driver: only to reach one
        other = {"sqlalchemy.dialects.postgresql", "asyncpg"} & set(process["modules"])
        assert not other, f"loaded at start on SQLite: {other}"
    # start-up ran without the garbage collector; it is on again, and what start-up made
    # for good (modules, classes, the application) is kept out of every collection
    assert process["collecting"] and process["frozen"] > 100_000
    # the models' mapping is finished after the first poll, not in front of it (a
    # statement built at import, an alias, would pull some 15 ms back into start-up)
    assert not process["mapped_at_start"] and process["mapped"]
    # the features' handlers are named by their modules (handlers.features.Later): none
    # is imported to start; a second later, all are
    handlers = {name for name in process["modules_settled"] if name.count(".") == 2}
    features = {name for name in handlers if name.split(".")[1] in FEATURES}
    assert features >= FEATURE_MODULES
    at_start = features & set(process["modules"]) - LIGHT
    assert not at_start, f"imported to start: {sorted(at_start)}"
    assert "aiohttp" not in {name.split(".")[0] for name in process["modules_settled"]}


FEATURES = {"general", "topics", "wall", "inspections", "events", "export", "schedule", "summary"}
FEATURE_MODULES = {  # some of what the features' handlers need
    "handlers.general.start",
    "handlers.topics.commands",
    "handlers.inspections.lists",
    "handlers.inspections.guided",
    "handlers.events.checkin",
    "handlers.export.commands",
    "handlers.schedule.sweep",
    "handlers.summary.monthly",
    "handlers.wall.commands",
}
LIGHT = {"handlers.events.keyboards"}  # its button's pattern is registered at start


def test_the_models_annotations_are_made_with_their_classes_not_evaluated_from_strings() -> None:
    from storage.models import Base

    annotations = {
        f"{mapper.class_.__name__}.{name}": value
        for mapper in Base.registry.mappers
        for name, value in mapper.class_.__annotations__.items()
    }
    assert len(annotations) > 250
    strings = [name for name, value in annotations.items() if isinstance(value, str)]
    assert not strings, f"evaluated from strings at import: {strings[:5]}"


def test_the_newest_migration_is_read_from_the_version_files_as_alembic_reads_it() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert newest_in_files() == head() == ScriptDirectory.from_config(config).get_current_head()


def test_version_files_with_two_heads_leave_the_newest_to_alembic(tmp_path: Path) -> None:
    for name, down in [("0001", "None"), ("0002", '"0001"'), ("0003", '"0001"')]:
        (tmp_path / f"{name}_x.py").write_text(
            f'revision: str = "{name}"\ndown_revision: str | None = {down}\n', encoding="utf-8"
        )
    assert newest_in_files(tmp_path) is None
    (tmp_path / "0004_merge.py").write_text(
        'revision = "0004"\ndown_revision = ("0002", "0003")\n', encoding="utf-8"
    )
    assert newest_in_files(tmp_path) == "0004"


def test_the_tls_context_made_beside_start_up_checks_telegrams_certificate() -> None:
    prepare_tls()  # as `vanguard run` does before it imports the bot
    made = tls_context()
    assert made.verify_mode == ssl.CERT_REQUIRED and made.check_hostname
    assert made.cert_store_stats()["x509_ca"] > 100  # the CA bundle, read on its thread
    again = tls_context()  # taken once; a later application gets one of its own
    assert again is not made and again.cert_store_stats()["x509_ca"] > 100
