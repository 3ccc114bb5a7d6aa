"""The minute sweep's bookkeeping: which groups are due a morning, which slots were
handled (``deliveries``, written once per key), events starting soon with the people
signed up, and what admins see of the messages that could not be sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import SignupStatus
from storage.dialect import insert
from storage.models import Delivery, Event, EventSignup, Group, Member, OutboxMessage

FAILED_SHOWN = 10


async def active_groups(session: AsyncSession) -> list[Group]:
    """The groups the bot is in, with their briefing time, zone and workdays rule."""
    return list(await session.scalars(select(Group).where(Group.active.is_(True))))


async def handled(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of these slots were handled already."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return set(await session.scalars(select(Delivery.key).where(Delivery.key.in_(wanted))))


async def claim_slot(
    session: AsyncSession, key: str, group_id: int | None, outcome: str, now: datetime
) -> bool:
    """Record the slot as handled, in the caller's transaction; False when it was
    already (by this process earlier, or another one): then do nothing for it."""
    stmt = (
        insert(session, Delivery)
        .values(key=key, group_id=group_id, outcome=outcome, at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Delivery.key)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def written(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of these outbox keys were written already."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return set(
        await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(wanted)))
    )


async def starting_between(
    session: AsyncSession, after: datetime, until: datetime
) -> list[tuple[Event, Group]]:
    """Events of the groups the bot is in that start after ``after`` and no later than
    ``until`` (read on the start index), soonest first."""
    rows = await session.execute(
        select(Event, Group)
        .join(Group, Group.id == Event.group_id)
        .where(Event.starts_at > after, Event.starts_at <= until, Group.active.is_(True))
        .order_by(Event.starts_at, Event.id)
    )
    return [(event, group) for event, group in rows]


async def signed_up(session: AsyncSession, event_id: int) -> list[Member]:
    """The people with a place at the event, in the order they signed up."""
    rows = await session.scalars(
        select(Member)
        .join(EventSignup, EventSignup.user_id == Member.user_id)
        .where(EventSignup.event_id == event_id, EventSignup.status == SignupStatus.IN.value)
        .order_by(EventSignup.seq)
    )
    return list(rows)


async def last_handled(session: AsyncSession, group_id: int) -> Delivery | None:
    """The group's latest morning, whatever became of it."""
    return await session.scalar(
        select(Delivery).where(Delivery.group_id == group_id).order_by(Delivery.at.desc()).limit(1)
    )


async def failed_messages(
    session: AsyncSession, group_id: int, since: datetime, limit: int = FAILED_SHOWN
) -> tuple[list[OutboxMessage], int]:
    """The group's messages that could not be sent since ``since``, latest first, and
    how many there are in all."""
    where = (
        OutboxMessage.group_id == group_id,
        OutboxMessage.failed_at.is_not(None),
        OutboxMessage.failed_at >= since,
    )
    rows = await session.scalars(
        select(OutboxMessage).where(*where).order_by(OutboxMessage.failed_at.desc()).limit(limit)
    )
    total = await session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))
    return list(rows), int(total or 0)


async def waiting_messages(session: AsyncSession, group_id: int) -> int:
    """How many of the group's messages still wait to be sent."""
    found = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.group_id == group_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
        )
    )
    return int(found or 0)
