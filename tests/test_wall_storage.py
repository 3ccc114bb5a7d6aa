"""The wall page's reads on a real database: the per-kilometre issue tallies stay exact
through every change (kept by triggers, as issue_tallies are), and a strip shows one
marker an issue, or one a kilometre past the marker limit."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import issues as store
from storage import wall_reads
from storage.db import Database
from storage.models import Issue, IssueRoadTally, IssueStakeTally
from tests.test_issues_storage import AFTER, NOW, report, setup


async def recount(session: AsyncSession, group_id: int) -> Counter[tuple[str, int, str]]:
    """(road, km, status) → issues, counted from the rows (located, not duplicates)."""
    rows = await session.scalars(select(Issue).where(Issue.group_id == group_id))
    return Counter(
        (i.road, i.stake_from // 1000, i.status)
        for i in rows
        if i.duplicate_of_id is None and i.road is not None and i.stake_from is not None
    )


async def tallied(session: AsyncSession, group_id: int) -> Counter[tuple[str, int, str]]:
    """The per-kilometre tallies, checked against the per-road ones on the way."""
    roads = await session.execute(
        select(IssueRoadTally.road, IssueRoadTally.status, IssueRoadTally.n).where(
            IssueRoadTally.group_id == group_id, IssueRoadTally.n != 0
        )
    )
    by_road = Counter({(road, status): n for road, status, n in roads})
    tally = IssueStakeTally
    rows = await session.execute(
        select(
            tally.road, tally.km, tally.n_open, tally.n_assigned, tally.n_fixed, tally.n_verified
        ).where(tally.group_id == group_id)
    )
    statuses = ("open", "assigned", "fixed", "verified")
    found = Counter(
        {(road, km, s): n for road, km, *ns in rows for s, n in zip(statuses, ns, strict=True) if n}
    )
    summed: Counter[tuple[str, str]] = Counter()
    for (road, _, status), n in found.items():
        summed[road, status] += n
    assert by_road == summed
    return found


async def test_stake_tallies_match_the_rows_through_every_change(database: Database) -> None:
    group_id = await setup(database)
    other_id = await setup(database, chat_id=-200)
    for road, stake in (("S272", 93520), ("S272", 93900), ("S272", 97800), ("G325", 12300)):
        await report(database, group_id, road=road, start=stake)
    await report(database, group_id, road=None, start=None)  # no place: not on a strip
    await report(database, other_id)
    async with database.transaction() as session:
        assert await tallied(session, group_id) == await recount(session, group_id)
        first = await store.get_issue(session, group_id, 1)
        await store.assign(session, first, 3, None, 1, NOW)
        fixed, _ = await store.mark_fixed(session, first, 3, False, "", AFTER, NOW)
        await store.verify(session, fixed, 1, NOW)
        await store.verify(session, await store.get_issue(session, group_id, 2), 1, NOW, fixed)
        assert await tallied(session, group_id) == await recount(session, group_id)
        # moved along the road, to another road, off every road
        await session.execute(
            update(Issue)
            .where(Issue.group_id == group_id, Issue.number == 3)
            .values(stake_from=95100)
        )
        await session.execute(
            update(Issue).where(Issue.group_id == group_id, Issue.number == 4).values(road="X001")
        )
        await session.execute(
            update(Issue)
            .where(Issue.group_id == group_id, Issue.number == 5)
            .values(road="S272", stake_from=93000)
        )
        assert await tallied(session, group_id) == await recount(session, group_id)
        await session.execute(delete(Issue).where(Issue.group_id == group_id, Issue.number == 3))
        assert await tallied(session, group_id) == await recount(session, group_id)
        assert await tallied(session, other_id) == Counter({("S272", 93, "open"): 1})


async def test_a_strip_shows_issues_then_kilometres(database: Database) -> None:
    group_id = await setup(database)
    for stake in (93520, 93530, 94100, 97800):
        await report(database, group_id, road="S272", start=stake)
    await report(database, group_id, road="G325", start=12300)
    async with database.transaction() as session:
        roads = await wall_reads.strips(session, group_id)
        assert [s.road for s in roads] == ["S272", "G325"]  # most issues first
        assert [m.number for m in roads[0].markers] == [1, 2, 3, 4]
        assert [m.stake for m in roads[0].markers] == [93520, 93530, 94100, 97800]
        few = await wall_reads.strips(session, group_id, markers=3)
        assert [(m.stake, m.count, m.number) for m in few[0].markers] == [
            (93500, 2, None),
            (94500, 1, None),
            (97500, 1, None),
        ]
        assert few[0].total == 4 and few[1].total == 1
