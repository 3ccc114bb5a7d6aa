"""What a group's morning briefing and the day's reminders are made of: events of today
and tomorrow, political birthdays, milestones and issue deadlines with the people
responsible, issue counts, topic progress since the last briefing, volunteer hours of
the month. Reads only; each part is one or two indexed queries, capped in length."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Day, Period
from domain.kinds import TopicEventKind
from domain.slots import Outcome
from storage.deadlines import (
    Due,
    Soon,
    due_issues,
    due_milestones,
    due_soon,
    issues_due,
    milestones_due,
    today_of,
)
from storage.hours import group_total
from storage.issue_reads import COUNT_CAP, IssueCounts, counts
from storage.members import active_members
from storage.models import (
    Delivery,
    Event,
    Group,
    Issue,
    Member,
    Milestone,
    Topic,
    TopicEvent,
)
from storage.schedule import mornings_of

LIST_CAP = 10  # lines of one section; the rest is counted
BIRTHDAYS_CAP = 2000  # political birthdays of one group and day (all are greeted)
PROGRESS_KINDS = (
    TopicEventKind.CLAIMED,
    TopicEventKind.MILESTONE,
    TopicEventKind.PROGRESS,
    TopicEventKind.SUBMITTED,
    TopicEventKind.APPROVED,
)


@dataclass(frozen=True)
class Progress:
    """What happened to one topic since the last briefing."""

    number: int
    title: str
    progress: int
    status: str
    kinds: tuple[str, ...]


@dataclass
class Briefing:
    """Everything one morning briefing says (each list capped; ``*_more``: how many
    more there are, counted up to ``COUNT_CAP``)."""

    events: list[Event]
    events_more: int
    birthdays: list[tuple[Member, int]]
    birthdays_more: int
    due: list[Due]
    due_more: int
    issues: IssueCounts
    new_issues: int
    progress: list[Progress]
    hours_minutes: int
    hours_people: int
    first: bool = False  # no briefing before: "new" counts from the bot's arrival

    @property
    def empty(self) -> bool:
        """Nothing to say today (no section would be shown)."""
        return not (
            self.events
            or self.birthdays
            or self.due
            or self.issues.total
            or self.progress
            or self.hours_minutes
        )


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    """Rows of ``query``, counted up to ``COUNT_CAP + 1``."""
    found = await session.scalar(
        select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())
    )
    return int(found or 0)


async def briefing(
    session: AsyncSession,
    group_id: int,
    day: Day,
    since: tuple[datetime, bool],
    now: datetime,
    *,
    soon: Soon | None = None,
    anniversaries: list[tuple[Member, int]] | None = None,
) -> Briefing:
    """The group's briefing for ``day`` (what changed counts from ``since``: the last
    briefing's time, and whether this is the first); ``soon`` and ``anniversaries``:
    the day's deadlines and political birthdays when the caller has read them already
    (the morning, which reminds and greets with them)."""
    since_at, first = since
    in_window = (
        Event.group_id == group_id,
        Event.starts_at >= day.start,
        Event.starts_at < day.after,
    )
    events = list(
        await session.scalars(
            select(Event).where(*in_window).order_by(Event.starts_at, Event.number).limit(LIST_CAP)
        )
    )
    events_total = len(events)
    if events_total == LIST_CAP:  # (fewer: that is all of them)
        events_total = await _count(session, select(Event.id).where(*in_window))
    if soon is None:
        soon = await due_soon(session, group_id, day.today, LIST_CAP)
    due, due_total = await _due_today_then_overdue(session, group_id, day.today, soon)
    new_issues = await _count(
        session,
        select(Issue.id).where(
            Issue.group_id == group_id,
            Issue.created_at >= since_at,
            Issue.duplicate_of_id.is_(None),
        ),
    )
    if anniversaries is None:
        anniversaries = await birthdays(session, group_id, day.today)
    minutes, people = await group_total(session, group_id, Period(day.month_start, None), now)
    return Briefing(
        events=events,
        events_more=max(events_total - len(events), 0),
        birthdays=anniversaries[:LIST_CAP],
        birthdays_more=max(len(anniversaries) - LIST_CAP, 0),
        due=due,
        due_more=max(due_total - len(due), 0),
        issues=await counts(session, group_id, day.today),
        new_issues=new_issues,
        progress=await progress_since(session, group_id, since_at),
        hours_minutes=minutes,
        hours_people=people,
        first=first,
    )


async def _due_today_then_overdue(
    session: AsyncSession, group_id: int, today: date, soon: Soon
) -> tuple[list[Due], int]:
    """Up to ``LIST_CAP`` items: those due today first, then the most recently overdue
    (long-forgotten ones are counted, not listed); and how many are due or overdue in
    all (counted in SQL only for a kind whose lists were cut)."""
    milestones, all_milestones = today_of(soon.milestones, soon.cap, today)
    issues, all_issues = today_of(soon.issues, soon.cap, today)
    found = sorted(milestones[:LIST_CAP] + issues[:LIST_CAP], key=lambda d: (d.kind, d.number))[
        :LIST_CAP
    ]
    late_milestones: list[Due] = []
    late_issues: list[Due] = []
    looked_back = len(found) < LIST_CAP
    if looked_back:
        yesterday = today - timedelta(days=1)
        late_milestones = await due_milestones(
            session, group_id, None, yesterday, LIST_CAP, latest_first=True
        )
        late_issues = await due_issues(
            session, group_id, None, yesterday, LIST_CAP, latest_first=True
        )
        late = late_milestones + late_issues
        late.sort(key=lambda d: (-d.due_on.toordinal(), d.kind, d.number))
        found += late[: LIST_CAP - len(found)]
    if all_milestones and looked_back and len(late_milestones) < LIST_CAP:
        total = len(milestones) + len(late_milestones)
    else:
        query = milestones_due(group_id, None, today).with_only_columns(Milestone.id)
        total = await _count(session, query)
    if all_issues and looked_back and len(late_issues) < LIST_CAP:
        total += len(issues) + len(late_issues)
    else:
        total += await _count(
            session, issues_due(group_id, None, today).with_only_columns(Issue.id)
        )
    return found, total


def _anniversary(today: date) -> ColumnElement[bool]:
    """Whose party anniversary is ``today`` (29 February is kept on the 28th in other
    years)."""
    month = extract("month", Member.party_joined_on)
    day = extract("day", Member.party_joined_on)
    same = and_(month == today.month, day == today.day)
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        return or_(same, and_(month == 2, day == 29))
    return same


async def birthdays(
    session: AsyncSession, group_id: int, today: date, limit: int = BIRTHDAYS_CAP
) -> list[tuple[Member, int]]:
    """The group's members whose political birthday (入党纪念日) is today, with the
    years since they joined the Party."""
    rows = await session.scalars(
        active_members(group_id)
        .where(
            Member.party_joined_on.is_not(None),
            Member.party_joined_on < today,
            _anniversary(today),
        )
        .order_by(Member.party_joined_on, Member.user_id)
        .limit(limit)
    )
    found = []
    for member in rows:
        joined = member.party_joined_on
        assert joined is not None
        if today.year - joined.year >= 1:
            found.append((member, today.year - joined.year))
    return found


async def progress_since(session: AsyncSession, group_id: int, since: datetime) -> list[Progress]:
    """The group's topics that moved since ``since`` (claimed, a milestone, progress,
    a result submitted or approved), in the order they last moved."""
    rows = list(
        await session.execute(
            select(TopicEvent.topic_id, TopicEvent.kind, Topic)
            .join(Topic, Topic.id == TopicEvent.topic_id)
            .where(
                Topic.group_id == group_id,
                TopicEvent.at >= since,
                TopicEvent.kind.in_([k.value for k in PROGRESS_KINDS]),
            )
            .order_by(TopicEvent.at, TopicEvent.id)
            .limit(20 * LIST_CAP)
        )
    )
    kinds: dict[int, list[str]] = {}
    topics: dict[int, Topic] = {}
    for topic_id, kind, topic in rows:
        topics[topic_id] = topic
        if kind not in kinds.setdefault(topic_id, []):
            kinds[topic_id].append(kind)
    return [
        Progress(t.number, t.title, t.progress, t.status, tuple(kinds[t.id]))
        for t in list(topics.values())[:LIST_CAP]
    ]


FIRST_LOOK_BACK = timedelta(days=7)  # a first briefing reports changes this far back


async def since_last_briefing(
    session: AsyncSession, group: Group, now: datetime
) -> tuple[datetime, bool]:
    """When the group's last briefing was written (a day off or a skipped morning does
    not count, so Monday's briefing covers the weekend); before the first one, since the
    bot joined the group, a week at most — and whether there was none before."""
    found = await session.scalar(
        select(func.max(Delivery.at)).where(
            mornings_of(group.id),
            Delivery.at < now,
            Delivery.outcome == Outcome.SENT.value,
        )
    )
    if isinstance(found, datetime):
        return found, False
    return max(group.created_at, now - FIRST_LOOK_BACK), True
