"""The tallies the database keeps of a group's issues as they change (triggers on
``issues``): the roster's (unresolved issues each person holds) and ``/issues mine``'s
(issues not yet verified each person reported or holds), each checked against a count
of the issues after every step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import delete, func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import issue_reads, issue_roster
from storage import issues as store
from storage.db import Database
from storage.groups import migrate_group
from storage.models import Issue, IssueAssigneeTally, IssueMineTally
from tests.test_issues_storage import AFTER, NOW, TODAY, Step, report, setup

Act = Callable[[AsyncSession, Issue], Awaitable[object]]


async def _issue(session: AsyncSession, group_id: int, number: int) -> Issue:
    return await store.get_issue(session, group_id, number)


def on(group_id: int, number: int, act: Act) -> Step:
    """A step that acts on one issue of a group."""

    async def step(session: AsyncSession) -> object:
        return await act(session, await _issue(session, group_id, number))

    return step


def to(uid: int) -> Act:
    """Assign the issue to ``uid``."""
    return lambda s, i: store.assign(s, i, uid, None, 1, NOW)


def fixed_by(uid: int) -> Act:
    """Mark the issue fixed, with an after photo."""
    return lambda s, i: store.mark_fixed(s, i, uid, False, "", AFTER, NOW)


async def held(session: AsyncSession, group_id: int) -> dict[int, int]:
    """The roster's tallies: person → unresolved issues held (rows back at zero apart)."""
    rows = await session.execute(
        select(IssueAssigneeTally.user_id, IssueAssigneeTally.n).where(
            IssueAssigneeTally.group_id == group_id, IssueAssigneeTally.n != 0
        )
    )
    return {uid: n for uid, n in rows}


async def held_recount(session: AsyncSession, group_id: int) -> dict[int, int]:
    """The same, counted from the issues."""
    rows = await session.execute(
        select(Issue.assignee_id, func.count())
        .where(
            Issue.group_id == group_id,
            Issue.assignee_id.is_not(None),
            Issue.status.in_(["open", "assigned"]),
        )
        .group_by(Issue.assignee_id)
    )
    return {uid: n for uid, n in rows if uid is not None}


async def test_the_roster_tallies_follow_every_change(database: Database) -> None:
    group_id = await setup(database)
    other_id = await setup(database, chat_id=-200)
    for n in range(14):
        await report(database, group_id, start=1000 * n)
    await report(database, other_id)

    async def duplicate(session: AsyncSession, issue: Issue) -> object:
        return await store.verify(session, issue, 1, NOW, await _issue(session, group_id, 1))

    steps: list[Step] = [
        *[on(group_id, n, to(3)) for n in range(1, 13)],
        on(group_id, 13, to(2)),
        on(group_id, 5, to(2)),  # taken from 3
        on(other_id, 1, to(3)),
        on(group_id, 6, fixed_by(3)),
        on(group_id, 7, fixed_by(3)),
        on(group_id, 6, lambda s, i: store.verify(s, i, 1, NOW)),
        on(group_id, 6, lambda s, i: store.reopen(s, i, 1, "又坏了", NOW)),  # held again
        on(group_id, 7, lambda s, i: store.reopen(s, i, 1, "没修好", NOW)),
        on(group_id, 8, duplicate),
        lambda s: s.execute(delete(Issue).where(Issue.group_id == group_id, Issue.number == 9)),
    ]
    for step in steps:
        async with database.transaction() as session:
            await step(session)
            assert await held(session, group_id) == await held_recount(session, group_id)
    async with database.read() as session:
        roster = await issue_roster.open_assigned(session, group_id)
        assert await held(session, other_id) == {3: 1}
    # 3 holds 1–12 but 5 (taken), 8 (a duplicate) and 9 (deleted): the lowest ten shown
    assert roster == {
        2: issue_roster.Held([5, 13], 2),
        3: issue_roster.Held([1, 2, 3, 4, 6, 7, 10, 11, 12], 9),
    }
    async with database.read() as session:
        assert await issue_roster.open_assigned(session, group_id, shown=3) == {
            2: issue_roster.Held([5, 13], 2),
            3: issue_roster.Held([1, 2, 3], 9),
        }


async def mine(session: AsyncSession, group_id: int) -> dict[int, int]:
    """``/issues mine``'s tallies: person → issues not verified reported or held."""
    rows = await session.execute(
        select(IssueMineTally.user_id, IssueMineTally.n).where(
            IssueMineTally.group_id == group_id, IssueMineTally.n != 0
        )
    )
    return {uid: n for uid, n in rows}


async def mine_recount(session: AsyncSession, group_id: int) -> dict[int, int]:
    """The same, counted from the issues (an issue one reported and holds: once)."""
    unverified = (Issue.group_id == group_id, Issue.status != "verified")
    people = union_all(
        select(Issue.id, Issue.reporter_id.label("uid")).where(*unverified),
        select(Issue.id, Issue.assignee_id).where(*unverified, Issue.assignee_id.is_not(None)),
    ).subquery()
    rows = await session.execute(
        select(people.c.uid, func.count(people.c.id.distinct())).group_by(people.c.uid)
    )
    return {uid: n for uid, n in rows}


async def test_the_tallies_of_mine_follow_every_change(database: Database) -> None:
    group_id = await setup(database)
    other_id = await setup(database, chat_id=-200)
    for n in range(6):
        await report(database, group_id, start=1000 * n)  # 1–6 by 2
    await report(database, group_id, reporter=3)  # 7 by 3
    await report(database, other_id)

    async def duplicate(session: AsyncSession, issue: Issue) -> object:
        return await store.verify(session, issue, 1, NOW, await _issue(session, group_id, 1))

    def change(number: int, **values: object) -> Step:
        where = (Issue.group_id == group_id, Issue.number == number)
        return lambda s: s.execute(update(Issue).where(*where).values(**values))

    steps: list[Step] = [
        on(group_id, 1, to(3)),
        on(group_id, 2, to(2)),  # reported and held by 2: once
        on(group_id, 3, to(3)),
        on(group_id, 3, to(2)),  # back to its reporter
        on(group_id, 4, to(3)),
        on(group_id, 4, fixed_by(3)),  # fixed, not yet verified: still theirs
        on(group_id, 4, lambda s, i: store.verify(s, i, 1, NOW)),
        on(group_id, 4, lambda s, i: store.reopen(s, i, 1, "又坏了", NOW)),
        on(group_id, 5, duplicate),
        lambda s: s.execute(delete(Issue).where(Issue.group_id == group_id, Issue.number == 6)),
        change(7, reporter_id=2),
        change(1, assignee_id=None, status="open"),
        change(2, group_id=other_id),  # moved to the other group, with its people
    ]
    for step in steps:
        async with database.transaction() as session:
            await step(session)
            for group in (group_id, other_id):
                assert await mine(session, group) == await mine_recount(session, group)
    async with database.read() as session:
        assert await mine(session, group_id) == {2: 4, 3: 1}  # 2: 1, 3, 4, 7; 3: 4
        assert await mine(session, other_id) == {2: 2}
        head = await issue_reads.counts(session, group_id, TODAY)
        for uid, shown in ((2, 4), (3, 1), (1, 0)):
            counted = await issue_reads.count_matching(session, group_id, "mine", uid, TODAY, head)
            listed = await issue_reads.list_page(
                session, group_id, "mine", uid, TODAY, offset=0, limit=20
            )
            assert counted == len(listed) == shown


async def test_a_group_with_issues_can_be_deleted_with_its_tallies(database: Database) -> None:
    # a supergroup registered a moment before its migration notice, with a report in it:
    # the notice deletes that row (the old group's holds the history), issues and all
    old_id = await setup(database)
    new_id = await setup(database, chat_id=-1009)
    await report(database, old_id)
    await report(database, new_id)
    async with database.transaction() as session:
        await store.assign(session, await _issue(session, new_id, 1), 3, None, 1, NOW)
    async with database.transaction() as session:
        moved = await migrate_group(session, -100, -1009, NOW)
        assert moved is not None and moved.id == old_id
    async with database.read() as session:
        left = await session.scalars(select(IssueMineTally.group_id).distinct())
        assert set(left) == {old_id}
        assert await mine(session, old_id) == await mine_recount(session, old_id) == {2: 1}
        assert await held(session, new_id) == {}
