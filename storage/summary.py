"""The month of a group as its monthly work report (工作简报) reads it: the numbers of the
overview, the topics worked on, the inspection issues with their photos, the events with
their attendance, the hours leaderboard and the political birthdays.

Everything is read per group and per month, on indexes; the long lists (issues, topics,
events) come in pages, each page in its own short read, so a month of thousands of issues
never holds a transaction open while the document grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, distinct, exists, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, local_date
from domain.kinds import IssueStatus, Subject, TopicEventKind, TopicStatus
from storage.hours import BoardLine, board
from storage.issue_reads import IssueDetail, details
from storage.members import members_by_id
from storage.models import (
    ISSUE_ORDER,
    Event,
    EventSignup,
    Group,
    Issue,
    Member,
    Membership,
    Milestone,
    Photo,
    Rating,
    Topic,
    TopicClaim,
    TopicEvent,
)
from storage.photos import photos_of

PAGE = 200  # rows of a long list read at once
TOPIC_PHOTOS = 2
EVENT_PHOTOS = 3
PAIRS = 6  # before/after pairs of verified issues
PAIR_PAGES = 10  # pages of 50 verified issues looked at for pairs with both photos
OVERDUE_SHOWN = 30
BIRTHDAYS_SHOWN = 200


def _in(month: Month, column: Any) -> ColumnElement[bool]:
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
        .where(Topic.group_id == group_id, TopicEvent.kind == kind.value, _in(month, TopicEvent.at))
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
    found.topics_claimed = await _count(
        session, _topic_steps(group_id, month, TopicEventKind.CLAIMED)
    )
    found.topics_submitted = await _count(
        session, _topic_steps(group_id, month, TopicEventKind.SUBMITTED)
    )
    found.topics_approved = await _count(
        session, _topic_steps(group_id, month, TopicEventKind.APPROVED)
    )
    found.issues_reported = await _count(session, _issues(group_id, _in(month, Issue.created_at)))
    found.issues_fixed = await _count(session, _issues(group_id, _in(month, Issue.fixed_at)))
    found.issues_verified = await _count(session, _issues(group_id, _in(month, Issue.verified_at)))
    found.reported_fixed = await _count(
        session,
        _issues(
            group_id,
            _in(month, Issue.created_at),
            or_(Issue.fixed_at < month.end, Issue.verified_at < month.end),
        ),
    )
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
    found.events_by_kind = {kind: (int(n), int(people)) for kind, n, people in rows}
    lines = await board(session, group_id, month.period, now, limit=100_000)
    found.volunteer_minutes = sum(line.minutes for line in lines)
    found.volunteers = len(lines)
    found.duplicates = await _count(
        session,
        select(func.count())
        .select_from(Issue)
        .where(
            Issue.group_id == group_id,
            _in(month, Issue.created_at),
            Issue.duplicate_of_id.is_not(None),
        ),
    )
    found.month_over = now >= month.end
    arrived = await session.scalar(select(Group.created_at).where(Group.id == group_id))
    if arrived is not None and arrived < month.start:  # in the bot's first month all are new
        found.new_members = await _count(
            session,
            select(func.count())
            .select_from(Membership)
            .where(Membership.group_id == group_id, _in(month, Membership.first_seen_at)),
        )
    return found


# --- 领题解题 -----------------------------------------------------------------------------


@dataclass
class TopicEntry:
    """A topic worked on in the month, as the report shows it."""

    topic: Topic
    claimants: list[Member]
    milestones: list[Milestone]  # reached in the month
    progress: int  # the last progress of the month (or now, for the current month)
    rating: tuple[float, int] | None  # average stars, how many ratings
    photos: list[Photo]  # of the submitted result, at most TOPIC_PHOTOS
    finished: bool = False  # a result was submitted (in review, or done)


def _active_topic(month: Month) -> ColumnElement[bool]:
    stepped = exists().where(TopicEvent.topic_id == Topic.id, _in(month, TopicEvent.at))
    return or_(_in(month, Topic.created_at), stepped)


async def topic_page(
    session: AsyncSession, group_id: int, month: Month, after: int, size: int = PAGE
) -> list[TopicEntry]:
    """The next topics worked on in the month (created, or any step in it), by number
    after ``after``: claimants, milestones reached in the month, progress, result
    rating and up to two result photos."""
    topics = list(
        await session.scalars(
            select(Topic)
            .where(Topic.group_id == group_id, Topic.number > after, _active_topic(month))
            .order_by(Topic.number)
            .limit(size)
        )
    )
    if not topics:
        return []
    ids = [x.id for x in topics]
    claims: dict[int, list[int]] = {}
    for topic_id, user_id in await session.execute(
        select(TopicClaim.topic_id, TopicClaim.user_id)
        .where(TopicClaim.topic_id.in_(ids))
        .order_by(TopicClaim.claimed_at)
    ):
        claims.setdefault(topic_id, []).append(user_id)
    steps: dict[int, list[Milestone]] = {}
    for step in await session.scalars(
        select(Milestone)
        .where(Milestone.topic_id.in_(ids), _in(month, Milestone.done_at))
        .order_by(Milestone.due_on, Milestone.id)
    ):
        steps.setdefault(step.topic_id, []).append(step)
    progress: dict[int, int] = {}
    for topic_id, value in await session.execute(
        select(TopicEvent.topic_id, TopicEvent.progress)
        .where(
            TopicEvent.topic_id.in_(ids),
            TopicEvent.progress.is_not(None),
            TopicEvent.at < month.end,
        )
        .order_by(TopicEvent.at, TopicEvent.id)
    ):
        progress[topic_id] = int(value or 0)
    ratings = {
        topic_id: (float(avg), int(n))
        for topic_id, avg, n in await session.execute(
            select(Rating.topic_id, func.avg(Rating.stars), func.count())
            .where(Rating.topic_id.in_(ids))
            .group_by(Rating.topic_id)
        )
    }
    results = {
        event_id: topic_id
        for event_id, topic_id in await session.execute(
            select(func.max(TopicEvent.id), TopicEvent.topic_id)
            .where(
                TopicEvent.topic_id.in_(ids),
                TopicEvent.kind == TopicEventKind.SUBMITTED.value,
                TopicEvent.at < month.end,
            )
            .group_by(TopicEvent.topic_id)
        )
    }
    pictures: dict[int, list[Photo]] = {}
    for event_id, photos in (await photos_of(session, Subject.TOPIC_EVENT, results)).items():
        pictures[results[event_id]] = photos[:TOPIC_PHOTOS]
    people = await members_by_id(session, {u for found in claims.values() for u in found})

    def submitted(topic: Topic) -> bool:  # a result in by the month's end
        return (
            topic.status in (TopicStatus.REVIEW.value, TopicStatus.DONE.value)
            and topic.submitted_at is not None
            and topic.submitted_at < month.end
        )

    return [
        TopicEntry(
            topic=x,
            claimants=[people[u] for u in claims.get(x.id, []) if u in people],
            milestones=steps.get(x.id, []),
            progress=100 if submitted(x) else progress.get(x.id, 0),
            rating=ratings.get(x.id) if submitted(x) else None,
            photos=pictures.get(x.id, []) if submitted(x) else [],
            finished=submitted(x),
        )
        for x in topics
    ]


# --- 自查问题清单 ---------------------------------------------------------------------------


async def issue_ids(session: AsyncSession, group_id: int, month: Month) -> list[int]:
    """The month's issues — reported, rectified or verified in it, duplicates apart — in
    the order of the list (road, then stake): ids only, for :func:`issue_page`."""
    wanted = (
        select(Issue.id)
        .where(Issue.group_id == group_id, _in(month, Issue.created_at))
        .union(
            select(Issue.id).where(Issue.group_id == group_id, _in(month, Issue.fixed_at)),
            select(Issue.id).where(Issue.group_id == group_id, _in(month, Issue.verified_at)),
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
            _in(month, Issue.verified_at),
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
        found += [d for d in await details(session, issues) if d.before and d.after]
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
    limit: int = OVERDUE_SHOWN,
) -> tuple[list[Overdue], int]:
    """Issues past their deadline at the month's end (for the current month: today)
    without a rectification by then, with the person responsible; the first ``limit`` by
    deadline, and how many in all."""
    end = min(month.end, now)
    cutoff = min(month.next().first_day, local_date(now, month.zone))
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
        total += await _count(session, select(func.count()).select_from(Issue).where(late, which))
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


async def issue_weeks(session: AsyncSession, group_id: int, month: Month) -> list[WeekCount]:
    """Issues reported and rectified per week (weeks starting on Monday) of the month."""
    tz = ZoneInfo(month.zone)
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
                Issue.group_id == group_id, Issue.duplicate_of_id.is_(None), _in(month, column)
            )
        )
        async for moment in stream:
            if moment is not None:
                day = moment.astimezone(tz).date()
                into[day - timedelta(days=day.weekday())] += 1
    return [WeekCount(w, opened[w], closed[w]) for w in weeks]


# --- 组织生活与志愿服务 ----------------------------------------------------------------------


@dataclass
class EventEntry:
    """An event held in the month: its people and hours, and up to three photos."""

    event: Event
    signed_up: int
    attended: int
    minutes: int
    photos: list[Photo]


async def event_page(
    session: AsyncSession,
    group_id: int,
    month: Month,
    now: datetime,
    after: tuple[datetime, int] | None,
    size: int = PAGE,
) -> list[EventEntry]:
    """The next events held in the month (started by now), by start after ``after``,
    with sign-ups, attendance, credited minutes and up to three photos."""
    query = select(Event).where(
        Event.group_id == group_id, Event.starts_at >= month.start, Event.starts_at < month.end
    )
    query = query.where(Event.starts_at < now)
    if after is not None:
        query = query.where(
            or_(Event.starts_at > after[0], and_(Event.starts_at == after[0], Event.id > after[1]))
        )
    events = list(await session.scalars(query.order_by(Event.starts_at, Event.id).limit(size)))
    if not events:
        return []
    ids = [e.id for e in events]
    counts = {
        event_id: (int(attended or 0), int(minutes or 0))
        for event_id, attended, minutes in await session.execute(
            select(
                EventSignup.event_id,
                func.count(EventSignup.checked_in_at),
                func.sum(EventSignup.minutes),
            )
            .where(EventSignup.event_id.in_(ids))
            .group_by(EventSignup.event_id)
        )
    }
    photos = await photos_of(session, Subject.EVENT, ids)
    return [
        EventEntry(
            event=e,
            signed_up=e.joined_count,
            attended=counts.get(e.id, (0, 0))[0],
            minutes=counts.get(e.id, (0, 0))[1],
            photos=photos.get(e.id, [])[:EVENT_PHOTOS],
        )
        for e in events
    ]


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
        select(Member)
        .join(Membership, Membership.user_id == Member.user_id)
        .where(
            Membership.group_id == group_id,
            Membership.active.is_(True),
            Member.party_joined_on.is_not(None),
            Member.party_joined_on < month.first_day,
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
