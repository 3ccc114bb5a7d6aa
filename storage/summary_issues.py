"""自查问题清单 in the monthly work report: the month's issues in the list's order (ids,
then pages of details), before/after pairs of verified issues, the overdue ones and the
issues opened and rectified per week."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.kinds import IssueStatus
from storage.issue_reads import IssueDetail, details
from storage.members import members_by_id
from storage.models import ISSUE_ORDER, Issue, Member
from storage.summary import OVERDUE_SHOWN, PAIR_PAGES, PAIRS, within


async def issue_ids(session: AsyncSession, group_id: int, month: Month) -> list[int]:
    """The month's issues — reported, rectified or verified in it, duplicates apart — in
    the order of the list (road, then stake): ids only, for :func:`issue_page`."""
    wanted = (
        select(Issue.id)
        .where(Issue.group_id == group_id, within(month, Issue.created_at))
        .union(
            select(Issue.id).where(Issue.group_id == group_id, within(month, Issue.fixed_at)),
            select(Issue.id).where(Issue.group_id == group_id, within(month, Issue.verified_at)),
        )
        .subquery()
    )
    rows = await session.scalars(
        select(Issue.id)
        .where(Issue.id.in_(select(wanted.c.id)), Issue.duplicate_of_id.is_(None))
        .order_by(*ISSUE_ORDER)
    )
    return list(rows)


async def issue_page(session: AsyncSession, ids: Sequence[int]) -> list[IssueDetail]:
    """These issues with their history, people and photos, in the order given."""
    issues = {x.id: x for x in await session.scalars(select(Issue).where(Issue.id.in_(ids)))}
    return await details(session, [issues[i] for i in ids if i in issues])


async def verified_pairs(
    session: AsyncSession, group_id: int, month: Month, limit: int = PAIRS
) -> list[IssueDetail]:
    """Up to ``limit`` issues verified in the month that have both a "before" and an
    "after" photo, in the order they were verified."""
    found: list[IssueDetail] = []
    after: tuple[datetime, int] | None = None
    for _ in range(PAIR_PAGES):  # a month of verified issues without photos ends the search
        if len(found) >= limit:
            break
        query = select(Issue).where(
            Issue.group_id == group_id,
            within(month, Issue.verified_at),
            Issue.duplicate_of_id.is_(None),
        )
        if after is not None:
            query = query.where(
                or_(
                    Issue.verified_at > after[0],
                    and_(Issue.verified_at == after[0], Issue.id > after[1]),
                )
            )
        issues = list(await session.scalars(query.order_by(Issue.verified_at, Issue.id).limit(50)))
        if not issues:
            break
        last = issues[-1]
        assert last.verified_at is not None
        after = (last.verified_at, last.id)
        found += [d for d in await details(session, issues) if d.before and d.fix_photos]
    return found[:limit]


@dataclass(frozen=True)
class Overdue:
    """An issue past its rectification deadline at the month's end."""

    issue: Issue
    responsible: Member | None  # the assignee (else the reporter)


async def overdue(
    session: AsyncSession,
    group_id: int,
    month: Month,
    now: datetime,
    zone: str,
    limit: int = OVERDUE_SHOWN,
) -> tuple[list[Overdue], int]:
    """Issues past their deadline at the month's end (for the current month: today)
    without a rectification by then, with the person responsible; the first ``limit`` by
    deadline, and how many in all."""
    end = min(month.end, now)
    cutoff = min(month.next().first_day, now.astimezone(ZoneInfo(zone)).date())
    late = and_(
        Issue.group_id == group_id,
        Issue.duplicate_of_id.is_(None),
        Issue.deadline < cutoff,  # a deadline today is not missed yet
    )
    unresolved = Issue.status.in_([IssueStatus.OPEN.value, IssueStatus.ASSIGNED.value])
    fixed_later = Issue.fixed_at >= end
    issues: list[Issue] = []
    total = 0
    for which in (unresolved, fixed_later):  # each on its own index
        issues += await session.scalars(
            select(Issue).where(late, which).order_by(Issue.deadline, Issue.number).limit(limit)
        )
        total += int(
            await session.scalar(select(func.count()).select_from(Issue).where(late, which)) or 0
        )
    unique = {x.id: x for x in issues}
    chosen = sorted(unique.values(), key=lambda x: (x.deadline or date.max, x.number))[:limit]
    people = await members_by_id(session, {x.assignee_id or x.reporter_id for x in chosen})
    return [Overdue(x, people.get(x.assignee_id or x.reporter_id)) for x in chosen], total


@dataclass(frozen=True)
class WeekCount:
    """Issues opened and closed (rectified) in one week of the month."""

    week_start: date
    opened: int
    closed: int


async def issue_weeks(
    session: AsyncSession, group_id: int, month: Month, zone: str
) -> list[WeekCount]:
    """Issues reported and rectified per week (weeks starting on Monday) of the month."""
    tz = ZoneInfo(zone)
    first = month.first_day - timedelta(days=month.first_day.weekday())
    weeks = [
        first + timedelta(days=7 * n)
        for n in range(6)
        if first + timedelta(days=7 * n) < month.next().first_day
    ]
    opened: Counter[date] = Counter()
    closed: Counter[date] = Counter()
    for column, into in ((Issue.created_at, opened), (Issue.fixed_at, closed)):
        stream = await session.stream_scalars(
            select(column).where(
                Issue.group_id == group_id, Issue.duplicate_of_id.is_(None), within(month, column)
            )
        )
        async for moment in stream:
            if moment is not None:
                day = moment.astimezone(tz).date()
                into[day - timedelta(days=day.weekday())] += 1
    return [WeekCount(w, opened[w], closed[w]) for w in weeks]
