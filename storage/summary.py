"""The month of a group as its monthly work report (工作简报) reads it: the numbers of the
overview, the hours leaderboard and the political birthdays here; the topics worked on
(summary_topics.py), the inspection issues with their photos (summary_issues.py) and the
events with their attendance (summary_events.py) in their own modules.

Everything is read per group and per month, on indexes; the long lists (issues, topics,
events) come in pages, each page in its own short read, so a month of thousands of issues
never holds a transaction open while the document grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, exists, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.kinds import TopicEventKind, TopicStatus
from storage.hours import BoardLine, board
from storage.members import active_members
from storage.models import (
    Event,
    EventSignup,
    Group,
    Issue,
    Member,
    Membership,
    Topic,
    TopicClaim,
    TopicEvent,
)

PAGE = 200  # rows of a long list read at once
TOPIC_PHOTOS = 2
EVENT_PHOTOS = 3
PAIRS = 6  # before/after pairs of verified issues
PAIR_PAGES = 10  # pages of 50 verified issues looked at for pairs with both photos
OVERDUE_SHOWN = 30
BIRTHDAYS_SHOWN = 200


def within(month: Month, column: Any) -> ColumnElement[bool]:
    """``column`` (a UTC moment) falls in the month."""
    return and_(column >= month.start, column < month.end)


@dataclass
class Overview:
    """The month in numbers (概况)."""

    topics_claimed: int = 0
    topics_submitted: int = 0
    topics_approved: int = 0
    issues_reported: int = 0
    issues_fixed: int = 0
    issues_verified: int = 0
    reported_fixed: int = 0  # of the month's issues, rectified by the month's end
    events_by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # held, attended
    volunteer_minutes: int = 0
    # each volunteer's minutes, as the leaderboard lists them (its total adds them up)
    volunteer_rows: list[int] = field(default_factory=list)
    volunteers: int = 0
    new_members: int = 0  # first seen in the month (not counted in the bot's first month)
    duplicates: int = 0  # reported in the month and closed as duplicates (counted apart)
    month_over: bool = True  # the month has ended (else: its numbers so far)

    @property
    def rate(self) -> int | None:
        """The rectification rate of the month's issues, in percent (None: none)."""
        if not self.issues_reported:
            return None
        return round(100 * self.reported_fixed / self.issues_reported)


async def _count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


def _topic_steps(group_id: int, month: Month, kind: TopicEventKind) -> object:
    return (
        select(func.count(distinct(TopicEvent.topic_id)))
        .join(Topic, Topic.id == TopicEvent.topic_id)
        .where(
            Topic.group_id == group_id, TopicEvent.kind == kind.value, within(month, TopicEvent.at)
        )
    )


def _issues(group_id: int, *where: ColumnElement[bool]) -> object:
    return (
        select(func.count())
        .select_from(Issue)
        .where(Issue.group_id == group_id, Issue.duplicate_of_id.is_(None), *where)
    )


async def overview(session: AsyncSession, group_id: int, month: Month, now: datetime) -> Overview:
    """The numbers of the month: topics claimed, submitted and approved; issues reported,
    rectified and verified (duplicates apart) and the share of the month's issues
    rectified by its end; events held by type with attendance; volunteer hours; members
    who joined."""
    found = Overview()
    await _topic_numbers(session, found, group_id, month)
    await _issue_numbers(session, found, group_id, month)
    found.events_by_kind = await _events_held(session, group_id, month, now)
    lines = await board(session, group_id, month.period, now, limit=100_000)
    found.volunteer_minutes = sum(line.minutes for line in lines)
    found.volunteer_rows = [line.minutes for line in lines]
    found.volunteers = len(lines)
    found.month_over = now >= month.end
    found.new_members = await _new_members(session, group_id, month)
    return found


def active_topic(month: Month) -> ColumnElement[bool]:
    """A topic worked on in the month: created in it, or any step of it taken in it (the
    topics the report's section lists)."""
    stepped = exists().where(TopicEvent.topic_id == Topic.id, within(month, TopicEvent.at))
    return or_(within(month, Topic.created_at), stepped)


async def _topic_numbers(
    session: AsyncSession, found: Overview, group_id: int, month: Month
) -> None:
    """Fill in, of the topics the section lists, how many are claimed (someone holds
    them), how many had a result in by the month's end, and how many were approved in
    it — so the overview says what the section shows (a topic claimed and then given up
    is listed as open, and not counted as claimed)."""
    listed = and_(Topic.group_id == group_id, active_topic(month))
    held = exists().where(TopicClaim.topic_id == Topic.id)
    found.topics_claimed = await _count(
        session, select(func.count()).select_from(Topic).where(listed, held)
    )
    result_in = and_(
        Topic.status.in_([TopicStatus.REVIEW.value, TopicStatus.DONE.value]),
        Topic.submitted_at < month.end,
    )
    found.topics_submitted = await _count(
        session, select(func.count()).select_from(Topic).where(listed, result_in)
    )
    found.topics_approved = await _count(
        session, _topic_steps(group_id, month, TopicEventKind.APPROVED)
    )


async def _issue_numbers(
    session: AsyncSession, found: Overview, group_id: int, month: Month
) -> None:
    """Fill in the month's issues reported, rectified, verified, rectified of those
    reported, and the duplicates (counted apart)."""
    found.issues_reported = await _count(
        session, _issues(group_id, within(month, Issue.created_at))
    )
    found.issues_fixed = await _count(session, _issues(group_id, within(month, Issue.fixed_at)))
    found.issues_verified = await _count(
        session, _issues(group_id, within(month, Issue.verified_at))
    )
    found.reported_fixed = await _count(
        session,
        _issues(
            group_id,
            within(month, Issue.created_at),
            or_(Issue.fixed_at < month.end, Issue.verified_at < month.end),
        ),
    )
    found.duplicates = await _count(
        session,
        select(func.count())
        .select_from(Issue)
        .where(
            Issue.group_id == group_id,
            within(month, Issue.created_at),
            Issue.duplicate_of_id.is_not(None),
        ),
    )


async def _events_held(
    session: AsyncSession, group_id: int, month: Month, now: datetime
) -> dict[str, tuple[int, int]]:
    """The events held in the month (started by now) by type: how many, how many people
    checked in."""
    held = min(month.end, now)
    attended = (
        select(func.count())
        .select_from(EventSignup)
        .where(EventSignup.event_id == Event.id, EventSignup.checked_in_at.is_not(None))
        .correlate(Event)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Event.kind, func.count(), func.coalesce(func.sum(attended), 0))
        .where(Event.group_id == group_id, Event.starts_at >= month.start, Event.starts_at < held)
        .group_by(Event.kind)
    )
    return {kind: (int(n), int(people)) for kind, n, people in rows}


async def _new_members(session: AsyncSession, group_id: int, month: Month) -> int:
    """Members first seen in the month; none in the bot's first month (all are new)."""
    arrived = await session.scalar(select(Group.created_at).where(Group.id == group_id))
    if arrived is None or arrived >= month.start:
        return 0
    return await _count(
        session,
        select(func.count())
        .select_from(Membership)
        .where(Membership.group_id == group_id, within(month, Membership.first_seen_at)),
    )


async def leaderboard(
    session: AsyncSession, group_id: int, month: Month, now: datetime
) -> list[BoardLine]:
    """The month's volunteer-hours leaderboard."""
    return await board(session, group_id, month.period, now)


# --- 政治生日 ------------------------------------------------------------------------------


async def birthdays(
    session: AsyncSession, group_id: int, month: Month, limit: int = BIRTHDAYS_SHOWN
) -> list[tuple[Member, int]]:
    """The group's members whose Party anniversary falls in the month, by day, with the
    years since they joined."""
    rows = await session.scalars(
        active_members(group_id)
        .where(
            Member.party_joined_on.is_not(None),
            Member.party_joined_on < month.first_day.replace(day=1),
            extract("month", Member.party_joined_on) == month.month,
        )
        .order_by(extract("day", Member.party_joined_on), Member.user_id)
        .limit(limit)
    )
    found = []
    for member in rows:
        joined = member.party_joined_on
        assert joined is not None
        if month.year > joined.year:
            found.append((member, month.year - joined.year))
    return found
