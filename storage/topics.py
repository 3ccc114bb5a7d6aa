"""Topics (领题解题): create, claim and release, milestones, progress, results, ratings,
approval, and the results wall. Every status change is a conditional write, so the rules
hold under concurrency on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import (
    AlreadyClaimant,
    NotAdmin,
    NotClaimant,
    Refused,
    TopicFull,
    WrongStatus,
)
from domain.kinds import Subject, TopicEventKind, TopicStatus
from storage.dialect import insert, rowcount
from storage.groups import next_number, numbered
from storage.lifecycle import transition
from storage.models import Member, Rating, Topic, TopicClaim, TopicEvent
from storage.photos import PhotoInfo, attach_photos

STATUSES = tuple(TopicStatus)


CLAIMABLE = (TopicStatus.OPEN, TopicStatus.CLAIMED)


async def create_topic(
    session: AsyncSession,
    group_id: int,
    creator_id: int,
    title: str,
    now: datetime,
    *,
    description: str = "",
    due_on: date | None = None,
    slots: int = 1,
) -> Topic:
    """A new open topic with the group's next topic number."""
    topic = Topic(
        group_id=group_id,
        number=await next_number(session, group_id, "topic"),
        title=title,
        description=description,
        due_on=due_on,
        slots=slots,
        claimed_count=0,
        status=TopicStatus.OPEN,
        progress=0,
        created_by=creator_id,
        created_at=now,
        updated_at=now,
    )
    session.add(topic)
    await session.flush()
    await _event(session, topic, TopicEventKind.CREATED, creator_id, now)
    return topic


async def get_topic(session: AsyncSession, group_id: int, number: int) -> Topic:
    """Topic ``number`` of the group; UnknownNumber if there is none."""
    return await numbered(session, Topic, "topic", group_id, number)


async def list_topics(session: AsyncSession, group_id: int) -> list[Topic]:
    """The group's topics, by status (open, claimed, review, done), then number."""
    return by_status(await session.scalars(select(Topic).where(Topic.group_id == group_id)))


def by_status(topics: Iterable[Topic]) -> list[Topic]:
    """Topics as the list shows them: by status (open, claimed, review, done), then
    number."""
    order: dict[str, int] = {status: index for index, status in enumerate(STATUSES)}
    return sorted(topics, key=lambda t: (order.get(t.status, 9), t.number))


async def claimants(session: AsyncSession, topic_ids: Sequence[int]) -> dict[int, list[Member]]:
    """Who claimed each topic, in the order they claimed it."""
    if not topic_ids:
        return {}
    rows = await session.execute(
        select(TopicClaim.topic_id, Member)
        .join(Member, Member.user_id == TopicClaim.user_id)
        .where(TopicClaim.topic_id.in_(topic_ids))
        .order_by(TopicClaim.claimed_at, Member.user_id)
    )
    found: dict[int, list[Member]] = {}
    for topic_id, member in rows:
        found.setdefault(topic_id, []).append(member)
    return found


async def is_claimant(session: AsyncSession, topic_id: int, user_id: int) -> bool:
    """Whether the person holds a claim on the topic."""
    found = await session.scalar(
        select(TopicClaim.user_id).where(
            TopicClaim.topic_id == topic_id, TopicClaim.user_id == user_id
        )
    )
    return found is not None


async def claim(session: AsyncSession, topic: Topic, user_id: int, now: datetime) -> Topic:
    """Claim a slot of the topic for the person.

    The slot is taken by one conditional UPDATE (``claimed_count < slots``) and the claim
    row's primary key stops the same person twice, so concurrent claims can never exceed
    the slots. Raises AlreadyClaimant, TopicFull or WrongStatus.
    """
    if await is_claimant(session, topic.id, user_id):
        raise AlreadyClaimant(topic.number)
    taken = await session.execute(
        update(Topic)
        .where(
            Topic.id == topic.id,
            Topic.status.in_(CLAIMABLE),
            Topic.claimed_count < Topic.slots,
        )
        .values(claimed_count=Topic.claimed_count + 1, status=TopicStatus.CLAIMED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        current = await _reload(session, topic.id)
        if current.status not in CLAIMABLE:
            raise WrongStatus(current.number, current.status)
        raise TopicFull(current.number, current.slots)
    added = await session.execute(
        insert(session, TopicClaim)
        .values(topic_id=topic.id, user_id=user_id, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["topic_id", "user_id"])
        .returning(TopicClaim.user_id)
    )
    if added.scalar_one_or_none() is None:
        raise AlreadyClaimant(topic.number)  # a double tap; the rollback frees the slot
    await _event(session, topic, TopicEventKind.CLAIMED, user_id, now)
    return await _reload(session, topic.id)


async def release(
    session: AsyncSession, topic: Topic, user_id: int, actor_id: int, now: datetime
) -> Topic:
    """Give up (or, for an admin, take away) a claim; the topic reopens when nobody
    holds it any more."""
    if topic.status not in CLAIMABLE:
        raise WrongStatus(topic.number, topic.status)
    removed = await session.execute(
        delete(TopicClaim).where(TopicClaim.topic_id == topic.id, TopicClaim.user_id == user_id)
    )
    if rowcount(removed) != 1:
        raise NotClaimant(topic.number)
    await session.execute(
        update(Topic)
        .where(Topic.id == topic.id)
        .values(claimed_count=Topic.claimed_count - 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Topic)
        .where(Topic.id == topic.id, Topic.claimed_count == 0, Topic.status == TopicStatus.CLAIMED)
        .values(status=TopicStatus.OPEN, progress=0)
        .execution_options(synchronize_session=False)
    )
    await _event(session, topic, TopicEventKind.RELEASED, actor_id, now, subject_id=user_id)
    return await _reload(session, topic.id)


async def release_claim(
    session: AsyncSession,
    topic: Topic,
    actor_id: int,
    now: datetime,
    *,
    named: int | None = None,
    by_admin: bool = False,
) -> tuple[Topic, int]:
    """Who may release whom: a claimant gives up their own claim; an admin may take
    anyone's (``named``); an admin who names nobody and holds no claim takes the claim
    of the only claimant. Returns the topic and whose claim was released."""
    target = named if named is not None else actor_id
    if target != actor_id and not by_admin:
        raise NotAdmin()
    if named is None and by_admin and not await is_claimant(session, topic.id, actor_id):
        holders = (await claimants(session, [topic.id])).get(topic.id, [])
        if len(holders) != 1:
            raise NotClaimant(topic.number)
        target = holders[0].user_id
    return await release(session, topic, target, actor_id, now), target


async def add_progress(
    session: AsyncSession,
    topic: Topic,
    user_id: int,
    percent: int,
    note: str,
    photos: Sequence[PhotoInfo],
    now: datetime,
) -> TopicEvent:
    """A claimant's progress update (with photos); sets the topic's progress."""
    if not await is_claimant(session, topic.id, user_id):
        raise NotClaimant(topic.number)
    event = _history(topic, TopicEventKind.PROGRESS, user_id, now, note=note, progress=percent)
    await transition(
        session, topic, [TopicStatus.CLAIMED], {"progress": percent, "updated_at": now}, event
    )
    await attach_photos(session, topic.group_id, photos, now, (Subject.TOPIC_EVENT, event.id))
    return event


async def submit_result(
    session: AsyncSession,
    topic: Topic,
    user_id: int,
    result: str,
    photos: Sequence[PhotoInfo],
    now: datetime,
) -> TopicEvent:
    """A claimant submits the result: the topic goes to review; earlier ratings (of a
    rejected result) are cleared."""
    if not await is_claimant(session, topic.id, user_id):
        raise NotClaimant(topic.number)
    event = _history(topic, TopicEventKind.SUBMITTED, user_id, now, note=result)
    values = {
        "status": TopicStatus.REVIEW,
        "result": result,
        "submitted_at": now,
        "progress": 100,
        "updated_at": now,
    }
    await transition(session, topic, [TopicStatus.CLAIMED], values, event)
    await session.execute(delete(Rating).where(Rating.topic_id == topic.id))
    await attach_photos(session, topic.group_id, photos, now, (Subject.TOPIC_EVENT, event.id))
    return event


async def set_result_message(session: AsyncSession, topic_id: int, message_id: int) -> None:
    """Remember the group message that carries the rating buttons."""
    await session.execute(
        update(Topic)
        .where(Topic.id == topic_id)
        .values(result_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class RatingSummary:
    """Average stars and how many rated."""

    average: float = 0.0
    count: int = 0


async def rate(
    session: AsyncSession, topic: Topic, user_id: int, stars: int, now: datetime
) -> tuple[int | None, RatingSummary]:
    """Record (or change) the person's rating; returns (previous stars, new summary).

    Refused when the topic is not in review or the person claimed it."""
    if topic.status != TopicStatus.REVIEW:
        raise Refused("topic.rating_closed", number=topic.number)
    if await is_claimant(session, topic.id, user_id):
        raise Refused("topic.own_rating", number=topic.number)
    previous = await session.scalar(
        select(Rating.stars).where(Rating.topic_id == topic.id, Rating.user_id == user_id)
    )
    await session.execute(
        insert(session, Rating)
        .values(topic_id=topic.id, user_id=user_id, stars=stars, rated_at=now)
        .on_conflict_do_update(
            index_elements=["topic_id", "user_id"], set_={"stars": stars, "rated_at": now}
        )
    )
    summary = (await rating_summaries(session, [topic.id])).get(topic.id, RatingSummary())
    return previous, summary


async def rating_summaries(
    session: AsyncSession, topic_ids: Sequence[int]
) -> dict[int, RatingSummary]:
    """Average and count of ratings per topic."""
    if not topic_ids:
        return {}
    rows = await session.execute(
        select(Rating.topic_id, func.avg(Rating.stars), func.count())
        .where(Rating.topic_id.in_(topic_ids))
        .group_by(Rating.topic_id)
    )
    return {tid: RatingSummary(float(avg), int(count)) for tid, avg, count in rows}


async def approve(
    session: AsyncSession, topic: Topic, admin_id: int, comment: str, now: datetime
) -> Topic:
    """The secretary approves the result: the topic is done and goes on the wall."""
    values = {
        "status": TopicStatus.DONE,
        "approved_at": now,
        "approved_by": admin_id,
        "approval_comment": comment or None,
        "updated_at": now,
    }
    event = _history(topic, TopicEventKind.APPROVED, admin_id, now, note=comment)
    return await transition(session, topic, [TopicStatus.REVIEW], values, event)


async def reject(
    session: AsyncSession, topic: Topic, admin_id: int, reason: str, now: datetime
) -> Topic:
    """Send the result back: the topic is in progress again."""
    values = {"status": TopicStatus.CLAIMED, "updated_at": now}
    event = _history(topic, TopicEventKind.REJECTED, admin_id, now, note=reason)
    return await transition(session, topic, [TopicStatus.REVIEW], values, event)


def _history(
    topic: Topic,
    kind: TopicEventKind,
    actor_id: int,
    now: datetime,
    *,
    note: str = "",
    progress: int | None = None,
    subject_id: int | None = None,
) -> TopicEvent:
    """A history row of ``topic`` (not yet added to the session)."""
    return TopicEvent(
        topic_id=topic.id,
        kind=kind,
        actor_id=actor_id,
        subject_id=subject_id,
        note=note,
        progress=progress,
        at=now,
    )


async def _event(
    session: AsyncSession,
    topic: Topic,
    kind: TopicEventKind,
    actor_id: int,
    now: datetime,
    *,
    note: str = "",
    subject_id: int | None = None,
) -> TopicEvent:
    """Add a history row of ``topic`` outside a status transition."""
    event = _history(topic, kind, actor_id, now, note=note, subject_id=subject_id)
    session.add(event)
    await session.flush()
    return event


async def _reload(session: AsyncSession, topic_id: int) -> Topic:
    topic = await session.get(Topic, topic_id, populate_existing=True)
    assert topic is not None
    return topic
