"""What is read of events (活动): an event by its deep link's secret or its announcement,
the group's upcoming and past events, who signed up, and how many came.

``storage.events`` re-exports these for its callers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import LONGEST
from storage.models import Event, EventSignup, Member


async def event_by_token(session: AsyncSession, token: str, *, qr: bool) -> Event | None:
    """The event a deep link's secret belongs to (the group's button, or with ``qr`` the
    printed code); None for a token nobody was given."""
    column = Event.qr_token if qr else Event.link_token
    return await session.scalar(select(Event).where(column == token))


async def event_by_announcement(
    session: AsyncSession, group_id: int, message_id: int
) -> Event | None:
    """The event announced by the group's message ``message_id``, if any."""
    return await session.scalar(
        select(Event).where(Event.group_id == group_id, Event.announce_message_id == message_id)
    )


async def people(session: AsyncSession, event_id: int) -> list[tuple[EventSignup, Member]]:
    """Everyone signed up for the event: those with a place first, then the waiting
    list, each in the order they signed up."""
    rows = await session.execute(
        select(EventSignup, Member)
        .join(Member, Member.user_id == EventSignup.user_id)
        .where(EventSignup.event_id == event_id)
        .order_by(EventSignup.status, EventSignup.seq)
    )
    return [(signup, member) for signup, member in rows]


async def list_upcoming(
    session: AsyncSession, group_id: int, now: datetime, limit: int = 20
) -> list[Event]:
    """The group's events that have not ended, soonest first: read in order of start
    from ``LONGEST`` ago (none that began earlier is still running), so the list stops
    at ``limit`` rows rather than passing over the group's past."""
    rows = await session.scalars(
        select(Event)
        .where(
            Event.group_id == group_id,
            Event.starts_at > now - LONGEST,
            Event.ends_at > now,
        )
        .order_by(Event.starts_at, Event.number)
        .limit(limit)
    )
    return list(rows)


async def list_past(
    session: AsyncSession, group_id: int, now: datetime, limit: int = 10
) -> list[Event]:
    """The group's last events that have ended, latest first."""
    rows = await session.scalars(
        select(Event)
        .where(Event.group_id == group_id, Event.ends_at <= now)
        .order_by(Event.ends_at.desc(), Event.number.desc())
        .limit(limit)
    )
    return list(rows)


async def attended(session: AsyncSession, event_ids: list[int]) -> dict[int, int]:
    """How many people checked in to each event."""
    if not event_ids:
        return {}
    rows = await session.execute(
        select(EventSignup.event_id, func.count())
        .where(EventSignup.event_id.in_(event_ids), EventSignup.checked_in_at.is_not(None))
        .group_by(EventSignup.event_id)
    )
    return {event_id: int(count) for event_id, count in rows}
