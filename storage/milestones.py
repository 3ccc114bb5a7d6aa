"""Milestones of a topic: dated steps its claimants (or an admin) add and mark done."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import (
    NotClaimant,
    Refused,
    WrongStatus,
)
from domain.kinds import TopicEventKind, TopicStatus
from storage.models import Milestone, Topic
from storage.topics import _event, is_claimant


async def add_milestone(
    session: AsyncSession,
    topic: Topic,
    due_on: date,
    text: str,
    actor_id: int,
    now: datetime,
    *,
    by_admin: bool = True,
) -> Milestone:
    """A dated step of the topic (by a claimant or an admin)."""
    if not by_admin and not await is_claimant(session, topic.id, actor_id):
        raise NotClaimant(topic.number)
    if topic.status == TopicStatus.DONE:
        raise WrongStatus(topic.number, topic.status)
    milestone = Milestone(
        topic_id=topic.id, due_on=due_on, text=text, created_by=actor_id, created_at=now
    )
    session.add(milestone)
    note = f"{due_on.isoformat()} {text}"
    await _event(session, topic, TopicEventKind.MILESTONE, actor_id, now, note=note)
    await session.flush()
    return milestone


async def complete_milestone(
    session: AsyncSession, topic: Topic, index: int, actor_id: int, now: datetime, *, by_admin: bool
) -> Milestone:
    """Mark the topic's ``index``-th milestone (by date, from 1) done (claimants and
    admins); done once, a second time changes nothing."""
    if not by_admin and not await is_claimant(session, topic.id, actor_id):
        raise NotClaimant(topic.number)
    steps = await milestones(session, topic.id)
    if not 1 <= index <= len(steps):
        raise Refused("topic.no_such_milestone", number=topic.number, index=index)
    step = steps[index - 1]
    step.done_at = step.done_at or now
    return step


async def milestones(session: AsyncSession, topic_id: int) -> list[Milestone]:
    """The topic's milestones by date."""
    rows = await session.scalars(
        select(Milestone)
        .where(Milestone.topic_id == topic_id)
        .order_by(Milestone.due_on, Milestone.id)
    )
    return list(rows)
