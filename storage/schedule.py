"""The minute sweep's bookkeeping: which groups are due a morning, which slots were
handled (``deliveries``, written once per key), events starting soon with the people
signed up, and what admins see of the messages that could not be sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import slots
from domain.kinds import SignupStatus
from storage.dialect import insert
from storage.models import (
    Delivery,
    Event,
    EventSignup,
    Group,
    Member,
    Membership,
    OutboxMessage,
)

FAILED_SHOWN = 10


def mornings_of(group_id: int) -> ColumnElement[bool]:
    """The group's morning slots among its deliveries (not its event reminders' and
    reports'), read on the key."""
    first, after = slots.mornings(group_id)
    return and_(Delivery.key >= first, Delivery.key < after)


async def active_groups(session: AsyncSession) -> list[Group]:
    """The groups the bot is in, with their briefing time, zone and workdays rule."""
    return list(await session.scalars(select(Group).where(Group.active.is_(True))))


async def handled(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of these slots were handled already."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return set(await session.scalars(select(Delivery.key).where(Delivery.key.in_(wanted))))


MORNING_LOCKS = 0x4D4F524E  # "MORN": the first half of a morning's advisory lock key


async def take_morning(session: AsyncSession, group_id: int) -> bool:
    """Whether this transaction may handle the group's morning now: on PostgreSQL it
    takes the group's transaction-level advisory lock if nobody holds it (so several
    processes sweeping at once split the groups between them instead of queueing for the
    same one); SQLite runs one process: always."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = await session.scalar(select(func.pg_try_advisory_xact_lock(MORNING_LOCKS, group_id)))
    return bool(taken)


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


async def starting_between(
    session: AsyncSession, after: datetime, until: datetime
) -> list[tuple[Event, Group]]:
    """Events of the groups the bot is in that start after ``after`` and no later than
    ``until`` (read on the start index), soonest first; never a recorded one (补录: it
    has begun already, and nobody is reminded of it)."""
    rows = await session.execute(
        select(Event, Group)
        .join(Group, Group.id == Event.group_id)
        .where(
            Event.starts_at > after,
            Event.starts_at <= until,
            Event.recorded.is_(False),
            Group.active.is_(True),
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [(event, group) for event, group in rows]


async def signed_up(session: AsyncSession, event: Event) -> list[Member]:
    """The people with a place at the event who are still in its group, in the order
    they signed up."""
    rows = await session.scalars(
        select(Member)
        .join(EventSignup, EventSignup.user_id == Member.user_id)
        .join(
            Membership,
            and_(Membership.user_id == Member.user_id, Membership.group_id == event.group_id),
        )
        .where(
            EventSignup.event_id == event.id,
            EventSignup.status == SignupStatus.IN.value,
            Membership.active.is_(True),
        )
        .order_by(EventSignup.seq)
    )
    return list(rows)


async def still_members(session: AsyncSession, group_id: int, user_ids: Iterable[int]) -> set[int]:
    """Which of these people are still in the group (reminders go to them only)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Membership.user_id).where(
            Membership.group_id == group_id,
            Membership.user_id.in_(wanted),
            Membership.active.is_(True),
        )
    )
    return set(rows)


async def last_handled(
    session: AsyncSession, group_id: int
) -> tuple[Delivery, OutboxMessage | None] | None:
    """The group's latest morning, whatever became of it, and its briefing's (first)
    message (None when it wrote none: a day off, too late)."""
    last = await session.scalar(
        select(Delivery)
        .where(Delivery.group_id == group_id, mornings_of(group_id))
        .order_by(Delivery.at.desc())
        .limit(1)
    )
    if last is None:
        return None
    first, after = slots.briefings(group_id)
    message = await session.scalar(  # written with the morning, in its transaction
        select(OutboxMessage).where(
            OutboxMessage.key >= first,
            OutboxMessage.key < after,
            OutboxMessage.created_at == last.at,
        )
    )
    return last, message


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
