"""组织生活与志愿服务 in the monthly work report: the events held in a month, a page at a
time, with their sign-ups, attendance, credited minutes and photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.kinds import Subject
from storage.models import Event, EventSignup, Photo
from storage.photos import photos_of
from storage.summary import EVENT_PHOTOS, PAGE


@dataclass
class EventEntry:
    """An event held in the month: its people and hours (``recorded``: of those who
    attended, how many an admin recorded after the fact, 补录), and up to three photos."""

    event: Event
    signed_up: int
    attended: int
    minutes: int
    photos: list[Photo]
    recorded: int = 0


async def event_page(
    session: AsyncSession,
    group_id: int,
    month: Month,
    now: datetime,
    after: tuple[datetime, int] | None,
    size: int = PAGE,
) -> list[EventEntry]:
    """The next events held in the month (started by now), by start after ``after``,
    with sign-ups, attendance (and how much of it was recorded, 补录), credited minutes
    and up to three photos."""
    query = select(Event).where(
        Event.group_id == group_id, Event.starts_at >= month.start, Event.starts_at < month.end
    )
    query = query.where(Event.starts_at < now)
    if after is not None:
        query = query.where(
            or_(Event.starts_at > after[0], and_(Event.starts_at == after[0], Event.id > after[1]))
        )
    events = list(await session.scalars(query.order_by(Event.starts_at, Event.id).limit(size)))
    if not events:
        return []
    ids = [e.id for e in events]
    counts = {
        event_id: (int(attended or 0), int(minutes or 0), int(recorded or 0))
        for event_id, attended, minutes, recorded in await session.execute(
            select(
                EventSignup.event_id,
                func.count(EventSignup.checked_in_at),
                func.sum(EventSignup.minutes),
                func.count(EventSignup.recorded_by),
            )
            .where(EventSignup.event_id.in_(ids))
            .group_by(EventSignup.event_id)
        )
    }
    photos = await photos_of(session, Subject.EVENT, ids)
    return [
        EventEntry(
            event=e,
            signed_up=e.joined_count,
            attended=counts.get(e.id, (0, 0, 0))[0],
            minutes=counts.get(e.id, (0, 0, 0))[1],
            photos=photos.get(e.id, [])[:EVENT_PHOTOS],
            recorded=counts.get(e.id, (0, 0, 0))[2],
        )
        for e in events
    ]
