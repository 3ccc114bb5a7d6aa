"""Inspection-issue rules in storage, on a real database."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Refused, UnknownNumber, WrongStatus
from storage import issue_reads, issue_roster
from storage import issues as store
from storage.db import Database, is_sqlite
from storage.groups import GroupDefaults, ensure_group
from storage.issue_view import issue_view
from storage.members import PersonInfo, ensure_member
from storage.models import ISSUE_ORDER, Issue
from storage.photos import PhotoInfo

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
T = TypeVar("T")
TODAY = date(2026, 11, 28)
AFTER = [PhotoInfo("after-1", "u-after-1")]


async def setup(db: Database, chat_id: int = -100) -> int:
    async with db.transaction() as session:
        group = await ensure_group(session, chat_id, "养护一班", "group", GroupDefaults(), NOW)
        for uid in (1, 2, 3):
            await ensure_member(session, PersonInfo(uid, f"队员{uid}"), NOW)
        return group.id


async def report(
    db: Database,
    group_id: int,
    text: str = "护栏缺损",
    road: str | None = "S272",
    start: int | None = 93520,
    end: int | None = None,
    when: datetime = NOW,
    reporter: int = 2,
) -> tuple[int, list[int]]:
    async with db.transaction() as session:
        issue, _, nearby = await store.report_issue(
            session, group_id, reporter, -100, store.NewIssue(text, road, start, end), [], when
        )
        return issue.number, [i.number for i in nearby]


async def numbers(
    session: AsyncSession,
    group_id: int,
    which: str,
    user_id: int = 2,
    *,
    offset: int = 0,
    limit: int = 100,
) -> list[int]:
    """The issue numbers one page of a list shows, in order."""
    rows = await issue_reads.list_page(
        session, group_id, which, user_id, TODAY, offset=offset, limit=limit
    )
    return [issue.number for issue, _ in rows]


async def test_possible_duplicates_within_50_metres_on_the_same_road(database: Database) -> None:
    group_id = await setup(database)
    assert await report(database, group_id, start=93520) == (1, [])
    assert await report(database, group_id, start=93570) == (2, [1])  # 50 m: still close
    assert await report(database, group_id, start=93621) == (3, [])  # 51 m from #2
    assert await report(database, group_id, road="G325", start=93520) == (4, [])
    assert await report(database, group_id, start=93400, end=93600) == (
        5,
        [1, 2, 3],
    )  # a range, 21 m from #3
    assert await report(database, group_id, road=None, start=None) == (6, [])


async def test_verified_issues_are_not_duplicates(database: Database) -> None:
    group_id = await setup(database)
    await report(database, group_id)
    async with database.transaction() as session:
        issue = await store.get_issue(session, group_id, 1)
        issue, _ = await store.mark_fixed(session, issue, 2, False, "", AFTER, NOW)
        await store.verify(session, issue, 1, NOW)
    assert await report(database, group_id) == (2, [])


async def test_life_cycle_rules(database: Database) -> None:
    group_id = await setup(database)
    await report(database, group_id, reporter=2)
    async with database.transaction() as session:
        issue = await store.get_issue(session, group_id, 1)
        with pytest.raises(WrongStatus):
            await store.verify(session, issue, 1, NOW)
        issue = await store.assign(session, issue, 3, TODAY + timedelta(days=3), 1, NOW)
        assert (issue.status, issue.assignee_id) == ("assigned", 3)
        with pytest.raises(Refused, match="needs_photo"):
            await store.mark_fixed(session, issue, 3, False, "", [], NOW)
    async with database.transaction() as session:
        issue = await store.get_issue(session, group_id, 1)
        with pytest.raises(Refused, match="not_allowed_fix"):
            await store.mark_fixed(
                session, issue, 1, False, "", AFTER, NOW
            )  # not assignee/reporter
        issue, _ = await store.mark_fixed(session, issue, 3, False, "换了立柱", AFTER, NOW)
        with pytest.raises(WrongStatus):
            await store.assign(session, issue, 2, None, 1, NOW)
        issue = await store.verify(session, issue, 1, NOW + timedelta(hours=1))
        assert issue.status == "verified" and issue.verified_at is not None
        issue = await store.reopen(session, issue, 1, "又松了", NOW + timedelta(days=1))
        assert issue.status == "open" and issue.fixed_at is None and issue.verified_at is None
        detail = await issue_view(session, group_id, issue.number)
    assert [e.kind for e in detail.events] == [
        "reported",
        "assigned",
        "fixed",
        "verified",
        "reopened",
    ]
    assert [p.file_unique_id for p in detail.after] == ["u-after-1"]


async def test_close_as_duplicate(database: Database) -> None:
    group_id = await setup(database)
    await report(database, group_id)
    await report(database, group_id, start=93540)
    async with database.transaction() as session:
        first = await store.get_issue(session, group_id, 1)
        second = await store.get_issue(session, group_id, 2)
        with pytest.raises(Refused, match="self_duplicate"):
            await store.verify(session, first, 1, NOW, first)
        closed = await store.verify(session, second, 1, NOW, first)
        detail = await issue_view(session, group_id, closed.number)
        total = await issue_reads.counts(session, group_id, TODAY)
    assert closed.status == "verified" and detail.duplicate_of == 1
    assert total.found == 1  # duplicates are not counted twice


async def test_lists_filters_order_and_counts(database: Database) -> None:
    group_id = await setup(database)
    await report(database, group_id, road="S272", start=93520)
    await report(database, group_id, road="G325", start=5000)
    await report(database, group_id, road="S272", start=1000)
    await report(database, group_id, road=None, start=None, reporter=3)
    async with database.transaction() as session:
        issue = await store.get_issue(session, group_id, 1)
        await store.assign(session, issue, 3, TODAY - timedelta(days=1), 1, NOW)
        issue = await store.get_issue(session, group_id, 2)
        issue, _ = await store.mark_fixed(session, issue, 2, False, "", AFTER, NOW)
        await store.verify(session, issue, 1, NOW)
        order = await numbers(session, group_id, "open")
        every = await numbers(session, group_id, "all")
        overdue = await numbers(session, group_id, "overdue")
        mine = await numbers(session, group_id, "mine", 3)
        road = await numbers(session, group_id, "S272")
        total = await issue_reads.counts(session, group_id, TODAY)
        assigned = await issue_roster.open_assigned(session, group_id)
    assert order == [3, 1, 4]  # S272 by stake, then no road
    assert every == [2, 3, 1, 4]  # G325 before S272
    assert overdue == [1]
    assert mine == [1, 4]
    assert road == [3, 1]
    assert (total.found, total.fixed, total.verified, total.overdue) == (4, 1, 1, 1)
    assert assigned == {3: issue_roster.Held([1], 1)}


async def test_location_attaches_within_the_window_only(database: Database) -> None:
    group_id = await setup(database)
    await report(database, group_id, when=NOW)
    async with database.transaction() as session:
        late = await store.attach_location(
            session, -100, 2, 23.1, 113.2, NOW + timedelta(minutes=1), NOW
        )
        other = await store.attach_location(
            session, -100, 3, 23.1, 113.2, NOW - timedelta(minutes=2), NOW
        )
        found = await store.attach_location(
            session, -100, 2, 23.1, 113.2, NOW - timedelta(minutes=2), NOW
        )
    assert late is None and other is None
    assert found is not None and found.number == 1 and found.latitude == 23.1


async def test_a_prompt_is_one_per_person_and_chat(database: Database) -> None:
    from domain.kinds import PromptKind
    from storage.prompts import drop_prompt, get_prompt, set_prompt

    group_id = await setup(database)
    await report(database, group_id)
    async with database.transaction() as session:
        issue = await store.get_issue(session, group_id, 1)
        wait = {"issue_id": issue.id, "note": "换了"}
        await set_prompt(session, -100, 2, PromptKind.FIX_PHOTO, wait, NOW)
        found = await get_prompt(session, -100, 2)
        assert found is not None and found.kind == PromptKind.FIX_PHOTO
        assert found.data == wait and found.since == NOW
        assert await get_prompt(session, -200, 2) is None  # another chat: nothing waits
        await set_prompt(session, -100, 2, PromptKind.REPORT, {"step": "photos"}, NOW)
        replaced = await get_prompt(session, -100, 2)
        assert replaced is not None and replaced.kind == PromptKind.REPORT
        assert not await drop_prompt(session, -100, 2, PromptKind.FIX_PHOTO)
        assert await drop_prompt(session, -100, 2)
        assert await get_prompt(session, -100, 2) is None


async def test_unknown_issue_numbers(database: Database) -> None:
    group_id = await setup(database)
    other = await setup(database, chat_id=-200)
    await report(database, group_id)
    async with database.transaction() as session:
        with pytest.raises(UnknownNumber):
            await store.get_issue(session, other, 1)


async def recount(session: AsyncSession, group_id: int) -> tuple[int, int, int, int, int]:
    """found, fixed, verified, all, unverified: counted from the rows themselves."""
    rows = list(await session.scalars(select(Issue).where(Issue.group_id == group_id)))
    original = [i for i in rows if i.duplicate_of_id is None]
    return (
        len(original),
        sum(i.status in ("fixed", "verified") for i in original),
        sum(i.status == "verified" for i in original),
        len(rows),
        sum(i.status != "verified" for i in rows),
    )


Step = Callable[[AsyncSession], Awaitable[object]]


def tallied(total: issue_reads.IssueCounts) -> tuple[int, int, int, int, int]:
    return (total.found, total.fixed, total.verified, total.total, total.unverified)


async def test_tallies_match_the_rows_through_every_change(database: Database) -> None:
    group_id = await setup(database)
    other_id = await setup(database, chat_id=-200)
    for stake in (100, 120, 5000, 9000, 20000):
        await report(database, group_id, start=stake)
    await report(database, other_id)
    steps: list[Callable[[AsyncSession, Issue], Awaitable[object]]] = [
        lambda s, i: store.assign(s, i, 3, None, 1, NOW),
        lambda s, i: store.mark_fixed(s, i, 3, False, "", AFTER, NOW),
        lambda s, i: store.verify(s, i, 1, NOW),
        lambda s, i: store.reopen(s, i, 1, "又坏了", NOW),
    ]
    for step in steps:
        async with database.transaction() as session:
            await step(session, await store.get_issue(session, group_id, 1))
            assert tallied(await issue_reads.counts(session, group_id, TODAY)) == await recount(
                session, group_id
            )
    async with database.transaction() as session:
        original = await store.get_issue(session, group_id, 1)
        await store.verify(session, await store.get_issue(session, group_id, 2), 1, NOW, original)
        fixed = await store.get_issue(session, group_id, 3)
        fixed, _ = await store.mark_fixed(session, fixed, 2, False, "", AFTER, NOW)
        await store.verify(session, fixed, 1, NOW, original)  # a fixed one closed as duplicate
        assert tallied(await issue_reads.counts(session, group_id, TODAY)) == await recount(
            session, group_id
        )
        await store.reopen(session, await store.get_issue(session, group_id, 2), 1, "不是", NOW)
        assert tallied(await issue_reads.counts(session, group_id, TODAY)) == await recount(
            session, group_id
        )
        assert tallied(await issue_reads.counts(session, other_id, TODAY)) == (1, 0, 0, 1, 1)
    async with database.transaction() as session:
        await session.execute(delete(Issue).where(Issue.group_id == group_id, Issue.number == 5))
        assert tallied(await issue_reads.counts(session, group_id, TODAY)) == await recount(
            session, group_id
        )


async def test_pages_together_are_the_whole_list(database: Database) -> None:
    group_id = await setup(database)
    for n in range(23):
        await report(database, group_id, road=("S272", "G325", None)[n % 3], start=n * 1000)
    async with database.transaction() as session:
        whole = await numbers(session, group_id, "all")
        paged = []
        for offset in range(0, 30, 7):
            paged += await numbers(session, group_id, "all", offset=offset, limit=7)
    assert paged == whole and sorted(whole) == list(range(1, 24))


async def _issue(session: AsyncSession, group_id: int, number: int) -> Issue:
    return await store.get_issue(session, group_id, number)


async def test_mine_and_overdue_page_in_order_without_repeats(database: Database) -> None:
    group_id = await setup(database)
    for n in range(30):  # 3 reports every third; some reported by 3 are also theirs to fix
        road = ("S272", "G325", None)[n % 3]
        await report(
            database, group_id, road=road, start=(n * 7919) % 30000, reporter=2 + n % 3 // 2
        )
    async with database.transaction() as session:
        for number in range(1, 31, 2):
            late = TODAY - timedelta(days=1 + number % 2) if number % 4 == 1 else TODAY
            await store.assign(session, await _issue(session, group_id, number), 3, late, 1, NOW)
        fixed, _ = await store.mark_fixed(
            session, await _issue(session, group_id, 5), 3, False, "", AFTER, NOW
        )
        await store.verify(session, fixed, 1, NOW)
    async with database.read() as session:
        for which in ("mine", "overdue"):
            where = [Issue.group_id == group_id]
            if which == "mine":
                where += [
                    Issue.status != "verified",
                    or_(Issue.assignee_id == 3, Issue.reporter_id == 3),
                ]
            else:
                where += [Issue.status.in_(["open", "assigned"]), Issue.deadline < TODAY]
            plain = list(
                await session.scalars(select(Issue.number).where(*where).order_by(*ISSUE_ORDER))
            )
            paged: list[int] = []
            for offset in range(0, 35, 6):
                paged += await numbers(session, group_id, which, 3, offset=offset, limit=6)
            assert paged == plain and len(set(plain)) == len(plain) > 6, which
        head = await issue_reads.counts(session, group_id, TODAY)
        mine = await issue_reads.count_matching(session, group_id, "mine", 3, TODAY, head)
        assert mine == len(await numbers(session, group_id, "mine", 3))


async def test_the_one_statement_view_shows_what_the_register_reads(database: Database) -> None:
    """``/issue N`` reads in one statement what the register reads in four: the same
    history (in order), people, before and after photos and duplicate's number."""
    group_id = await setup(database)
    other = await setup(database, chat_id=-200)
    before = [PhotoInfo("before-1", "u-before-1"), PhotoInfo("before-2", "u-before-2")]
    async with database.transaction() as session:
        await store.report_issue(
            session, group_id, 2, -100, store.NewIssue("护栏缺损", "S272", 93520, None), before, NOW
        )
    async with database.transaction() as session:
        first = await store.get_issue(session, group_id, 1)
        await store.assign(session, first, 3, TODAY, 1, NOW)
        first, _ = await store.mark_fixed(session, first, 3, False, "换了立柱", AFTER, NOW)
        await store.reopen(session, first, 1, "又松了", NOW + timedelta(days=1))
    await report(database, group_id, start=93540)
    async with database.transaction() as session:
        second = await store.get_issue(session, group_id, 2)
        await store.verify(session, second, 1, NOW, await store.get_issue(session, group_id, 1))
    for number in (1, 2):
        async with database.read() as session:
            view = await issue_view(session, group_id, number)
            old = (
                await issue_reads.details(
                    session, [await store.get_issue(session, group_id, number)]
                )
            )[0]
        assert (view.issue.number, view.issue.status) == (number, old.issue.status)
        assert [e.id for e in view.events] == [e.id for e in old.events]
        assert sorted(view.people) == sorted(old.people)
        assert [p.file_unique_id for p in view.before] == [p.file_unique_id for p in old.before]
        assert [p.file_unique_id for p in view.after] == [p.file_unique_id for p in old.after]
        assert view.duplicate_of == old.duplicate_of
    assert [e.kind for e in view.events] == ["reported", "duplicate"] and view.duplicate_of == 1
    async with database.read() as session:
        first_view = await issue_view(session, group_id, 1)
        for group, number in ((group_id, 3), (other, 1), (group_id, 2**63), (group_id, 0)):
            with pytest.raises(UnknownNumber):
                await issue_view(session, group, number)
    assert [e.kind for e in first_view.events] == [
        "reported",
        "assigned",
        "fixed",
        "reopened",
    ]
    assert [p.file_unique_id for p in first_view.before] == ["u-before-1", "u-before-2"]
    assert [p.file_unique_id for p in first_view.after] == ["u-after-1"]
    assert sorted(first_view.people) == [1, 2, 3] and first_view.issue.status == "open"


async def test_two_admins_merging_two_issues_into_each_other_at_once_take_turns(
    database: Database,
) -> None:
    """On PostgreSQL two transactions run side by side: the second merge waits for the
    first and is refused (both passing would leave #1 and #2 each the other's duplicate,
    the problem counted nowhere)."""
    if is_sqlite(database.url):
        pytest.skip("SQLite has one writer: the second merge cannot start before the first ends")
    group_id = await setup(database)
    await report(database, group_id)
    await report(database, group_id, "同一处护栏")

    async def merge(number: int, into: int) -> None:
        async with database.transaction() as session:
            issue = await store.get_issue(session, group_id, number)
            original = await store.get_issue(session, group_id, into)
            await store.verify(session, issue, 1, NOW, original)

    async with database.transaction() as first:  # #1 into #2, not yet committed
        issue = await store.get_issue(first, group_id, 1)
        await store.verify(first, issue, 1, NOW, await store.get_issue(first, group_id, 2))
        pid = await first.scalar(text("SELECT pg_backend_pid()"))
        second = outside(merge(2, 1))  # #2 into #1, meanwhile
        for _ in range(500):  # a ceiling: until it waits for the first's lock, or ends
            if second.done() or await outside(_blocked_by(database, pid)):
                break
            await asyncio.sleep(0.01)
    with pytest.raises(Refused) as refused:
        await second
    assert refused.value.key == "issue.duplicate_of_duplicate"
    async with database.read() as session:
        rows = await session.execute(
            select(Issue.number, Issue.duplicate_of_id).where(Issue.group_id == group_id)
        )
        merged = {number: of for number, of in rows}
    assert merged[1] is not None and merged[2] is None  # #1 merged into #2, and only that


def outside(work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """``work`` as a task of its own, outside the caller's open transaction."""
    return asyncio.create_task(work, context=contextvars.Context())


async def _blocked_by(database: Database, pid: int) -> bool:
    """Whether a session waits for a lock that session ``pid`` holds."""
    async with database.read() as session:
        waiting = await session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
            {"pid": pid},
        )
    return bool(waiting)
