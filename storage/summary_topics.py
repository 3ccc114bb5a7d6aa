"""领题解题 in the monthly work report: the topics worked on in a month, a page at a time,
with their claimants, milestones, progress, rating and result photos."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.kinds import Subject, TopicEventKind, TopicStatus
from storage.members import members_by_id
from storage.models import Member, Milestone, Photo, Rating, Topic, TopicClaim, TopicEvent
from storage.photos import photos_of
from storage.summary import PAGE, TOPIC_PHOTOS, active_topic, within


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


async def topic_page(
    session: AsyncSession, group_id: int, month: Month, after: int, size: int = PAGE
) -> list[TopicEntry]:
    """The next topics worked on in the month (created, or any step in it), by number
    after ``after``: claimants, milestones reached in the month, progress, result
    rating and up to two result photos."""
    topics = list(
        await session.scalars(
            select(Topic)
            .where(Topic.group_id == group_id, Topic.number > after, active_topic(month))
            .order_by(Topic.number)
            .limit(size)
        )
    )
    if not topics:
        return []
    ids = [x.id for x in topics]
    claims = await _claims(session, ids)
    steps = await _milestones_reached(session, ids, month)
    progress = await _last_progress(session, ids, month)
    ratings = await _ratings(session, ids)
    pictures = await _result_photos(session, ids, month)
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


async def _claims(session: AsyncSession, ids: list[int]) -> dict[int, list[int]]:
    """Who claimed each topic (user ids), in the order they claimed it."""
    claims: dict[int, list[int]] = {}
    for topic_id, user_id in await session.execute(
        select(TopicClaim.topic_id, TopicClaim.user_id)
        .where(TopicClaim.topic_id.in_(ids))
        .order_by(TopicClaim.claimed_at)
    ):
        claims.setdefault(topic_id, []).append(user_id)
    return claims


async def _milestones_reached(
    session: AsyncSession, ids: list[int], month: Month
) -> dict[int, list[Milestone]]:
    """Each topic's milestones reached in the month, by due date."""
    steps: dict[int, list[Milestone]] = {}
    for step in await session.scalars(
        select(Milestone)
        .where(Milestone.topic_id.in_(ids), within(month, Milestone.done_at))
        .order_by(Milestone.due_on, Milestone.id)
    ):
        steps.setdefault(step.topic_id, []).append(step)
    return steps


async def _last_progress(session: AsyncSession, ids: list[int], month: Month) -> dict[int, int]:
    """Each topic's last progress reported before the month's end."""
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
    return progress


async def _ratings(session: AsyncSession, ids: list[int]) -> dict[int, tuple[float, int]]:
    """Each rated topic's average stars and how many ratings."""
    return {
        topic_id: (float(avg), int(n))
        for topic_id, avg, n in await session.execute(
            select(Rating.topic_id, func.avg(Rating.stars), func.count())
            .where(Rating.topic_id.in_(ids))
            .group_by(Rating.topic_id)
        )
    }


async def _result_photos(
    session: AsyncSession, ids: list[int], month: Month
) -> dict[int, list[Photo]]:
    """The photos of each topic's last result submitted by the month's end (at most
    ``TOPIC_PHOTOS``)."""
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
    return pictures
