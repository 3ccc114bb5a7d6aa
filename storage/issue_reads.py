"""Issues read for showing: the filtered list, the counts at its head (with a page, in
one statement), issues with their history and photos (the register's, 台账). Reads
only; a fixed number of queries each. One issue as ``/issue N`` shows it: issue_view;
who must fix what (the roster): issue_roster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Select,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import IssueEventKind, IssueStatus, Subject
from storage.members import members_by_id
from storage.models import (
    ISSUE_ORDER,
    Issue,
    IssueEvent,
    IssueMineTally,
    IssueTally,
    Member,
    Photo,
)
from storage.photos import photos_of

FILTERS = ("open", "overdue", "mine", "all")
COUNT_CAP = 1000  # counts that are not tallied stop here (shown as "1000+")

# literal, not bound, so that both databases match them to the partial indexes
_UNVERIFIED = Issue.status != literal_column("'verified'")
UNRESOLVED = Issue.status.in_([literal_column("'open'"), literal_column("'assigned'")])


def _filter(kind: str) -> tuple[list[ColumnElement[bool]], tuple[Any, ...]]:
    """The WHERE of a filter ("road": any road's), binding the group, the person, the day
    and the road; and the ORDER BY that its index reads in order ("mine" reads two: see
    ``_mine``)."""
    where: list[ColumnElement[bool]] = [Issue.group_id == bindparam("group_id")]
    order = ISSUE_ORDER
    if kind == "open":
        where.append(_UNVERIFIED)
    elif kind == "overdue":
        # read in order off ix_issues_deadline_order until a page is full; spelled with
        # coalesce so that no planner takes the deadline's range on ix_issues_overdue
        # instead (every overdue issue read, then sorted)
        today = bindparam("today", type_=Date())
        where += [
            UNRESOLVED,
            Issue.deadline.is_not(None),
            func.coalesce(Issue.deadline, today) < today,
        ]
    elif kind == "mine":
        user: BindParameter[int] = bindparam("user_id")
        where += [_UNVERIFIED, or_(Issue.assignee_id == user, Issue.reporter_id == user)]
    elif kind == "road":
        where.append(Issue.road == bindparam("road"))
        order = ISSUE_ORDER[1:]  # one road: by stake
    return where, order


def _mine() -> Select[int]:
    """The numbers of the first ``first`` open issues (in the list's order) the person
    holds and of the first ``first`` they reported, without repeats: each read off its
    own index in order (the index alone: it holds the numbers), so a page of "mine"
    costs a page, however many there are."""
    parts = []
    for column in (Issue.assignee_id, Issue.reporter_id):
        query = select(Issue.number).where(
            Issue.group_id == bindparam("group_id"), _UNVERIFIED, column == bindparam("user_id")
        )
        top = query.order_by(*ISSUE_ORDER).limit(bindparam("first")).subquery()
        parts.append(select(top.c.number))
    return select(union(*parts).subquery().c.number)


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
    kind = which if which in FILTERS else "road"
    params = _page_params(group_id, which, user_id, today, offset, limit)
    rows = await session.execute(_page_query(kind), params)
    return [(issue, member) for issue, member in rows]


def _page_params(
    group_id: int, which: str, user_id: int, today: date, offset: int, limit: int
) -> dict[str, Any]:
    """What a page's read binds: the group, the person, the day, the road, the page."""
    return {
        "group_id": group_id,
        "user_id": user_id,
        "today": today,
        "road": which,
        "offset": offset,
        "limit": limit,
        "first": offset + limit,
    }


@cache
def _page_query(kind: str) -> Select[Issue, Member]:
    """The read of one page of a filter ("road": any road's), built once per filter; it
    binds the group, the person, the day, the road, the page's offset and size."""
    group = Issue.group_id == bindparam("group_id")
    where, order = _filter(kind)
    offset: Any = bindparam("offset")
    if kind == "mine":
        where = [group, Issue.number.in_(_mine())]
    elif kind == "overdue":  # the page's numbers first, read in the index alone
        page = select(Issue.number).where(*where).order_by(*order)
        page = page.offset(bindparam("offset")).limit(bindparam("limit"))
        where, offset = [group, Issue.number.in_(page)], 0
    return (
        select(Issue, Member)
        .outerjoin(Member, Member.user_id == Issue.assignee_id)
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(bindparam("limit"))
    )


async def count_matching(
    session: AsyncSession, group_id: int, which: str, user_id: int, today: date, head: IssueCounts
) -> int:
    """How many issues the filter selects (from the tallies where they tell it, the
    person's own included; a road's counted up to ``COUNT_CAP + 1``)."""
    if which == "all":
        return head.total
    if which == "open":
        return head.unverified
    if which == "overdue":
        return head.overdue
    if which == "mine":
        return int(
            await session.scalar(_mine_count(), {"group_id": group_id, "user_id": user_id}) or 0
        )
    params = {"group_id": group_id, "road": which}
    return int(await session.scalar(_road_count(), params) or 0)


@cache
def _mine_count() -> Select[int]:
    """The person's tally (no row: none yet), built once."""
    return select(IssueMineTally.n).where(
        IssueMineTally.group_id == bindparam("group_id"),
        IssueMineTally.user_id == bindparam("user_id"),
    )


def _capped_count(*where: ColumnElement[bool]) -> Select[int]:
    """Count the matching issues, but stop at ``COUNT_CAP + 1``: a count past that is
    shown as "1000+", and costs no more however many there are."""
    return select(func.count()).select_from(
        select(Issue.id).where(*where).limit(COUNT_CAP + 1).subquery()
    )


@cache
def _road_count() -> Select[int]:
    """A road's count, built once: binds group and road."""
    return _capped_count(*_filter("road")[0])


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


def _tallied(*where: ColumnElement[bool]) -> ColumnElement[int]:
    """The sum of the group's tally rows that ``where`` selects (a handful of rows on
    the tallies' key, however many issues there are)."""
    return (
        select(func.coalesce(func.sum(IssueTally.n), 0))
        .where(IssueTally.group_id == bindparam("group_id"), *where)
        .correlate(None)
        .scalar_subquery()
    )


_OWN = ~IssueTally.duplicate  # a duplicate is counted once, as the issue it repeats
_FIXED = IssueTally.status.in_([literal_column("'fixed'"), literal_column("'verified'")])


_Int = ColumnElement[int]
_Head = tuple[_Int, _Int, _Int, _Int, _Int]


@cache
def _head_columns() -> _Head:
    """Found, fixed (verified included), verified, all (duplicates included), overdue
    (up to COUNT_CAP + 1): the head of the list as columns, built once; they bind group
    and day."""
    return (
        _tallied(_OWN),
        _tallied(_OWN, _FIXED),
        _tallied(_OWN, IssueTally.status == literal_column("'verified'")),
        _tallied(),
        select(func.count())
        .select_from(
            select(Issue.id)
            .where(
                Issue.group_id == bindparam("group_id"),
                UNRESOLVED,
                Issue.deadline < bindparam("today"),
            )
            .limit(COUNT_CAP + 1)
            .subquery()
        )
        .correlate(None)
        .scalar_subquery(),
    )


@cache
def _counts() -> Select[int, int, int, int, int]:
    """The head alone, built once."""
    return select(*_head_columns())


def _head(found: int, fixed: int, verified: int, total: int, overdue: int) -> IssueCounts:
    """The counts from the head's columns."""
    found, verified = int(found), int(verified)
    return IssueCounts(
        found=found,
        fixed=int(fixed),
        verified=verified,
        overdue=int(overdue),
        total=int(total),
        unverified=found - verified,
    )


async def counts(session: AsyncSession, group_id: int, today: date) -> IssueCounts:
    """How many issues were found, fixed, verified, and are overdue (up to
    ``COUNT_CAP + 1``): one statement, on the tallies and the overdue index, whatever
    the number of issues."""
    row = (await session.execute(_counts(), {"group_id": group_id, "today": today})).one()
    return _head(*row)


async def page_and_counts(
    session: AsyncSession,
    group_id: int,
    which: str,
    user_id: int,
    today: date,
    *,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Issue, Member | None]], IssueCounts | None]:
    """One page of a filter (as :func:`list_page`) with the list's head (as
    :func:`counts`) in the same statement; the head is None when the page is empty
    (no row to carry it: read it with :func:`counts`)."""
    kind = which if which in FILTERS else "road"
    params = _page_params(group_id, which, user_id, today, offset, limit)
    rows = (await session.execute(_page_and_head(kind), params)).all()
    if not rows:
        return [], None
    return [(row[0], row[1]) for row in rows], _head(*rows[0][2:])


@cache
def _page_and_head(kind: str) -> Select[Issue, Member, int, int, int, int, int]:
    """A page of a filter with the head's columns on every row, built once per filter."""
    return _page_query(kind).add_columns(*_head_columns())


@dataclass
class IssueDetail:
    """Everything /issue shows: ``after`` holds every fix's photos (the register lists
    them all), :attr:`fix_photos` the ones of the fix that stands."""

    issue: Issue
    events: list[IssueEvent]
    people: dict[int, Member]
    before: list[Photo]
    after: list[Photo]
    duplicate_of: int | None

    @property
    def fix_photos(self) -> list[Photo]:
        """The "after" photos that /issue, the wall and the monthly report show: the
        latest fix's, and none while the issue is open again (a fix that did not hold
        stays in the history and the register, but is no longer "after")."""
        if self.issue.status not in (IssueStatus.FIXED, IssueStatus.VERIFIED):
            return []
        fixes = [e.id for e in self.events if e.kind == IssueEventKind.FIXED]
        if not fixes:
            return []
        latest = max(fixes)
        return [p for p in self.after if p.subject_id == latest]


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


# built once: each read binds the issues' ids
_EVENTS_OF = (
    select(IssueEvent)
    .where(IssueEvent.issue_id.in_(bindparam("ids", expanding=True)))
    .order_by(IssueEvent.at, IssueEvent.id)
)


async def details(session: AsyncSession, issues: Sequence[Issue]) -> list[IssueDetail]:
    """History, people and photos of many issues in a fixed number of queries."""
    ids = [i.id for i in issues]
    events: dict[int, list[IssueEvent]] = {i: [] for i in ids}
    kinds: dict[int, tuple[int, str]] = {}
    if ids:
        for event in await session.scalars(_EVENTS_OF, {"ids": ids}):
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
