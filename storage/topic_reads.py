"""Topics read for showing: one topic with everything /topic shows, the results wall,
and who holds what (for the roster). Reads only; a fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import Subject, TopicStatus
from storage.members import members_by_id
from storage.milestones import milestones
from storage.models import Member, Milestone, Photo, Rating, Topic, TopicClaim, TopicEvent
from storage.photos import photos_of
from storage.topics import RatingSummary, by_status, claimants, rating_summaries


@dataclass
class TopicDetail:
    """Everything /topic shows."""

    topic: Topic
    claimants: list[Member]
    milestones: list[Milestone]
    events: list[TopicEvent]
    people: dict[int, Member]
    photos: dict[int, list[Photo]]
    rating: RatingSummary = field(default_factory=RatingSummary)


async def topic_detail(session: AsyncSession, topic: Topic) -> TopicDetail:
    """The topic with its claimants, milestones, history, photos and rating."""
    events = list(
        await session.scalars(
            select(TopicEvent)
            .where(TopicEvent.topic_id == topic.id)
            .order_by(TopicEvent.at, TopicEvent.id)
        )
    )
    ids = {e.actor_id for e in events} | {e.subject_id or 0 for e in events}
    people = await members_by_id(session, ids)
    return TopicDetail(
        topic=topic,
        claimants=(await claimants(session, [topic.id])).get(topic.id, []),
        milestones=await milestones(session, topic.id),
        events=events,
        people=people,
        photos=await photos_of(session, Subject.TOPIC_EVENT, [e.id for e in events]),
        rating=(await rating_summaries(session, [topic.id])).get(topic.id, RatingSummary()),
    )


async def claimed_by(session: AsyncSession, group_id: int) -> dict[int, list[int]]:
    """For the roster: the topic numbers each person holds (not yet done)."""
    rows = await session.execute(
        select(TopicClaim.user_id, Topic.number)
        .join(Topic, Topic.id == TopicClaim.topic_id)
        .where(Topic.group_id == group_id, Topic.status != TopicStatus.DONE)
        .order_by(Topic.number)
    )
    found: dict[int, list[int]] = {}
    for user_id, number in rows:
        found.setdefault(user_id, []).append(number)
    return found


@dataclass
class TopicBoard:
    """The group's topics as /topics and the topic list show them: by status (open,
    claimed, review, done), then number; who claimed each; their ratings."""

    topics: list[Topic]
    claimants: dict[int, list[Member]]
    ratings: dict[int, RatingSummary]


# built once: each read binds only the group (no list of topic ids to expand)
_BOARD = (
    select(Topic, func.avg(Rating.stars), func.count(Rating.user_id))
    .outerjoin(Rating, Rating.topic_id == Topic.id)
    .where(Topic.group_id == bindparam("group_id"))
    .group_by(Topic.id)
)
_CLAIMANTS = (
    select(TopicClaim.topic_id, Member)
    .join(Topic, Topic.id == TopicClaim.topic_id)
    .join(Member, Member.user_id == TopicClaim.user_id)
    .where(Topic.group_id == bindparam("group_id"))
    .order_by(TopicClaim.claimed_at, Member.user_id)
)


async def topic_board(session: AsyncSession, group_id: int) -> TopicBoard:
    """Every topic of the group with its claimants and rating, in two statements."""
    topics: list[Topic] = []
    ratings: dict[int, RatingSummary] = {}
    for topic, average, count in await session.execute(_BOARD, {"group_id": group_id}):
        topics.append(topic)
        if count:
            ratings[topic.id] = RatingSummary(float(average), int(count))
    topics = by_status(topics)
    people: dict[int, list[Member]] = {}
    for topic_id, member in await session.execute(_CLAIMANTS, {"group_id": group_id}):
        people.setdefault(topic_id, []).append(member)
    return TopicBoard(topics, people, ratings)
