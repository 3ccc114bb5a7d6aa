"""Issues read for showing: the filtered list, the counts at its head, one issue with
its history and photos, the register (台账) rows, and who must fix what (for the
roster). Reads only; a fixed number of queries each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import IssueEventKind, IssueStatus, Subject
from storage.issues import UNRESOLVED
from storage.members import members_by_id
from storage.models import ISSUE_ORDER, Issue, IssueEvent, IssueTally, Member, Photo
from storage.photos import photos_of

FILTERS = ("open", "overdue", "mine", "all")
_OVERDUE_ROW = "-overdue"  # the counts' extra row (no status is spelled so)
COUNT_CAP = 1000  # counts that are not tallied stop here (shown as "1000+")

# literal, not bound, so that both databases match them to the partial indexes
_UNVERIFIED = Issue.status != literal_column("'verified'")
_UNRESOLVED = Issue.status.in_([literal_column("'open'"), literal_column("'assigned'")])


def _filter(
    group_id: int, which: str, user_id: int, today: date
) -> tuple[list[ColumnElement[bool]], tuple[Any, ...]]:
    """The WHERE of a filter, and the ORDER BY that its index reads in order."""
    where: list[ColumnElement[bool]] = [Issue.group_id == group_id]
    order = ISSUE_ORDER
    if which == "open":
        where.append(_UNVERIFIED)
    elif which == "overdue":
        where += [_UNRESOLVED, Issue.deadline < today]
    elif which == "mine":
        where += [_UNVERIFIED, or_(Issue.assignee_id == user_id, Issue.reporter_id == user_id)]
    elif which != "all":
        where.append(Issue.road == which)
        order = ISSUE_ORDER[1:]  # one road: by stake
    return where, order


async def list_page(
    session: AsyncSession,
    group_id: int,
    which: str,
    user_id: int,
    today: date,
    *,
    offset: int,
    limit: int,
) -> list[tuple[Issue, Member | None]]:
    """One page of the issues a filter selects (open/overdue/mine/all or a road code),
    ordered by road, then stake, each with its assignee; read off an index."""
    where, order = _filter(group_id, which, user_id, today)
    rows = await session.execute(
        select(Issue, Member)
        .outerjoin(Member, Member.user_id == Issue.assignee_id)
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return [(issue, member) for issue, member in rows]


async def count_matching(
    session: AsyncSession, group_id: int, which: str, user_id: int, today: date, head: IssueCounts
) -> int:
    """How many issues the filter selects (from the tallies where they tell it; else
    counted up to ``COUNT_CAP + 1``)."""
    if which == "all":
        return head.total
    if which == "open":
        return head.unverified
    if which == "overdue":
        return head.overdue
    where, _ = _filter(group_id, which, user_id, today)
    return int(await session.scalar(_capped_count(*where)) or 0)


def _capped_count(*where: ColumnElement[bool]) -> Select[int]:
    """Count the matching issues, but stop at ``COUNT_CAP + 1``: a count past that is
    shown as "1000+", and costs no more however many there are."""
    return select(func.count()).select_from(
        select(Issue.id).where(*where).limit(COUNT_CAP + 1).subquery()
    )


@dataclass(frozen=True)
class IssueCounts:
    """The head of the list: found, fixed (incl. verified), verified, overdue (duplicates
    apart); and, duplicates included, all issues and those not verified."""

    found: int
    fixed: int
    verified: int
    overdue: int
    total: int = 0
    unverified: int = 0


async def counts(session: AsyncSession, group_id: int, today: date) -> IssueCounts:
    """How many issues were found, fixed, verified, and are overdue (up to
    ``COUNT_CAP + 1``): one statement, on the tallies and the overdue index, whatever
    the number of issues."""
    tallies = select(IssueTally.status, IssueTally.duplicate, IssueTally.n).where(
        IssueTally.group_id == group_id
    )
    overdue = select(literal(_OVERDUE_ROW), literal(False), func.count()).select_from(
        select(Issue.id)
        .where(Issue.group_id == group_id, _UNRESOLVED, Issue.deadline < today)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    by_status: dict[str, int] = {}
    duplicates = late = 0
    for status, duplicate, n in await session.execute(union_all(tallies, overdue)):
        if status == _OVERDUE_ROW:
            late = int(n)
        elif duplicate:
            duplicates += int(n)
        else:
            by_status[status] = by_status.get(status, 0) + int(n)
    found = sum(by_status.values())
    verified = by_status.get(IssueStatus.VERIFIED, 0)
    return IssueCounts(
        found=found,
        fixed=by_status.get(IssueStatus.FIXED, 0) + verified,
        verified=verified,
        overdue=late,
        total=found + duplicates,
        unverified=found - verified,
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
    return (await details(session, [issue]))[0]


EXPORT_CHUNK = 500  # issues per read: a few short statements each, whatever the total


async def export_chunk(
    session: AsyncSession, group_id: int, after: int, size: int = EXPORT_CHUNK
) -> list[IssueDetail]:
    """The next issues of the register (台账) after number ``after``, with their people
    and photos; read in order of number on the (group, number) index."""
    issues = list(
        await session.scalars(
            select(Issue)
            .where(Issue.group_id == group_id, Issue.number > after)
            .order_by(Issue.number)
            .limit(size)
        )
    )
    return await details(session, issues)


async def details(session: AsyncSession, issues: Sequence[Issue]) -> list[IssueDetail]:
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
