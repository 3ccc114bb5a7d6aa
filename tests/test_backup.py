"""Backups that restore: `vanguard backup` during a burst of writes, `vanguard restore`
into a fresh directory, the refusals (a live database, an existing one without --force,
a damaged file, a newer Vanguard's revision) and the daily backup with its retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sqlite3
import sys
import tarfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import DAILY_BACKUP_JOB as JOB_NAME
from bot.backups import cmd_backup, cmd_restore, make_backup, run_daily_backup
from bot.cli import parser
from domain.clock import FrozenClock
from domain.config import BackupConfig, Config, DatabaseConfig, MediaConfig, load_config
from domain.errors import BackupError
from emulator import TelegramEmulator
from emulator.scenario import World
from emulator.server import EmulatorServer
from handlers.context import BotData
from storage.backup import Manifest, revision_of, write_archive
from storage.db import Database
from storage.live import DatabaseInUse, hold_for_restore, hold_running
from storage.migrate import downgrade, revisions
from storage.models import Issue, Photo
from storage.pg_backup import pg_target
from tests.backup_writer import make_group, photo_bytes, write_issue
from tests.conftest import PG_URL, SHANGHAI, START, Harness, build_test_app, make_config
from tests.test_process import write_config as bot_config

ROOT = Path(__file__).resolve().parent.parent
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def config_file(path: Path, folder: Path) -> Path:
    """A config.toml whose database and media folder live in ``folder``."""
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{folder / "vanguard.db"}"\n'
        f'[media]\ndir = "{folder / "media"}"\n[backup]\ndir = "{folder / "backups"}"\n',
        encoding="utf-8",
    )
    return path


def clean_env() -> dict[str, str]:
    """Our environment without VANGUARD_… settings (the config file decides)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}


async def vanguard(*args: str) -> tuple[int, str, str]:
    """Run ``vanguard ARGS`` as a process: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def until(condition: Callable[[], bool], ceiling: float = 60) -> None:
    """Wait until ``condition`` holds (``ceiling`` seconds at most, never asserted on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ceiling
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


def a_live_folder(tmp_path: Path, template: Path, name: str = "live") -> tuple[Path, Path]:
    """A folder with a migrated database and a photo: (its config, the folder)."""
    folder = tmp_path / name
    (folder / "media" / "1").mkdir(parents=True)
    shutil.copyfile(template, folder / "vanguard.db")
    (folder / "media" / "1" / "u0.jpg").write_bytes(photo_bytes(0))
    return config_file(tmp_path / f"{name}.toml", folder), folder


def run(command: str, config: Path, *args: str) -> int:
    """``vanguard backup|restore ARGS`` in this process (what the command does after it
    has read the config); its exit code."""
    parsed = parser().parse_args([command, *args, "--config", str(config)])
    loaded = load_config(config, env={}, require_token=False)
    clock = FrozenClock(START)  # the manifest's time, the name kept for a replaced database
    return (cmd_backup if command == "backup" else cmd_restore)(loaded, parsed, clock)


@pytest.mark.process
async def test_a_backup_during_a_burst_of_writes_restores_every_committed_row_and_photo(
    tmp_path: Path, sqlite_template: Path
) -> None:
    config, live = a_live_folder(tmp_path, sqlite_template)
    shutil.rmtree(live / "media")
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.backup_writer",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        env=clean_env(),
        cwd=ROOT,
    )
    committed: list[int] = []

    async def read() -> None:
        assert writer.stdout is not None
        async for line in writer.stdout:
            if line.strip().isdigit():
                committed.append(int(line))

    reader = asyncio.create_task(read())
    backup = tmp_path / "backups" / "burst.tar"
    try:
        await until(lambda: len(committed) >= 50)
        before = len(committed)  # committed before the backup started
        code, out, err = await vanguard("backup", str(backup), "--config", str(config))
        during = len(committed) - before
        await until(lambda: len(committed) >= before + during + 20)  # the burst goes on
    finally:
        writer.send_signal(signal.SIGTERM)
        await asyncio.wait_for(writer.wait(), 60)
        await reader
    total = len(committed)
    assert code == 0, err
    assert out.startswith(f"backup {backup}: ") and "media files" in out
    assert during > 0, "no write was committed while the backup ran"

    fresh = tmp_path / "fresh"
    code, out, err = await vanguard(
        "restore", str(backup), "--config", str(config_file(tmp_path / "fresh.toml", fresh))
    )
    assert code == 0, err
    with closing(sqlite3.connect(fresh / "vanguard.db")) as conn:
        numbers = [n for (n,) in conn.execute("SELECT number FROM issues ORDER BY number")]
        photos = list(conn.execute("SELECT file_unique_id, local_path FROM photos ORDER BY id"))
    restored = len(numbers)
    assert numbers == list(range(1, restored + 1))  # one snapshot: no gap, nothing torn
    assert before <= restored < total
    assert len(photos) == restored
    for unique_id, local_path in photos:
        path = Path(local_path)
        assert path.parent.parent == fresh / "media"  # pointed to the restored folder
        assert path.read_bytes() == photo_bytes(int(unique_id[1:]))
    files = len(list((fresh / "media").rglob("*.jpg")))
    assert files >= restored
    print(
        f"\nbackup during a burst: {before} issues committed before it began, {during} while "
        f"it ran, {total} in all; the restore found {restored} issues, {len(photos)} photo "
        f"rows and {files} photo files, every referenced photo byte for byte"
    )


async def _start_bot(config: Path, tmp_path: Path) -> asyncio.subprocess.Process:
    with (tmp_path / "bot.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot", "run", "--config", str(config)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            env=clean_env(),
            cwd=tmp_path,
        )


@pytest.mark.process
@SQLITE_ONLY
async def test_restore_refuses_a_live_database_and_an_existing_one_without_force(
    db_url: str, tmp_path: Path
) -> None:
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    config = bot_config(tmp_path, emulator, server, db_url)
    database = Path(db_url.split("///", 1)[1])
    backup = tmp_path / "b.tar"
    world = World(emulator, reply_timeout=30)
    process = await _start_bot(config, tmp_path)
    try:
        secretary = world.person("王", last_name="书记")
        group = world.group("养护一班", creator=secretary)
        await group.add_bot(by=secretary)
        assert "本群已登记" in await group.next_reply(), (tmp_path / "bot.log").read_text()
        assert (await vanguard("backup", str(backup), "--config", str(config)))[0] == 0
        code, _, err = await vanguard("restore", str(backup), "--force", "--config", str(config))
        assert code == 1
        assert f"a bot process is running on {database}" in err
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        code, _, err = await vanguard("restore", str(backup), "--config", str(config))
        assert code == 1 and f"{database} exists: pass --force" in err
        code, out, err = await vanguard("restore", str(backup), "--force", "--config", str(config))
        assert code == 0, err
        kept = list(database.parent.glob(f"{database.name}.before-restore-*"))
        assert len(kept) == 1 and f"is kept as {kept[0]}" in out
        process = await _start_bot(config, tmp_path)  # the bot runs on the restored copy
        await group.say(secretary, "/start")
        assert "本群已登记" in await group.next_reply()
        world.assert_all_read()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await server.stop()


def test_a_running_bot_and_a_restore_exclude_each_other(tmp_path: Path) -> None:
    database = tmp_path / "vanguard.db"
    first, second = hold_running(database), hold_running(database)  # bots share it
    with pytest.raises(DatabaseInUse, match="a bot process is running"):
        hold_for_restore(database)
    first.release()
    second.release()
    restoring = hold_for_restore(database)
    with pytest.raises(DatabaseInUse, match="is being restored"):
        hold_running(database)
    restoring.release()
    hold_running(database).release()


def _flip(file: Path, member: str | None) -> None:
    """Flip bytes in the middle of a member's data (None: the file is cut in half)."""
    if member is None:
        with file.open("r+b") as fh:
            fh.truncate(file.stat().st_size // 2)
        return
    with tarfile.open(file) as tar:
        info = tar.getmember(member)
    with file.open("r+b") as fh:
        fh.seek(info.offset_data + info.size // 2)
        chunk = fh.read(16)
        fh.seek(info.offset_data + info.size // 2)
        fh.write(bytes(b ^ 0xFF for b in chunk))


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        pytest.param(
            "vanguard.sqlite3", "damaged (their checksums differ): vanguard.sqlite3", id="database"
        ),
        pytest.param(
            "media/1/u0.jpg", "damaged (their checksums differ): media/1/u0.jpg", id="photo"
        ),
        pytest.param("manifest.json", "manifest", id="manifest"),
        pytest.param(None, "", id="cut-short"),
    ],
)
def test_restore_refuses_a_damaged_backup(
    tmp_path: Path,
    sqlite_template: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str | None,
    said: str,
) -> None:
    config, _ = a_live_folder(tmp_path, sqlite_template)
    backup = tmp_path / "b.tar"
    assert run("backup", config, str(backup)) == 0
    _flip(backup, damage)
    fresh = config_file(tmp_path / "fresh.toml", tmp_path / "fresh")
    capsys.readouterr()
    assert run("restore", fresh, str(backup)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"restore refused: {backup}: ") and said in err
    assert not (tmp_path / "fresh" / "vanguard.db").exists()
    assert not (tmp_path / "fresh" / "media").exists()


def _damage_an_index(database: Path) -> None:
    with closing(sqlite3.connect(database)) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_issues_group_id'"
        ).fetchone()
    with database.open("r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xff" * 64)


def test_a_damaged_database_is_neither_backed_up_nor_restored(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, live = a_live_folder(tmp_path, sqlite_template)
    _damage_an_index(live / "vanguard.db")
    assert run("backup", config, str(tmp_path / "b.tar")) == 1
    assert "is damaged" in capsys.readouterr().err and not (tmp_path / "b.tar").exists()
    # a backup whose database was damaged before its checksums were taken
    with closing(sqlite3.connect(live / "vanguard.db")) as conn:
        manifest = Manifest("sqlite", revision_of(conn), "2026-11-10T02:00:00+00:00", "m")
    write_archive(tmp_path / "b.tar", live / "vanguard.db", live / "media", manifest)
    fresh = config_file(tmp_path / "fresh.toml", tmp_path / "fresh")
    assert run("restore", fresh, str(tmp_path / "b.tar")) == 1
    assert "the database in it is damaged" in capsys.readouterr().err
    assert not (tmp_path / "fresh" / "vanguard.db").exists()


def test_restore_refuses_a_backup_from_a_newer_vanguard(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, live = a_live_folder(tmp_path, sqlite_template)
    with closing(sqlite3.connect(live / "vanguard.db")) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert run("backup", config, str(tmp_path / "b.tar")) == 0
    fresh = config_file(tmp_path / "fresh.toml", tmp_path / "fresh")
    assert run("restore", fresh, str(tmp_path / "b.tar")) == 1
    err = capsys.readouterr().err
    assert (
        f"at revision 9999, which this Vanguard does not know (its newest is {revisions()[-1]})"
        in err
    )
    assert not (tmp_path / "fresh" / "vanguard.db").exists()


def test_an_older_backup_is_migrated_when_it_is_restored(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, live = a_live_folder(tmp_path, sqlite_template)
    older = revisions()[-2]
    asyncio.run(_downgrade(f"sqlite+aiosqlite:///{live / 'vanguard.db'}", older))
    assert run("backup", config, str(tmp_path / "b.tar")) == 0
    fresh = config_file(tmp_path / "fresh.toml", tmp_path / "fresh")
    assert run("restore", fresh, str(tmp_path / "b.tar")) == 0
    assert f"revision {older} → {revisions()[-1]}" in capsys.readouterr().out
    with closing(sqlite3.connect(tmp_path / "fresh" / "vanguard.db")) as conn:
        assert revision_of(conn) == revisions()[-1]
    assert (tmp_path / "fresh" / "media" / "1" / "u0.jpg").read_bytes() == photo_bytes(0)


async def _downgrade(url: str, revision: str) -> None:
    db = Database(url)
    try:
        await downgrade(db.engine, revision)
    finally:
        await db.dispose()


def _backups(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.tar"))


@SQLITE_ONLY
async def test_the_daily_backup_is_made_once_a_day_and_keeps_the_newest(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "daily"
    data: BotData = harness.app.bot_data  # a running bot: its database is open
    data.config = replace(data.config, backup=BackupConfig(folder, time(3, 30), keep=2))
    clock = harness.clock
    day = clock.now().astimezone(SHANGHAI).date() + timedelta(days=1)
    folder.mkdir()
    (folder / "vanguard-20261101-000000.tar").write_bytes(b"made by hand")
    caplog.set_level(logging.INFO, logger="bot.backups")
    made = []
    for n in range(3):
        today = day + timedelta(days=n)
        for hhmm in ("03:29", "03:30", "03:31", "23:59"):  # due once, at 03:30
            clock.set(datetime.fromisoformat(f"{today}T{hhmm}").replace(tzinfo=SHANGHAI))
            if await run_daily_backup(data) is not None:
                made.append((today, hhmm))
    assert made == [(day + timedelta(days=n), "03:30") for n in range(3)]
    assert _backups(folder) == [
        "vanguard-20261101-000000.tar",  # a backup made by hand is never deleted
        f"vanguard-daily-{day + timedelta(days=1)}.tar",
        f"vanguard-daily-{day + timedelta(days=2)}.tar",
    ]
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.backups"]
    assert sum(line.startswith(f"backup {folder}/vanguard-daily-") for line in lines) == 3
    assert all(" MB, sqlite at revision " in line for line in lines if line.startswith("backup"))
    assert (
        lines.count(f"deleted the old daily backup {folder}/vanguard-daily-{day}.tar (keep = 2)")
        == 1
    )
    assert harness.emulator.token not in "\n".join(lines)


@SQLITE_ONLY
def test_the_running_bot_schedules_the_daily_backup_only_when_configured(
    db_url: str, tmp_path: Path
) -> None:
    emulator = TelegramEmulator()
    config = make_config(db_url, tmp_path, emulator)
    on = build_test_app(config, emulator, FrozenClock(datetime(2026, 11, 10, tzinfo=UTC)))
    assert on.job_queue is not None and len(on.job_queue.get_jobs_by_name(JOB_NAME)) == 1
    off_config = replace(config, backup=BackupConfig(daily_at=None))
    off = build_test_app(off_config, emulator, None)
    assert off.job_queue is not None and not off.job_queue.get_jobs_by_name(JOB_NAME)


def test_postgresql_urls_go_to_the_tools_without_the_password() -> None:
    target = pg_target("postgresql+asyncpg://vg:s3cr%40t@db.example:5433/vanguard?search_path=v1")
    assert target.conninfo == "postgresql://vg@db.example:5433/vanguard"
    assert target.schema == "v1" and target.env()["PGPASSWORD"] == "s3cr@t"
    assert "s3cr" not in repr(target)


async def test_without_pg_dump_the_backup_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    config = Config(
        database=DatabaseConfig("postgresql+asyncpg://vg:s3cret@db.example/vanguard"),
        media=MediaConfig(tmp_path / "media"),
    )
    with pytest.raises(BackupError) as raised:
        await make_backup(config, tmp_path / "b.tar", datetime(2026, 11, 10, tzinfo=UTC))
    said = str(raised.value)
    assert "pg_dump is not installed" in said and "s3cret" not in said
    assert "PGPASSWORD='<the password in database.url>' pg_dump --format=custom" in said
    assert "--dbname=postgresql://vg@db.example/vanguard" in said


NO_PG_DUMP = "pg_dump is not installed: the PostgreSQL backup is not tested"


@contextlib.asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A new, empty database on the test PostgreSQL (dropped afterwards): its URL."""
    name = f"vanguard_r_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def pg_config(path: Path, url: str, media: Path) -> Path:
    """A config.toml for a PostgreSQL database and a media folder."""
    path.write_text(f'[database]\nurl = "{url}"\n[media]\ndir = "{media}"\n', encoding="utf-8")
    return path


ISSUES = 25


@pytest.mark.process
@pytest.mark.skipif(not PG_URL, reason="VANGUARD_TEST_PG_URL is not set")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason=NO_PG_DUMP)
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_postgresql_backup_restores_into_a_fresh_database(
    db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    try:
        group_id = await make_group(db)
        for number in range(1, ISSUES + 1):
            await write_issue(db, group_id, number, tmp_path / "media")
    finally:
        await db.dispose()
    source = pg_config(tmp_path / "source.toml", db_url, tmp_path / "media")
    code, out, err = await vanguard("backup", str(tmp_path / "pg.tar"), "--config", str(source))
    assert code == 0, err
    assert "postgresql at revision" in out and "media files: 25" in out
    async with fresh_pg_database() as url:
        target = pg_config(tmp_path / "target.toml", url, tmp_path / "restored")
        restore = ("restore", str(tmp_path / "pg.tar"), "--config", str(target))
        bot = Database(url)  # a bot's session on the target database
        try:
            async with bot.engine.connect():
                code, _, err = await vanguard(*restore, "--force")
        finally:
            await bot.dispose()
        assert code == 1 and "Vanguard sessions are connected to the database" in err
        code, out, err = await vanguard(*restore)
        assert code == 0, err
        restored = Database(url)
        try:
            async with restored.read() as session:
                numbers = list(await session.scalars(select(Issue.number).order_by(Issue.number)))
                paths = list(await session.scalars(select(Photo.local_path)))
        finally:
            await restored.dispose()
        assert numbers == list(range(1, ISSUES + 1)) and len(paths) == ISSUES
        for path in paths:
            assert path is not None and Path(path).parent.parent == tmp_path / "restored"
            assert Path(path).read_bytes() == photo_bytes(int(Path(path).stem[1:]))
        code, _, err = await vanguard(*restore)
        assert code == 1 and "pass --force to replace them" in err
