"""What every benchmark case shares: settings, statistics, databases, the emulated world,
a reply tracker, an SQL statement counter, starting and stopping bots, RSS readings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import statistics
import subprocess
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from telegram.ext import AIORateLimiter

import bot as bot_package
from bot.app import VanguardApp, build_application
from bot.runner import Runner
from domain.clock import Clock
from domain.config import BotConfig, Config, DatabaseConfig, MediaConfig, Secret, TelegramConfig
from emulator.core import Call, EChat, EUser, TelegramEmulator
from emulator.transport import IN_PROCESS_API, IN_PROCESS_FILES, EmulatorRequest

ROOT = Path(bot_package.__file__).resolve().parent.parent  # the source tree under test
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation"}
)
SKIPPED_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

log = logging.getLogger("bench")


# ---------------------------------------------------------------------------- settings


def _env_int(name: str, default: int) -> int:
    """An integer from the environment (``BENCH_<NAME>``), else ``default``."""
    value = os.environ.get(f"BENCH_{name}")
    return int(value) if value else default


@dataclass
class Settings:
    """Sizes and repeats of every case; ``quick()`` gives a one-minute smoke run."""

    quick: bool = False
    repeats: int = 3  # figures measured this many times (median and spread)
    groups: int = 20  # throughput: groups
    members: int = 5  # throughput: members per group
    updates: int = 500  # throughput: updates per run
    sql_samples: int = 5  # sequential samples per command (SQL counts, idle latency)
    burst: int = 30  # fairness: commands group A sends at once
    burst_members: int = 15  # fairness: people in group A who send them
    big_issues: int = 100_000  # ×1000 case: issues of the big group
    small_issues: int = 100  # ×1000 case: issues of the small group
    data_samples: int = 5  # ×1000 case: timed samples per command
    export_repeats: int = 3
    summary_issues: int = 2_000  # /summary: issues reported in the month
    summary_photos: int = 300  # /summary: photos the report places (real JPEG files)
    summary_events: int = 100  # /summary: events held in the month
    summary_repeats: int = 3  # /summary: runs of each format, each in a fresh process
    private_messages: int = 1000  # broadcast: private chats
    group_messages: int = 200  # broadcast: groups
    startup_repeats: int = 3
    case_timeout: float = 1800.0  # seconds before a whole case is recorded as "timeout"
    sample_timeout: float = 120.0  # seconds one reply may take before "timeout"
    pg_url: str = ""
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    only: tuple[str, ...] = ()
    work: Path = field(default_factory=lambda: Path("/tmp"))

    @classmethod
    def quick_run(cls) -> Settings:
        """Small sizes: every case runs, in about a minute."""
        return cls(
            quick=True,
            repeats=2,
            groups=5,
            members=3,
            updates=60,
            sql_samples=2,
            burst=25,
            burst_members=8,
            big_issues=3_000,
            small_issues=30,
            data_samples=2,
            export_repeats=1,
            summary_issues=500,
            summary_photos=60,
            summary_events=20,
            summary_repeats=1,
            private_messages=60,
            group_messages=30,
            startup_repeats=1,
            case_timeout=300.0,
            sample_timeout=30.0,
        )

    def apply_env(self) -> None:
        """Let ``BENCH_<FIELD>`` environment variables override the sizes."""
        for name in (
            "repeats",
            "groups",
            "members",
            "updates",
            "sql_samples",
            "burst",
            "burst_members",
            "big_issues",
            "small_issues",
            "data_samples",
            "export_repeats",
            "summary_issues",
            "summary_photos",
            "summary_events",
            "summary_repeats",
            "private_messages",
            "group_messages",
            "startup_repeats",
        ):
            setattr(self, name, _env_int(name.upper(), getattr(self, name)))


# ---------------------------------------------------------------------------- statistics


def spread(values: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min, max and the quartiles of ``values`` (empty: only ``n``)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    if len(ordered) > 1:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "q1": round(q1, digits),
        "q3": round(q3, digits),
    }


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0–1) percentile of ``values``, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def git_commit() -> dict[str, Any]:
    """The commit of the tree under test (``BENCH_COMMIT`` wins) and whether it is dirty."""
    given = os.environ.get("BENCH_COMMIT")
    if given:
        return {"commit": given, "dirty": None}
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": head, "dirty": bool(status.strip())}


# ---------------------------------------------------------------------------- databases


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database file with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


@asynccontextmanager
async def database(kind: str, settings: Settings, name: str) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file under the work folder, or a new schema on
    PostgreSQL (``?search_path=``), dropped afterwards."""
    if kind == "sqlite":
        path = settings.work / f"{name}-{uuid.uuid4().hex[:6]}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            remove_sqlite(path)
        return
    if not settings.pg_url:
        raise RuntimeError("VANGUARD_TEST_PG_URL is not set")
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(settings.pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(settings.pg_url).update_query_dict({"search_path": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            async with admin.connect() as conn:
                await conn.execute(text("SET lock_timeout = '60s'"))
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        except Exception as exc:  # a bot left hanging may hold a lock: say so, go on
            log.warning("could not drop schema %s: %s", schema, exc)
        await admin.dispose()


def make_config(
    db_url: str,
    media: Path,
    emulator: TelegramEmulator,
    api: str = IN_PROCESS_API,
    files: str = IN_PROCESS_FILES,
) -> Config:
    """A config for a bot on ``emulator`` and ``db_url``."""
    return Config(
        telegram=TelegramConfig(
            token=Secret(emulator.token), api_base_url=api, file_base_url=files
        ),
        database=DatabaseConfig(url=db_url),
        bot=BotConfig(),
        media=MediaConfig(dir=media),
    )


def unthrottled() -> AIORateLimiter:
    """The rate limiter the tests use: retries a 429, never waits on its own."""
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2)


class OffsetClock(Clock):
    """Real time, moved forward by what :meth:`advance` added (to let a cache age)."""

    def __init__(self) -> None:
        """Real time, to begin with."""
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Real time plus the offset."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.offset += delta


async def start_vanguard(
    emulator: TelegramEmulator,
    db_url: str,
    media: Path,
    *,
    production_limits: bool = False,
    clock: Clock | None = None,
) -> tuple[VanguardApp, Runner]:
    """Vanguard's own composition root on the in-process emulator, started (polling).
    ``production_limits``: build_application's default rate limiter, else none."""
    config = make_config(db_url, media, emulator)
    app = build_application(
        config,
        request=EmulatorRequest(emulator),
        get_updates_request=EmulatorRequest(emulator),
        clock=clock,
        rate_limiter=None if production_limits else unthrottled(),
    )
    runner = Runner(app, config, poll_timeout=5)
    await runner.start()
    return app, runner


async def stop_quietly(runner: Runner, timeout: float = 30.0) -> None:
    """Stop a bot, giving up after ``timeout`` seconds (a hung bot is left behind)."""
    try:
        await asyncio.wait_for(runner.stop(), timeout)
    except Exception as exc:
        log.warning("the bot did not stop cleanly within %.0f s: %r", timeout, exc)


# ---------------------------------------------------------------------------- the world


@dataclass
class Group:
    """A group in the emulator: its chat, creator, admins and members (senders)."""

    chat: EChat
    creator: EUser
    admins: list[EUser]
    members: list[EUser]

    @property
    def id(self) -> int:
        """The chat id."""
        return self.chat.id

    @property
    def people(self) -> list[EUser]:
        """Everyone who writes in the group: creator, admins, members."""
        return [self.creator, *self.admins, *self.members]


def make_group(
    emulator: TelegramEmulator, title: str, members: int, admins: int = 1, bot_in: bool = False
) -> Group:
    """A group with a creator, ``admins`` admins and ``members`` plain members."""
    n = len(emulator.users)
    creator = emulator.add_user("书记", last_name=f"{n}", username=f"sec_{n}")
    chat = emulator.add_group(title, creator=creator)
    admin_users, member_users = [], []
    for index in range(admins):
        user = emulator.add_user("队长", last_name=f"{n}_{index}", username=f"cap_{n}_{index}")
        chat.members[user.id] = "administrator"
        admin_users.append(user)
    for index in range(members):
        user = emulator.add_user("工", last_name=f"{n}_{index}", username=f"w_{n}_{index}")
        chat.members[user.id] = "member"
        member_users.append(user)
    if bot_in:
        chat.members[emulator.bot.id] = "member"
    return Group(chat, creator, admin_users, member_users)


def push_add_bot(emulator: TelegramEmulator, group: Group) -> dict[str, Any]:
    """The creator adds the bot: ``my_chat_member`` and the service message (returned)."""
    old = emulator.member_dict(emulator.bot, group.chat.members.get(emulator.bot.id, "left"))
    group.chat.members[emulator.bot.id] = "member"
    emulator.push(
        "my_chat_member",
        {
            "chat": group.chat.to_api(emulator.users),
            "from": group.creator.to_api(),
            "date": emulator._now(),
            "old_chat_member": old,
            "new_chat_member": emulator.member_dict(emulator.bot, "member"),
        },
    )
    message = emulator.user_message(
        group.chat, group.creator, new_chat_members=[emulator.bot.to_api()]
    )
    emulator.push("message", message)
    return message


# ---------------------------------------------------------------------------- tracking


Key = tuple[int, int]  # (chat id, message id) of a message a person sent


class Tracker:
    """Times replies: when a person's message was pushed, when the bot's first message
    answering it was sent (through the emulator's ``on_call`` hook).

    A bot message that quotes the person's message answers it. One that quotes nothing
    answers the oldest unanswered message in its chat when ``unquoted`` is "oldest"; with
    "trailing" it is taken for a further message of an answer already given (the bot
    answers one chat's updates in order) and ignored for timing."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        """Track ``emulator``'s calls (replaces its ``on_call`` hook)."""
        self.emulator = emulator
        self.unquoted = "oldest"
        self.sent_at: dict[Key, float] = {}
        self.answered_at: dict[Key, float] = {}
        self.pending: dict[int, deque[Key]] = {}
        self.outputs: list[tuple[float, int, str, dict[str, Any]]] = []  # t, chat, method, msg
        self.last_output = 0.0
        self.method_counts: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        emulator.on_call = self._on_call

    def say(self, chat: EChat, user: EUser, text_: str) -> Key:
        """``user`` sends ``text_`` into ``chat`` now; returns the message's key."""
        message = self.emulator.user_message(chat, user, text=text_)
        key = (chat.id, int(message["message_id"]))
        self.pending.setdefault(chat.id, deque()).append(key)
        self.sent_at[key] = time.perf_counter()
        self.emulator.push("message", message)
        return key

    def expect(self, message: dict[str, Any]) -> Key:
        """Track an answer to a message pushed by other means (e.g. the bot's arrival)."""
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        self.pending.setdefault(key[0], deque()).append(key)
        self.sent_at[key] = time.perf_counter()
        return key

    def latency(self, key: Key) -> float | None:
        """Seconds from push to the first answer; None while unanswered."""
        done = self.answered_at.get(key)
        return None if done is None else done - self.sent_at[key]

    def outputs_in(self, chat_id: int, since: float) -> list[tuple[float, str, dict[str, Any]]]:
        """Bot messages in ``chat_id`` sent after ``since`` (perf_counter)."""
        return [(t, m, msg) for t, c, m, msg in self.outputs if c == chat_id and t >= since]

    async def wait(self, keys: Sequence[Key], timeout: float) -> bool:
        """Wait until every one of ``keys`` has been answered (False on timeout)."""
        return await self.emulator.wait_for(
            lambda: all(k in self.answered_at for k in keys), timeout
        )

    async def wait_quiet(
        self, sql: SqlCounter | None, quiet: float = 0.15, cap: float = 10.0
    ) -> None:
        """Wait until neither a bot message nor (with ``sql``) a statement came for
        ``quiet`` seconds (at most ``cap`` seconds)."""
        began = time.perf_counter()
        while time.perf_counter() - began < cap:
            last = max(self.last_output, sql.last if sql is not None else 0.0)
            idle = time.perf_counter() - last
            if idle >= quiet:
                return
            await asyncio.sleep(quiet - idle + 0.005)

    def _on_call(self, call: Call) -> None:
        """Count the call; time the bot messages it sent."""
        self.method_counts[call.method] = self.method_counts.get(call.method, 0) + 1
        if call.error is not None:
            name = f"{call.method}:{call.error.code}"
            self.errors[name] = self.errors.get(name, 0) + 1
            return
        if call.method not in SEND_METHODS or call.result is None:
            return
        now = time.perf_counter()
        self.last_output = now
        results = call.result if isinstance(call.result, list) else [call.result]
        for message in results:
            chat_id = int(message["chat"]["id"])
            self.outputs.append((now, chat_id, call.method, message))
            self._answer(chat_id, message, now)

    def _answer(self, chat_id: int, message: dict[str, Any], now: float) -> None:
        """Take ``message`` as the answer to a pending message of ``chat_id``, if any."""
        queue = self.pending.get(chat_id)
        if not queue:
            return
        quoted = (message.get("reply_to_message") or {}).get("message_id")
        if quoted is not None:
            key = (chat_id, int(quoted))
            if key in self.answered_at or key not in self.sent_at:
                return
            self.answered_at[key] = now
            with contextlib.suppress(ValueError):
                queue.remove(key)
            return
        if self.unquoted == "oldest":
            key = queue.popleft()
            self.answered_at[key] = now


class SqlCounter:
    """Counts the SQL statements every engine in this process runs (BEGIN, COMMIT,
    SAVEPOINT, PRAGMA … left out), while installed."""

    def __init__(self) -> None:
        """Nothing counted yet."""
        self.count = 0
        self.last = 0.0
        self.texts: list[str] = []
        self.keep_texts = False

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Count one statement (SQLAlchemy's ``before_cursor_execute`` event)."""
        if statement.lstrip().upper().startswith(SKIPPED_SQL):
            return
        self.count += 1
        self.last = time.perf_counter()
        if self.keep_texts:
            self.texts.append(statement)

    @contextlib.contextmanager
    def installed(self) -> Iterator[SqlCounter]:
        """Listen on every Engine while the block runs."""
        event.listen(Engine, "before_cursor_execute", self._on_execute)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._on_execute)


# ---------------------------------------------------------------------------- processes


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (kB) of a process from /proc."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[name] = int(value.split()[0])
    except OSError:
        pass
    return found


def tree_rss_kb(pid: int | str = "self") -> int:
    """VmRSS (kB) of a process and all its descendants (a worker process counts too)."""
    total = proc_status(pid).get("VmRSS", 0)
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return total
    for task in tasks:
        try:
            children = (task / "children").read_text(encoding="ascii").split()
        except OSError:
            continue
        for child in children:
            total += tree_rss_kb(int(child))
    return total


def child_env() -> dict[str, str]:
    """The environment for a subprocess that must import the tree under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return env


def outcome(error: BaseException) -> dict[str, Any]:
    """A failed or timed-out measurement as a result."""
    if isinstance(error, TimeoutError):
        return {"status": "timeout"}
    return {"status": "failed", "error": f"{type(error).__name__}: {str(error)[:300]}"}
