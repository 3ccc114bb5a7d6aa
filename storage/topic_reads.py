"""Topics read for showing: one topic with everything /topic shows, the results wall,
and who holds what (for the roster). Reads only; a fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import Subject, TopicStatus
from storage.members import members_by_id
from storage.milestones import milestones
from storage.models import Member, Milestone, Photo, Topic, TopicClaim, TopicEvent
from storage.photos import photos_of
from storage.topics import RatingSummary, claimants, rating_summaries


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
