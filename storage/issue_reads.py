"""Issues read for showing: the filtered list, the counts at its head, one issue with
its history and photos, the register (台账) rows, and who must fix what (for the
roster). Reads only; a fixed number of queries each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import IssueEventKind, IssueStatus, Subject
from storage.issues import UNRESOLVED
from storage.members import members_by_id
from storage.models import Issue, IssueEvent, Member, Photo
from storage.photos import photos_of

FILTERS = ("open", "overdue", "mine", "all")


def _filtered(group_id: int, which: str, user_id: int, today: date) -> Select[Issue]:
    query = select(Issue).where(Issue.group_id == group_id)
    if which == "open":
        query = query.where(Issue.status != IssueStatus.VERIFIED)
    elif which == "overdue":
        query = query.where(Issue.status.in_(UNRESOLVED), Issue.deadline < today)
    elif which == "mine":
        query = query.where(
            Issue.status != IssueStatus.VERIFIED,
            or_(Issue.assignee_id == user_id, Issue.reporter_id == user_id),
        )
    elif which != "all":
        query = query.where(Issue.road == which)
    return query.order_by(
        Issue.road.is_(None), Issue.road, Issue.stake_from.is_(None), Issue.stake_from, Issue.number
    )


async def list_issues(
    session: AsyncSession, group_id: int, which: str, user_id: int, today: date
) -> list[Issue]:
    """The issues a filter selects (open/overdue/mine/all or a road code), ordered by
    road, then stake."""
    return list(await session.scalars(_filtered(group_id, which, user_id, today)))


@dataclass(frozen=True)
class IssueCounts:
    """The head of the list: found, fixed (incl. verified), verified, overdue."""

    found: int
    fixed: int
    verified: int
    overdue: int


async def counts(session: AsyncSession, group_id: int, today: date) -> IssueCounts:
    """How many issues were found, fixed, verified, and are overdue."""
    rows = dict(
        (status, int(n))
        for status, n in await session.execute(
            select(Issue.status, func.count())
            .where(Issue.group_id == group_id, Issue.duplicate_of_id.is_(None))
            .group_by(Issue.status)
        )
    )
    overdue = await session.scalar(
        select(func.count()).where(
            Issue.group_id == group_id, Issue.status.in_(UNRESOLVED), Issue.deadline < today
        )
    )
    return IssueCounts(
        found=sum(rows.values()),
        fixed=rows.get(IssueStatus.FIXED, 0) + rows.get(IssueStatus.VERIFIED, 0),
        verified=rows.get(IssueStatus.VERIFIED, 0),
        overdue=int(overdue or 0),
    )


@dataclass
class IssueDetail:
    """Everything /issue shows."""

    issue: Issue
    events: list[IssueEvent]
    people: dict[int, Member]
    before: list[Photo]
    after: list[Photo]
    duplicate_of: int | None


async def issue_detail(session: AsyncSession, issue: Issue) -> IssueDetail:
    """The issue with its history, people and before/after photos."""
    return (await _details(session, [issue]))[0]


async def export_rows(session: AsyncSession, group_id: int) -> list[IssueDetail]:
    """Every issue of the group with its people and photos, for the register (台账)."""
    issues = list(
        await session.scalars(
            select(Issue).where(Issue.group_id == group_id).order_by(Issue.number)
        )
    )
    return await _details(session, issues)


async def _details(session: AsyncSession, issues: Sequence[Issue]) -> list[IssueDetail]:
    """History, people and photos of many issues in a fixed number of queries."""
    ids = [i.id for i in issues]
    events: dict[int, list[IssueEvent]] = {i: [] for i in ids}
    kinds: dict[int, tuple[int, str]] = {}
    if ids:
        for event in await session.scalars(
            select(IssueEvent)
            .where(IssueEvent.issue_id.in_(ids))
            .order_by(IssueEvent.at, IssueEvent.id)
        ):
            events[event.issue_id].append(event)
            kinds[event.id] = (event.issue_id, event.kind)
    before: dict[int, list[Photo]] = {i: [] for i in ids}
    after: dict[int, list[Photo]] = {i: [] for i in ids}
    for event_id, photos in (await photos_of(session, Subject.ISSUE_EVENT, kinds)).items():
        issue_id, kind = kinds[event_id]
        (after if kind == IssueEventKind.FIXED else before)[issue_id].extend(photos)
    wanted = {e.actor_id for found in events.values() for e in found}
    wanted |= {e.subject_id or 0 for found in events.values() for e in found}
    wanted |= {i.assignee_id or 0 for i in issues} | {i.reporter_id for i in issues}
    people = await members_by_id(session, wanted)
    originals = {i.duplicate_of_id for i in issues if i.duplicate_of_id}
    numbers: dict[int, int] = {}
    if originals:
        rows = await session.execute(select(Issue.id, Issue.number).where(Issue.id.in_(originals)))
        numbers = {issue_id: number for issue_id, number in rows}
    return [
        IssueDetail(
            issue=i,
            events=events[i.id],
            people=people,
            before=before[i.id],
            after=after[i.id],
            duplicate_of=numbers.get(i.duplicate_of_id or 0),
        )
        for i in issues
    ]


async def open_assigned(session: AsyncSession, group_id: int) -> dict[int, list[int]]:
    """For the roster: the unresolved issue numbers assigned to each person."""
    rows = await session.execute(
        select(Issue.assignee_id, Issue.number)
        .where(
            Issue.group_id == group_id,
            Issue.status.in_(UNRESOLVED),
            Issue.assignee_id.is_not(None),
        )
        .order_by(Issue.number)
    )
    found: dict[int, list[int]] = {}
    for user_id, number in rows:
        if user_id is not None:
            found.setdefault(user_id, []).append(number)
    return found
