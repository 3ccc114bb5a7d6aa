"""Field-inspection issues (自查问题清单): report, locate, assign, fix with evidence,
verify, reopen; lists and counts. Status changes are conditional writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from domain.errors import Refused, WrongStatus
from domain.geo import valid_position
from domain.kinds import IssueEventKind, IssueStatus, Subject
from storage.dialect import binding, bound
from storage.groups import numbered
from storage.lifecycle import transition
from storage.models import Counter, Issue, IssueEvent
from storage.models.base import detached
from storage.photos import PhotoInfo, attach_photos

STATUSES = tuple(IssueStatus)


UNRESOLVED = (IssueStatus.OPEN, IssueStatus.ASSIGNED)


DUPLICATE_RADIUS_M = 50


@dataclass(frozen=True)
class NewIssue:
    """What a report says: where, what, how bad."""

    description: str
    road: str | None = None
    stake_from: int | None = None
    stake_to: int | None = None
    category: str = "other"
    severity: int = 2
    latitude: float | None = None
    longitude: float | None = None


def _check_position(latitude: float, longitude: float) -> None:
    if not valid_position(latitude, longitude):
        raise Refused("error.bad_location")


async def report_issue(
    session: AsyncSession,
    group_id: int,
    reporter_id: int,
    chat_id: int,
    new: NewIssue,
    photos: Sequence[PhotoInfo],
    now: datetime,
) -> tuple[Issue, IssueEvent, list[Issue]]:
    """Log an issue with its "before" photos; returns (issue, its event, open issues on
    the same road within 50 m — possible duplicates)."""
    if new.latitude is not None and new.longitude is not None:
        _check_position(new.latitude, new.longitude)
    duplicates = await nearby_open(session, group_id, new.road, new.stake_from, new.stake_to)
    values = {
        "group_id": group_id,
        "road": new.road,
        "stake_from": new.stake_from,
        "stake_to": new.stake_to if new.stake_to is not None else new.stake_from,
        "latitude": new.latitude,
        "longitude": new.longitude,
        "category": new.category,
        "severity": new.severity,
        "description": new.description,
        "status": IssueStatus.OPEN.value,
        "reporter_id": reporter_id,
        "chat_id": chat_id,
        "created_at": now,
        "updated_at": now,
    }
    row = (await session.execute(_report_insert(), binding(values))).mappings()
    issue = detached(Issue, row.one())
    event = await _event(session, issue, IssueEventKind.REPORTED, reporter_id, now)
    await attach_photos(session, group_id, photos, now, (Subject.ISSUE_EVENT, event.id))
    return issue, event, duplicates


_ISSUES = cast(Table, Issue.__table__)
_EVENTS = cast(Table, IssueEvent.__table__)
# A report's two rows, built once on their tables (values bound as v_<column>), on first
# use: the ORM would copy a statement on the model, and work out its cache key again,
# every time.
_REPORTED_COLUMNS = (
    "group_id",
    "road",
    "stake_from",
    "stake_to",
    "latitude",
    "longitude",
    "category",
    "severity",
    "description",
    "status",
    "reporter_id",
    "chat_id",
    "created_at",
    "updated_at",
)
_HISTORY_COLUMNS = ("issue_id", "kind", "actor_id", "subject_id", "note", "at")


@cache
def _report_insert() -> ReturningInsert[tuple[object, ...]]:
    """The issue's INSERT. Its number is the group's next, read in the same statement
    from the counter that a trigger moves up (migration 0018); on PostgreSQL the
    counter's row is locked, so a concurrent report in the same group waits for this
    one and takes the next."""
    next_number = (
        func.coalesce(
            select(Counter.last_number)
            .where(Counter.group_id == bindparam("v_group_id"), Counter.kind == "issue")
            .with_for_update()
            .scalar_subquery(),
            0,
        )
        + 1
    )
    return (
        insert(_ISSUES)
        .values({**bound(_REPORTED_COLUMNS), "number": next_number})
        .returning(*_ISSUES.columns)
    )


@cache
def _history_insert() -> ReturningInsert[tuple[object, ...]]:
    """One history row's INSERT."""
    return insert(_EVENTS).values(bound(_HISTORY_COLUMNS)).returning(*_EVENTS.columns)


async def nearby_open(
    session: AsyncSession,
    group_id: int,
    road: str | None,
    stake_from: int | None,
    stake_to: int | None,
    exclude_id: int | None = None,
) -> list[Issue]:
    """Unverified issues on ``road`` whose stake range lies within 50 m of this one."""
    if road is None or stake_from is None:
        return []
    end = stake_to if stake_to is not None else stake_from
    query = (
        select(Issue)
        .where(
            Issue.group_id == group_id,
            Issue.road == road,
            Issue.status != literal_column("'verified'"),  # literal: the partial index
            Issue.stake_from <= end + DUPLICATE_RADIUS_M,
            Issue.stake_to >= stake_from - DUPLICATE_RADIUS_M,
        )
        .order_by(Issue.number)
    )
    if exclude_id is not None:
        query = query.where(Issue.id != exclude_id)
    return list(await session.scalars(query))


async def get_issue(session: AsyncSession, group_id: int, number: int) -> Issue:
    """Issue ``number`` of the group; UnknownNumber if there is none."""
    return await numbered(session, Issue, "issue", group_id, number)


async def attach_location(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    latitude: float,
    longitude: float,
    since: datetime,
    now: datetime,
) -> Issue | None:
    """Put a shared location on the person's latest report in this chat, if it was made
    after ``since``; returns that issue. A position off the earth is refused."""
    _check_position(latitude, longitude)
    issue = await session.scalar(
        select(Issue)
        .where(Issue.chat_id == chat_id, Issue.reporter_id == user_id, Issue.created_at >= since)
        .order_by(Issue.created_at.desc(), Issue.id.desc())
        .limit(1)
    )
    if issue is None:
        return None
    issue.latitude, issue.longitude = latitude, longitude
    issue.updated_at = now
    where = f"{latitude:.6f},{longitude:.6f}"
    await _event(session, issue, IssueEventKind.LOCATED, user_id, now, note=where)
    return issue


async def assign(
    session: AsyncSession,
    issue: Issue,
    assignee_id: int,
    deadline: date | None,
    actor_id: int,
    now: datetime,
    *,
    by_admin: bool = True,
) -> Issue:
    """Give the issue to someone to rectify. Without a new deadline the one set before
    stays. Only an admin may take an issue away from the person it is assigned to (a
    member may take an unassigned one for themself)."""
    extra = []
    if not by_admin:
        extra.append(or_(Issue.assignee_id.is_(None), Issue.assignee_id == assignee_id))
    kept = deadline if deadline is not None else issue.deadline
    values = {
        "status": IssueStatus.ASSIGNED,
        "assignee_id": assignee_id,
        "deadline": deadline if deadline is not None else Issue.deadline,
        "updated_at": now,
    }
    note = kept.isoformat() if kept else ""
    event = _history(issue, IssueEventKind.ASSIGNED, actor_id, now, note=note, subject=assignee_id)
    try:
        return await transition(session, issue, UNRESOLVED, values, event, where=extra)
    except WrongStatus:
        if issue.status in UNRESOLVED:  # still open: someone else holds it
            raise Refused("issue.taken", number=issue.number) from None
        raise


def may_fix(issue: Issue, user_id: int, is_admin: bool) -> bool:
    """The assignee, the reporter and admins may mark an issue fixed."""
    return is_admin or user_id in (issue.assignee_id, issue.reporter_id)


def check_fixable(issue: Issue, user_id: int, is_admin: bool) -> None:
    """Refuse a fix (or the wait for its photo) by someone who may not, or of an issue
    that is not open."""
    if not may_fix(issue, user_id, is_admin):
        raise Refused("issue.not_allowed_fix", number=issue.number)
    if issue.status not in UNRESOLVED:
        raise WrongStatus(issue.number, issue.status, "issue")


async def mark_fixed(
    session: AsyncSession,
    issue: Issue,
    actor_id: int,
    is_admin: bool,
    note: str,
    photos: Sequence[PhotoInfo],
    now: datetime,
) -> tuple[Issue, IssueEvent]:
    """Record the rectification with its "after" photos (at least one)."""
    if not may_fix(issue, actor_id, is_admin):
        raise Refused("issue.not_allowed_fix", number=issue.number)
    if not photos:
        raise Refused("issue.needs_photo", number=issue.number)
    values = {"status": IssueStatus.FIXED, "fixed_at": now, "updated_at": now}
    event = _history(issue, IssueEventKind.FIXED, actor_id, now, note=note)
    issue = await transition(session, issue, UNRESOLVED, values, event)
    await attach_photos(session, issue.group_id, photos, now, (Subject.ISSUE_EVENT, event.id))
    return issue, event


async def verify(
    session: AsyncSession,
    issue: Issue,
    admin_id: int,
    now: datetime,
    duplicate_of: Issue | None = None,
) -> Issue:
    """Close the issue: its fix checked, or (``duplicate_of``) as a duplicate."""
    allowed = [IssueStatus.FIXED] if duplicate_of is None else [*UNRESOLVED, IssueStatus.FIXED]
    if duplicate_of is not None and duplicate_of.id == issue.id:
        raise Refused("issue.self_duplicate", number=issue.number)
    if duplicate_of is not None and await _merged(session, issue.id, duplicate_of.id):
        # merged into a merged issue: a loop of them would leave the problem counted nowhere
        raise Refused("issue.duplicate_of_duplicate", number=duplicate_of.number)
    values = {
        "status": IssueStatus.VERIFIED,
        "verified_at": now,
        "duplicate_of_id": duplicate_of.id if duplicate_of else None,
        "updated_at": now,
    }
    if duplicate_of is not None:
        note = f"#{duplicate_of.number}"
        event = _history(issue, IssueEventKind.DUPLICATE, admin_id, now, note=note)
    else:
        event = _history(issue, IssueEventKind.VERIFIED, admin_id, now)
    return await transition(session, issue, allowed, values, event)


async def _merged(session: AsyncSession, issue_id: int, target_id: int) -> bool:
    """Whether the target of a merge is itself merged, as committed now: the issue and
    the target are locked first, in id order, so that two admins merging two issues
    into each other at the same moment take turns (the second sees the first's merge)
    instead of both passing, or deadlocking. SQLite has one writer: no lock needed."""
    rows = await session.execute(
        select(Issue.id, Issue.duplicate_of_id)
        .where(Issue.id.in_([issue_id, target_id]))
        .order_by(Issue.id)
        .with_for_update()
    )
    return any(found == target_id and merged is not None for found, merged in rows)


async def reopen(
    session: AsyncSession, issue: Issue, admin_id: int, reason: str, now: datetime
) -> Issue:
    """Back to open (the fix did not hold, or it was closed by mistake); the assignee
    stays named, so they still see it under /members."""
    values = {
        "status": IssueStatus.OPEN,
        "fixed_at": None,
        "verified_at": None,
        "duplicate_of_id": None,
        "updated_at": now,
    }
    event = _history(issue, IssueEventKind.REOPENED, admin_id, now, note=reason)
    closed = [IssueStatus.FIXED, IssueStatus.VERIFIED]
    return await transition(session, issue, closed, values, event)


def _history(
    issue: Issue,
    kind: IssueEventKind,
    actor_id: int,
    now: datetime,
    *,
    note: str = "",
    subject: int | None = None,
) -> IssueEvent:
    """A history row of ``issue`` (not yet added to the session)."""
    return IssueEvent(
        issue_id=issue.id, kind=kind, actor_id=actor_id, subject_id=subject, note=note, at=now
    )


async def _event(
    session: AsyncSession,
    issue: Issue,
    kind: IssueEventKind,
    actor_id: int,
    now: datetime,
    *,
    note: str = "",
) -> IssueEvent:
    """Add a history row of ``issue`` that comes with no status change (one INSERT,
    built once); returns a copy of the row."""
    row: dict[str, object] = {"issue_id": issue.id, "kind": kind.value, "actor_id": actor_id}
    row |= {"subject_id": None, "note": note, "at": now}
    found = await session.execute(_history_insert(), binding(row))
    return detached(IssueEvent, found.mappings().one())


async def _reload(session: AsyncSession, issue_id: int) -> Issue:
    issue = await session.get(Issue, issue_id, populate_existing=True)
    assert issue is not None
    return issue
