"""Cost stays flat as data grows: every query the main commands run has an index behind
it (no full scan of a table that grows with use, on SQLite or PostgreSQL), and each
command runs a small, fixed number of SQL statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from handlers.context import Ctx
from handlers.schedule.sweep import run_sweep
from storage.db import Database
from storage.photos import pending_downloads
from tests.conftest import Cast, Harness

# tables whose rows grow with every report, claim and message
BIG_TABLES = (
    "issues",
    "issue_events",
    "issue_tallies",
    "issue_assignee_tallies",
    "volunteer_tallies",
    "photos",
    "albums",
    "album_parts",
    "topics",
    "topic_events",
    "topic_claims",
    "ratings",
    "milestones",
    "processed_updates",
    "members",
    "memberships",
    "prompts",
    "pending_commands",
    "events",
    "event_signups",
    "outbox",
    "deliveries",
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SKIPPED = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SET|SHOW|select pg_)", re.I
)


class Statements:
    """SQL statements the bot ran (not transaction control), with their parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not SKIPPED.match(statement):
            self.seen.append((statement, parameters))

    def take(self) -> list[tuple[str, Any]]:
        """What was run since the last call."""
        seen, self.seen = self.seen, []
        return seen


@contextmanager
def recording(db: Database) -> Iterator[Statements]:
    """Record the statements run on the database's engines."""
    statements = Statements()
    engines = [engine.sync_engine for engine in db.engines()]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statements)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statements)


async def full_scans(db: Database, statements: list[tuple[str, Any]]) -> list[str]:
    """The plan lines that read a whole big table, for each query that has one."""
    found = []
    async with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        partial: set[str] = set()  # reading all of a partial index reads only its rows
        if postgres:
            # with sequential scans priced out, one shows only where no index can serve
            await conn.exec_driver_sql("SET enable_seqscan = off")
        else:
            rows = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
            )
            partial = {name for (name,) in rows}
        for statement, parameters in statements:
            if not re.match(r"^\s*(SELECT|UPDATE|DELETE|WITH)", statement, re.I):
                continue
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            result = await conn.exec_driver_sql(prefix + statement, parameters)
            for row in result:
                line = str(row[0] if postgres else row[-1])
                if postgres:
                    match = re.search(r"Seq Scan on (\w+)", line)
                else:
                    match = re.match(r"SCAN (\w+)", line)
                    index = re.search(r"USING (?:COVERING )?INDEX (\w+)", line)
                    if match and index and index.group(1) in partial:
                        match = None
                if match and match.group(1) in BIG_TABLES:
                    found.append(f"{line.strip()}  ←  {' '.join(statement.split())[:300]}")
        await conn.rollback()
    return found


async def run(harness: Harness, cast: Cast, text: str) -> None:
    await cast.group.say(cast.worker, text)
    await cast.group.next_reply()
    await harness.world.settle()


COMMANDS = [
    pytest.param("/help", id="help"),
    pytest.param("/topics", id="topics"),
    pytest.param("/wall", id="wall"),
    pytest.param("/issues", id="issues"),
    pytest.param("/issues all", id="issues-all"),
    pytest.param("/issues overdue", id="issues-overdue"),
    pytest.param("/issues mine", id="issues-mine"),
    pytest.param("/issues S272", id="issues-road"),
    pytest.param("/issue 2", id="issue"),
    pytest.param("/report S272 K93+530 坑槽 cat:guardrail", id="report"),
    pytest.param("/assign 1 me", id="assign"),
    pytest.param("/claim 1", id="claim"),
    pytest.param("/members", id="members"),
    pytest.param("/events", id="events"),
    pytest.param("/events past", id="events-past"),
    pytest.param("/event 1", id="event"),
    pytest.param("/join 1", id="join"),
    pytest.param("/attendance 1", id="attendance"),
    pytest.param("/hours", id="hours"),
    pytest.param("/hours year", id="hours-year"),
    pytest.param("/hours all", id="hours-all"),
    pytest.param("/hours me", id="hours-me"),
    pytest.param("/hours @wang_shuji", id="hours-person"),
    pytest.param("/briefing", id="briefing"),
]


async def seed(harness: Harness, cast: Cast) -> None:
    """A few topics and issues, so that every command has rows to look at."""
    for text in ("/newtopic 中东桥加固", "/newtopic S272 路口改造"):
        await cast.group.say(cast.secretary, text)
        await cast.group.next_reply()
    for stake in ("K93+520", "K94+100", "K12+000"):
        await cast.group.say(cast.worker, f"/report S272 {stake} 护栏缺损 cat:guardrail")
        await cast.group.next_reply()
    await cast.group.say(cast.worker, "/report 路灯不亮")
    await cast.group.next_reply()
    tomorrow = (harness.clock.now() + timedelta(days=1)).date().isoformat()
    await cast.group.say(cast.secretary, f"/newevent volunteer {tomorrow} 09:00 清扫 cap:5")
    await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/join 1")
    await cast.group.next_reply()
    await harness.idle()  # the announcement's count edited: nothing of it in what is counted


@pytest.mark.parametrize("text", COMMANDS)
async def test_main_commands_never_scan_a_growing_table(
    harness: Harness, cast: Cast, text: str
) -> None:
    await seed(harness, cast)
    db = harness.app.bot_data.db
    assert db is not None
    with recording(db) as statements:
        await run(harness, cast, text)
        seen = statements.take()
    assert seen, "the command ran no SQL at all: the recorder is not attached"
    assert await full_scans(db, seen) == []


async def test_the_morning_sweep_never_scans_a_growing_table(harness: Harness, cast: Cast) -> None:
    await seed(harness, cast)
    await cast.group.say(cast.secretary, "/assign 1 me " + _days_ahead(harness, 1))
    await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    morning = datetime.combine(
        harness.clock.now().astimezone(SHANGHAI).date() + timedelta(days=1), time(8), SHANGHAI
    )
    harness.clock.set(morning - timedelta(hours=1))  # the event's reminders, then the morning
    with recording(db) as statements:
        await run_sweep(Ctx(harness.app))
        harness.clock.set(morning)
        await run_sweep(Ctx(harness.app))
        await harness.world.settle()
        seen = statements.take()
    assert any("INSERT INTO deliveries" in s for s, _ in seen)
    assert await full_scans(db, seen) == []
    harness.emulator.mark_all_read()


def _days_ahead(harness: Harness, days: int) -> str:
    return (harness.clock.now().astimezone(SHANGHAI).date() + timedelta(days=days)).isoformat()


# each command's statements now (the ceiling was six for every one): a change that
# adds a statement to one of them shows here
BUDGETS = [
    pytest.param("/help", 2, id="help"),
    pytest.param("/topics", 4, id="topics"),
    pytest.param("/issues", 3, id="issues"),  # the page carries the counts
    pytest.param("/report S272 K93+530 坑槽 cat:guardrail", 6, id="report"),
    pytest.param("/join 1", 5, id="join"),
    pytest.param("/issue 2", 3, id="issue"),  # the issue, its history and photos: one read
]


@pytest.mark.parametrize(("text", "budget"), BUDGETS)
async def test_common_commands_run_at_most_six_statements(
    harness: Harness, cast: Cast, text: str, budget: int
) -> None:
    await seed(harness, cast)
    await run(harness, cast, "/help")  # the person is known and seen this hour
    db = harness.app.bot_data.db
    assert db is not None
    with recording(db) as statements:
        await cast.group.say(cast.worker, text)
        reply = await cast.group.next_reply()
        await harness.world.settle()  # (an update that wrote nothing is recorded by now)
        seen = statements.take()
    assert not reply.text.startswith("用法")  # the command itself ran, not its usage line
    assert "已经报名" not in reply.text  # nor a refusal
    # a reply that follows from a change is written to the outbox with it, taken for
    # sending by that insert (counted with the command, as is the stand-in of a reply
    # sent at once); the sender marks it sent: one update (the sender's sweep, every two
    # seconds of real time, may read what is due meanwhile)
    seen = [(s, p) for s, p in seen if not " ".join(s.split()).startswith("SELECT outbox.id")]
    sender = [s for s, _ in seen if " ".join(s.split()).startswith("UPDATE outbox")]
    command = [(s, p) for s, p in seen if " ".join(s.split())[:13] != "UPDATE outbox"]
    listing = "\n".join(" ".join(s.split())[:160] for s, _ in seen)
    writes_to_outbox = any("INSERT INTO outbox" in s for s, _ in command)
    assert len(command) <= budget <= 6, listing
    assert len(sender) <= writes_to_outbox, listing


async def test_the_scan_detector_sees_a_full_scan(database: Database) -> None:
    # a filter on a column without an index must be reported, or the tests above prove
    # nothing
    found = await full_scans(database, [("SELECT id FROM issues WHERE description = 'x'", ())])
    assert len(found) == 1 and "issues" in found[0]


async def test_the_photo_download_queue_reads_an_index(database: Database) -> None:
    with recording(database) as statements:
        async with database.read() as session:
            await pending_downloads(session)
        seen = statements.take()
    assert seen and await full_scans(database, seen) == []


@pytest.mark.parametrize("text", ["/summary {month}", "/summary {month} xlsx"])
async def test_the_monthly_report_never_scans_a_growing_table(
    harness: Harness, cast: Cast, text: str
) -> None:
    await seed(harness, cast)
    await cast.group.say(cast.secretary, "/assign 1 me " + _days_ahead(harness, 0))
    await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    month = harness.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
    with recording(db) as statements:
        await cast.group.say(cast.secretary, text.format(month=month))
        assert "document" in (await cast.group.next_reply()).raw
        await harness.world.settle()
        seen = statements.take()
    assert any("issues" in s for s, _ in seen)
    assert await full_scans(db, seen) == []


async def plans(db: Database, statements: list[tuple[str, Any]]) -> list[list[str]]:
    """Each query's plan, a line a node: SQLite's EXPLAIN QUERY PLAN as ``parent id
    detail``; PostgreSQL's EXPLAIN as printed (indented), sequential scans priced out."""
    found = []
    async with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if not re.match(r"^\s*(SELECT|WITH)", statement, re.I):
                continue
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = await conn.exec_driver_sql(prefix + statement, parameters)
            found.append([str(r[0]) if postgres else "{1} {0} {3}".format(*r) for r in rows])
        await conn.rollback()
    return found


def read_in_order(plan: list[str], index: str) -> bool:
    """Whether the plan reads ``index`` and takes its rows in the index's order, no sort
    between the read and the LIMIT that stops it (so a page costs a page): on SQLite no
    temporary B-tree for the ORDER BY beside the read; on PostgreSQL the read's parent
    node is the Limit."""
    for n, line in enumerate(plan):
        if index not in line:
            continue
        if re.match(r"^\d+ \d+ ", line):  # SQLite: "parent id detail"
            parent = line.split()[0]
            if not any(
                other.split()[0] == parent and "TEMP B-TREE FOR ORDER BY" in other for other in plan
            ):
                return True
            continue
        depth = len(line) - len(line.lstrip(" ->"))
        above = [p for p in plan[:n] if "->" in p and len(p) - len(p.lstrip(" ->")) < depth]
        parent = above[-1] if above else plan[0]
        if parent.strip(" ->").startswith("Limit"):
            return True
    return False


# where a read must go so that it stays flat however long the group's history: the
# tallies (volunteer minutes, issues held) rather than the sign-ups and issues, and the
# issue lists' pages off indexes in order; and (SQLite: PostgreSQL picks among a group's
# indexes by statistics that a test database of a few rows does not have) the events
# still running by their end, never the group's events by their start or a person's
# sign-ups
RUNNING = "ix_events_group_end"
UPCOMING = "ix_events_group_start (group_id=? AND starts_at>?)"
HISTORY = ["ix_event_signups_user", "ix_events_group_start", "ix_events_start"]
HISTORY_PATHS = [
    pytest.param(
        "/members",
        ["volunteer_tallies", "issue_assignee_tallies", RUNNING],
        ["ix_issues_unresolved_assignee"],
        HISTORY,
        id="members",
    ),
    pytest.param("/hours all", ["volunteer_tallies", RUNNING], [], HISTORY, id="hours-all"),
    pytest.param("/hours year", ["volunteer_tallies"], [], [], id="hours-year"),
    pytest.param("/hours me", ["volunteer_tallies"], [], [], id="hours-me"),
    pytest.param(
        "/issues mine",
        [],
        ["ix_issues_open_assignee_order", "ix_issues_open_reporter_order"],
        [],
        id="issues-mine",
    ),
    pytest.param("/issues overdue", [], ["ix_issues_deadline_order"], [], id="issues-overdue"),
    # the events not yet ended, in order of start from a day ago: not the group's past
    pytest.param("/events", [UPCOMING], [], [], id="events"),
]


@pytest.mark.parametrize(("text", "reads", "in_order", "never"), HISTORY_PATHS)
async def test_reads_over_a_groups_history_are_bounded(
    harness: Harness, cast: Cast, text: str, reads: list[str], in_order: list[str], never: list[str]
) -> None:
    await seed(harness, cast)
    await run(harness, cast, "/assign 1 me " + _days_ahead(harness, 1))  # an issue held
    db = harness.app.bot_data.db
    assert db is not None
    with recording(db) as statements:
        await run(harness, cast, text)
        found = await plans(db, statements.take())
    lines = "\n".join(line for plan in found for line in plan)
    if db.engine.dialect.name != "sqlite":
        reads, never = [name for name in reads if name not in (RUNNING, UPCOMING)], []
    assert found and all(name in lines for name in reads), lines
    assert all(any(read_in_order(plan, name) for plan in found) for name in in_order), lines
    assert not [name for name in never if name in lines], lines
