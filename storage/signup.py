"""Signing up for an event: a place while there are places, else the waiting list.

A sign-up is two statements: the sign-up row inserted from the event's row, which is
locked for it on PostgreSQL (``FOR UPDATE``: a concurrent sign-up for the same event
waits, then reads the counts this one left), its place and order decided in SQL; then
the event's counts, returned for the reply. SQLite takes turns anyway (one writer at a
time). Refusals (an unknown number, an event that is over or recorded, a second
sign-up) write nothing and are told apart only when they happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Refused, UnknownNumber
from domain.kinds import SignupStatus
from domain.parsing import storable
from storage.dialect import insert
from storage.models import Event, EventSignup
from storage.types import UTCDateTime


@dataclass(frozen=True)
class Joined:
    """The outcome of a sign-up: a place, or the waiting list at ``place``."""

    status: SignupStatus
    place: int  # 1-based place on the waiting list (0 with a place at the event)


def refuse_recorded(event: Event, key: str) -> None:
    """Refuse what a recorded activity (补录) does not take: Join presses, check-in."""
    if event.recorded:
        raise Refused(key, number=event.number)


async def get_signup(session: AsyncSession, event_id: int, user_id: int) -> EventSignup | None:
    """The person's sign-up for the event, if any."""
    return await session.get(EventSignup, (event_id, user_id), populate_existing=True)


async def waiting_place(session: AsyncSession, event_id: int, seq: int) -> int:
    """The 1-based place on the event's waiting list of the sign-up numbered ``seq``."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(EventSignup)
        .where(
            EventSignup.event_id == event_id,
            EventSignup.status == SignupStatus.WAITING,
            EventSignup.seq < seq,
        )
    )
    return int(ahead or 0) + 1


async def join(session: AsyncSession, event: Event, user_id: int, now: datetime) -> Joined:
    """Sign the person up for ``event``; refuses a second sign-up, an event that is over
    and a recorded one (补录)."""
    _, joined = await _sign_up(session, Event.id == event.id, event.number, user_id, now)
    return joined


async def join_number(
    session: AsyncSession, group_id: int, number: int, user_id: int, now: datetime
) -> tuple[Event, Joined]:
    """Sign the person up for the group's event ``number``: the event as it is now (its
    counts with this sign-up) and where they stand. UnknownNumber if there is no such
    event; refusals as :func:`join`."""
    if not storable(number):
        raise UnknownNumber("event", number)
    where = and_(Event.group_id == group_id, Event.number == number)
    return await _sign_up(session, where, number, user_id, now)


async def _sign_up(
    session: AsyncSession, which: ColumnElement[bool], number: int, user_id: int, now: datetime
) -> tuple[Event, Joined]:
    full = and_(Event.cap.is_not(None), Event.joined_count >= Event.cap)
    status = case((full, literal(SignupStatus.WAITING.value)), else_=literal(SignupStatus.IN.value))
    chosen = (
        select(
            Event.id,
            literal(user_id, BigInteger),
            status,
            Event.last_seq + 1,
            literal(now, UTCDateTime),
        )
        .where(which, Event.ends_at > now, Event.recorded.is_(False))
        .with_for_update()
    )
    columns = ["event_id", "user_id", "status", "seq", "signed_at"]
    written = await session.execute(
        insert(session, EventSignup)
        .from_select(columns, chosen)
        .on_conflict_do_nothing(index_elements=["event_id", "user_id"])
        .returning(EventSignup.event_id, EventSignup.status, EventSignup.seq)
    )
    row = written.first()
    if row is None:
        await _refuse(session, which, number, user_id, now)
    event_id, taken, seq = row
    waiting = taken == SignupStatus.WAITING
    counted = Event.waiting_count if waiting else Event.joined_count
    changed = await session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values({counted: counted + 1, Event.last_seq: seq, Event.updated_at: now})
        .returning(Event)
        .execution_options(populate_existing=True)
    )
    event = changed.scalar_one()
    place = event.waiting_count if waiting else 0
    return event, Joined(SignupStatus(taken), place)


async def _refuse(
    session: AsyncSession, which: ColumnElement[bool], number: int, user_id: int, now: datetime
) -> NoReturn:
    """Say why nothing was signed up: no such event, over, recorded, already signed up."""
    event = await session.scalar(select(Event).where(which))
    if event is None:
        raise UnknownNumber("event", number)
    refuse_recorded(event, "event.recorded_no_join")
    if event.ends_at <= now:
        raise Refused("event.over", number=event.number)
    existing = await get_signup(session, event.id, user_id)
    if existing is not None and existing.status == SignupStatus.WAITING:
        place = await waiting_place(session, event.id, existing.seq)
        raise Refused("event.already_waiting", number=event.number, place=place)
    raise Refused("event.already_in", number=event.number)
