"""An issue's number is taken in its own INSERT from the group's counter, which a
trigger moves up (migration 0018): numbers per group never repeat, also when reports
in one group run at once (PostgreSQL), and the counter follows issues written with
their numbers (a restore, a seed)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import issues as store
from storage.db import Database
from storage.models import Counter, Issue, IssueEvent
from tests.test_issues_storage import NOW, report, setup


async def counter(db: Database, group_id: int) -> int | None:
    async with db.read() as session:
        return await session.scalar(
            select(Counter.last_number).where(Counter.group_id == group_id, Counter.kind == "issue")
        )


async def test_reports_at_once_in_one_group_get_different_numbers(database: Database) -> None:
    group = await setup(database)
    other = await setup(database, chat_id=-200)
    found = await asyncio.gather(
        *(report(database, group, start=1000 * n) for n in range(12)),
        *(report(database, other, start=1000 * n) for n in range(3)),
    )
    assert sorted(number for number, _ in found[:12]) == list(range(1, 13))
    assert sorted(number for number, _ in found[12:]) == [1, 2, 3]
    assert (await counter(database, group), await counter(database, other)) == (12, 3)


async def test_the_counter_follows_issues_written_with_their_number(database: Database) -> None:
    group = await setup(database)
    assert await counter(database, group) == 0  # made with the group
    assert (await report(database, group))[0] == 1
    async with database.transaction() as session:  # as a restore or a seed writes them
        for number in (7, 3):
            session.add(
                Issue(
                    group_id=group,
                    number=number,
                    description="x",
                    status="open",
                    reporter_id=2,
                    chat_id=-100,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    assert await counter(database, group) == 7  # up to the highest, never down
    assert (await report(database, group, start=50_000))[0] == 8


async def test_a_report_writes_its_reported_step(database: Database) -> None:
    group = await setup(database)
    async with database.transaction() as session:
        issue, event, _ = await store.report_issue(
            session, group, 2, -100, store.NewIssue("坑槽", "S272", 93_520), [], NOW
        )
    async with database.read() as session:
        steps = list(
            await session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue.id))
        )
    assert [(s.id, s.kind, s.actor_id) for s in steps] == [(event.id, "reported", 2)]
    assert (issue.number, issue.road, issue.stake_to, issue.status) == (1, "S272", 93_520, "open")
