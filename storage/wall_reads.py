"""The results wall's page, read a bounded piece at a time: the newest approved results
with their photos before and after, the topics in progress, each road's issues along its
stakes (from the per-kilometre tallies once there are many), the issues verified this
month with their photo pairs, and this month's activities and hours. Every read is
limited, so a page costs the same for a group with a long history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, Period
from domain.kinds import IssueStatus, Subject, TopicEventKind, TopicStatus
from storage.event_reads import attended
from storage.hours import BoardLine, board
from storage.models import (
    Event,
    Issue,
    IssueRoadTally,
    IssueStakeTally,
    Member,
    Milestone,
    Photo,
    Topic,
    TopicEvent,
)
from storage.topics import RatingSummary, claimants, rating_summaries

RESULTS = 12  # approved results on the page (as many as the poster)
ONGOING = 30  # topics in progress on the page
PHOTOS = 2  # before and after photos of one result
MARKERS = 300  # past this many located issues a strip shows kilometres, not issues
STATUS_ORDER = tuple(s.value for s in IssueStatus)  # least done first
BINS = 12  # at most this many stretches along a road (a long road's kilometres merged)
ROADS = 12  # roads drawn
EVENTS = 20  # this month's activities
BOARD = 10  # the hours leaderboard


@dataclass
class Result:
    """An approved result: who, how rated, and photos before (progress) and after."""

    topic: Topic
    claimants: list[Member]
    rating: RatingSummary
    before: list[Photo] = field(default_factory=list)
    after: list[Photo] = field(default_factory=list)


@dataclass
class Ongoing:
    """A topic being worked on, with who holds it and its next milestone."""

    topic: Topic
    claimants: list[Member]
    next_milestone: Milestone | None


@dataclass(frozen=True)
class Marker:
    """One issue on a road strip, or (``number`` None) the issues of one kilometre."""

    stake: int  # metres
    status: str
    count: int = 1
    number: int | None = None
    km: int = 0  # the stretch a kilometre marker holds: from K{km}, ``width`` kilometres
    width: int = 1
    statuses: tuple[tuple[str, int], ...] = ()  # a stretch's issues by status


@dataclass
class Strip:
    """A road with its markers along the stakes, and its counts by status."""

    road: str
    markers: list[Marker] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Located issues on the road."""
        return sum(self.counts.values())


@dataclass
class Activity:
    """One of this month's activities and how many took part."""

    event: Event
    attended: int


async def results(session: AsyncSession, group_id: int, limit: int = RESULTS) -> list[Result]:
    """The newest approved results (by approval), with photos before and after."""
    topics = list(
        await session.scalars(
            select(Topic)
            .where(Topic.group_id == group_id, Topic.status == TopicStatus.DONE)
            .order_by(Topic.approved_at.desc(), Topic.number.desc())
            .limit(limit)
        )
    )
    ids = [t.id for t in topics]
    people = await claimants(session, ids)
    ratings = await rating_summaries(session, ids)
    found = {
        t.id: Result(t, people.get(t.id, []), ratings.get(t.id, RatingSummary())) for t in topics
    }
    for topic_id, _, photo in await _step_photos(session, ids, TopicEventKind.PROGRESS):
        if len(found[topic_id].before) < PHOTOS:
            found[topic_id].before.append(photo)
    accepted: dict[int, int] = {}  # the last submission of each topic: the one approved
    for topic_id, event_id, photo in reversed(
        await _step_photos(session, ids, TopicEventKind.SUBMITTED)
    ):
        if accepted.setdefault(topic_id, event_id) == event_id:
            found[topic_id].after.insert(0, photo)
    for entry in found.values():
        del entry.after[PHOTOS:]
    return list(found.values())


async def _step_photos(
    session: AsyncSession, topic_ids: list[int], kind: TopicEventKind
) -> list[tuple[int, int, Photo]]:
    """The photos of these topics' steps of one kind (topic, step, photo), oldest step
    first."""
    if not topic_ids:
        return []
    rows = await session.execute(
        select(TopicEvent.topic_id, TopicEvent.id, Photo)
        .join(
            Photo, (Photo.subject_kind == Subject.TOPIC_EVENT) & (Photo.subject_id == TopicEvent.id)
        )
        .where(TopicEvent.topic_id.in_(topic_ids), TopicEvent.kind == kind)
        .order_by(TopicEvent.at, TopicEvent.id, Photo.id)
    )
    return [(topic_id, event_id, photo) for topic_id, event_id, photo in rows]


async def done_count(session: AsyncSession, group_id: int) -> int:
    """How many results the group has approved in all."""
    found = await session.scalar(
        select(func.count())
        .select_from(Topic)
        .where(Topic.group_id == group_id, Topic.status == TopicStatus.DONE)
    )
    return int(found or 0)


async def ongoing(session: AsyncSession, group_id: int, limit: int = ONGOING) -> list[Ongoing]:
    """Claimed topics and those in review, the nearest deadline first."""
    topics = list(
        await session.scalars(
            select(Topic)
            .where(
                Topic.group_id == group_id,
                Topic.status.in_([TopicStatus.CLAIMED, TopicStatus.REVIEW]),
            )
            .order_by(Topic.due_on.is_(None), Topic.due_on, Topic.number)
            .limit(limit)
        )
    )
    ids = [t.id for t in topics]
    people = await claimants(session, ids)
    upcoming: dict[int, Milestone] = {}
    if ids:
        for milestone in await session.scalars(
            select(Milestone)
            .where(Milestone.topic_id.in_(ids), Milestone.done_at.is_(None))
            .order_by(Milestone.due_on, Milestone.id)
        ):
            upcoming.setdefault(milestone.topic_id, milestone)
    return [Ongoing(t, people.get(t.id, []), upcoming.get(t.id)) for t in topics]


async def strips(
    session: AsyncSession,
    group_id: int,
    markers: int = MARKERS,
    roads: int = ROADS,
    bins: int = BINS,
) -> list[Strip]:
    """Each road's located issues (duplicates apart) along its stakes, the roads with
    most issues first: one marker an issue, or past ``markers`` issues one a stretch of
    road (at most ``bins`` a road): counted in SQL from the tallies the triggers keep, per
    road and per kilometre, so a page reads no more for a long history."""
    found: dict[str, Strip] = {}
    for road, status, n in await session.execute(
        select(IssueRoadTally.road, IssueRoadTally.status, IssueRoadTally.n).where(
            IssueRoadTally.group_id == group_id, IssueRoadTally.n > 0
        )
    ):
        found.setdefault(road, Strip(road)).counts[status] = n
    chosen = sorted(found.values(), key=lambda s: (-s.total, s.road))[:roads]
    if sum(s.total for s in found.values()) <= markers:
        await _each_issue(session, group_id, chosen, markers)
    elif chosen:
        await _stretches(session, group_id, chosen, bins)
    return chosen


def _any(tally: type[IssueStakeTally]) -> Any:
    """A kilometre with an issue on it."""
    return (tally.n_open + tally.n_assigned + tally.n_fixed + tally.n_verified) > 0


async def _each_issue(
    session: AsyncSession, group_id: int, chosen: list[Strip], limit: int
) -> None:
    """One marker an issue on the chosen roads, along the stakes."""
    wanted = {s.road: s for s in chosen}
    for number, place, stake, status in await session.execute(
        select(Issue.number, Issue.road, Issue.stake_from, Issue.status)
        .where(
            Issue.group_id == group_id,
            Issue.road.in_(list(wanted)),
            Issue.stake_from.is_not(None),
            Issue.duplicate_of_id.is_(None),
        )
        .order_by(Issue.road, Issue.stake_from, Issue.number)
        .limit(limit)
    ):
        if place is not None and stake is not None:
            wanted[place].markers.append(Marker(stake, status, 1, number))


async def _stretches(session: AsyncSession, group_id: int, chosen: list[Strip], bins: int) -> None:
    """Each chosen road cut into at most ``bins`` stretches of whole kilometres, from its
    first kilometre with an issue to its last (one statement for all of them): a marker
    each, coloured by its least-done issue, with its counts by status."""
    tally = IssueStakeTally
    located = (tally.group_id == group_id, tally.road.in_([s.road for s in chosen]), _any(tally))
    span = (
        select(
            tally.road.label("road"),
            func.min(tally.km).label("first"),
            ((func.max(tally.km) - func.min(tally.km) + bins) // bins).label("width"),
        )
        .where(*located)
        .group_by(tally.road)
        .subquery()
    )
    stretch = (tally.km - span.c.first) // span.c.width
    by_status = [func.sum(getattr(tally, f"n_{s}")) for s in STATUS_ORDER]
    strips = {s.road: s for s in chosen}
    for road, first, width, number, *counts in await session.execute(
        select(tally.road, span.c.first, span.c.width, stretch, *by_status)
        .join(span, span.c.road == tally.road)
        .where(*located)
        .group_by(tally.road, span.c.first, span.c.width, stretch)
    ):  # unordered: the database hashes the groups instead of sorting ~1,800 rows
        statuses = tuple((s, int(n)) for s, n in zip(STATUS_ORDER, counts, strict=True) if n)
        if statuses:
            start = int(first) + int(number) * int(width)
            total = sum(n for _, n in statuses)
            middle = start * 1000 + int(width) * 500
            marker = Marker(middle, statuses[0][0], total, None, start, int(width), statuses)
            strips[road].markers.append(marker)
    for strip in chosen:
        strip.markers.sort(key=lambda m: m.stake)


async def activities(
    session: AsyncSession, group_id: int, month: Month, limit: int = EVENTS
) -> list[Activity]:
    """The month's activities (by start) with how many took part."""
    events = list(
        await session.scalars(
            select(Event)
            .where(
                Event.group_id == group_id,
                Event.starts_at >= month.start,
                Event.starts_at < month.end,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    )
    came = await attended(session, [e.id for e in events])
    return [Activity(e, came.get(e.id, 0)) for e in events]


async def hours_board(
    session: AsyncSession, group_id: int, month: Month, now: datetime, limit: int = BOARD
) -> list[BoardLine]:
    """The month's volunteer-hours leaderboard."""
    return await board(session, group_id, Period(month.start, month.end), now, limit)
