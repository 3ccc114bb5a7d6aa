"""Events (活动) and volunteer service: create, sign up and withdraw with a waiting list,
check in and out, credited minutes.

Every change to an event's sign-ups begins by locking the event's row (an UPDATE of it;
a sign-up reads it FOR UPDATE: storage/signup.py), so on PostgreSQL concurrent joins and
withdrawals of one event take turns and the places can never be over-filled; SQLite
takes turns anyway (one writer at a time).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin import Window
from domain.checkin import window as checkin_window
from domain.errors import Refused
from domain.events import LATE_CHECKOUT, LONGEST, checkin_opens, credited_minutes
from domain.kinds import CheckinMethod, EventType, SignupStatus
from storage.groups import next_number, numbered
from storage.models import Event, EventSignup
from storage.signup import (  # re-exported: signing up is part of an event's story
    Joined,
    get_signup,
    join,
    join_number,
    refuse_recorded,
    waiting_place,
)

__all__ = ["Joined", "join", "join_number"]

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B)
CODE_LENGTH = 6


def new_code() -> str:
    """A fresh check-in code: six characters, about 10⁸ possibilities."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class EventDraft:
    """A new event as /newevent describes it, its times in UTC."""

    kind: EventType
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    end_given: bool
    cap: int | None
    latitude: float | None
    longitude: float | None
    walk_in: bool
    recorded: bool = False  # 补录: it has begun already (no buttons, reminders, check-in)


async def create_event(
    session: AsyncSession, group_id: int, creator_id: int, draft: EventDraft, now: datetime
) -> Event:
    """A new event with the group's next event number, a check-in code and two secret
    link tokens (the group's check-in button, the printed QR code); with
    ``draft.recorded`` an activity recorded after it had begun (补录)."""
    if not timedelta(0) < draft.ends_at - draft.starts_at <= LONGEST:
        raise ValueError(f"an event lasts more than nothing and at most {LONGEST}")
    event = Event(
        group_id=group_id,
        number=await next_number(session, group_id, "event"),
        kind=draft.kind,
        title=draft.title,
        place=draft.place,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        end_given=draft.end_given,
        cap=draft.cap,
        latitude=draft.latitude,
        longitude=draft.longitude,
        walk_in=draft.walk_in,
        recorded=draft.recorded,
        allow_pin=False,
        code_fallback=False,
        checkin_code=new_code(),
        link_token=secrets.token_urlsafe(12),
        qr_token=secrets.token_urlsafe(12),
        joined_count=0,
        waiting_count=0,
        last_seq=0,
        created_by=creator_id,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    return event


async def get_event(session: AsyncSession, group_id: int, number: int) -> Event:
    """Event ``number`` of the group; UnknownNumber if there is none."""
    return await numbered(session, Event, "event", group_id, number)


async def _change(session: AsyncSession, event_id: int, **values: Any) -> None:
    """Write ``values`` to the event's row (which also takes it for this transaction)."""
    await session.execute(update(Event).where(Event.id == event_id).values(**values))


async def set_announcement(session: AsyncSession, event_id: int, message_id: int) -> None:
    """Remember which group message announces the event (it is edited as people join)."""
    await _change(session, event_id, announce_message_id=message_id)


async def set_venue(
    session: AsyncSession, event: Event, latitude: float, longitude: float, now: datetime
) -> None:
    """Set the venue's position: check-in then asks for the person's location."""
    await _change(session, event.id, latitude=latitude, longitude=longitude, updated_at=now)


async def set_switch(
    session: AsyncSession, event: Event, name: str, value: bool, now: datetime
) -> None:
    """Turn one of the event's check-in options on or off: ``pin`` (a static pin counts
    as a location), ``code`` (the code works where there is a venue), ``walkin``."""
    columns = {"pin": "allow_pin", "code": "code_fallback", "walkin": "walk_in"}
    await _change(session, event.id, **{columns[name]: value, "updated_at": now})


async def lock_event(session: AsyncSession, event_id: int, now: datetime) -> Event:
    """Take the event's row for this transaction (concurrent changes wait) and read it."""
    await _change(session, event_id, updated_at=now)
    event = await session.get(Event, event_id, populate_existing=True)
    assert event is not None
    return event


@dataclass(frozen=True)
class Left:
    """The outcome of a withdrawal: who left, and who moved up from the waiting list."""

    user_id: int
    had_place: bool
    promoted: int | None  # the user id that took the freed place


async def leave(session: AsyncSession, event: Event, user_id: int, now: datetime) -> Left:
    """Withdraw the person; a freed place goes to the first person waiting. Refuses
    someone not signed up, someone already checked in, an event that is over and a
    recorded one (补录: its people are added and removed by an admin)."""
    event = await lock_event(session, event.id, now)
    refuse_recorded(event, "event.recorded_no_join")
    if event.ends_at <= now:
        raise Refused("event.over", number=event.number)
    signup = await get_signup(session, event.id, user_id)
    if signup is None:
        raise Refused("event.not_signed_up", number=event.number)
    if signup.checked_in_at is not None:
        raise Refused("event.leave_checked_in", number=event.number)
    had_place = signup.status == SignupStatus.IN
    await session.delete(signup)
    if not had_place:
        await _change(session, event.id, waiting_count=Event.waiting_count - 1)
        return Left(user_id, False, None)
    promoted = None
    first = await session.scalar(
        select(EventSignup)
        .where(EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITING)
        .order_by(EventSignup.seq)
        .limit(1)
    )
    still_full = event.cap is not None and event.joined_count - 1 >= event.cap
    if first is not None and not still_full:
        first.status = SignupStatus.IN
        promoted = first.user_id
        await _change(session, event.id, waiting_count=Event.waiting_count - 1)
    else:
        await _change(session, event.id, joined_count=Event.joined_count - 1)
    await session.flush()
    return Left(user_id, True, promoted)


def local_text(moment: datetime, zone: str) -> str:
    """``moment`` as a refusal names it to people: ``12-05 09:00`` in the group's zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M")


async def check_in(
    session: AsyncSession,
    event: Event,
    user_id: int,
    now: datetime,
    method: CheckinMethod,
    zone: str,
    *,
    distance: int | None = None,
) -> EventSignup:
    """Record the person's arrival, once: from 30 minutes before the start to the end,
    for people with a place (or, at an event that takes walk-ins, anyone: they are
    added). ``zone`` is the group's time zone, for the times a refusal names."""
    event = await lock_event(session, event.id, now)
    signup = await may_check_in(session, event, user_id, now, zone)
    if signup is None or signup.status == SignupStatus.WAITING:
        if signup is None:
            signup = EventSignup(
                event_id=event.id,
                user_id=user_id,
                status=SignupStatus.IN,
                seq=event.last_seq + 1,
                signed_at=now,
            )
            session.add(signup)
            await _change(
                session, event.id, last_seq=Event.last_seq + 1, joined_count=Event.joined_count + 1
            )
        else:
            signup.status = SignupStatus.IN
            await _change(
                session,
                event.id,
                joined_count=Event.joined_count + 1,
                waiting_count=Event.waiting_count - 1,
            )
    signup.checked_in_at = now
    signup.method = method
    signup.distance_m = distance
    signup.minutes = credited_minutes(now, None, event.starts_at, event.ends_at)
    await session.flush()
    return signup


async def may_check_in(
    session: AsyncSession,
    event: Event,
    user_id: int,
    now: datetime,
    zone: str,
    *,
    window: bool = True,
) -> EventSignup | None:
    """Refuses a check-in that cannot be: outside its time window (with ``window``;
    without, only once the event is over), a second one, someone not signed up or still
    waiting (unless the event takes walk-ins), and any at a recorded activity (补录).
    Returns the person's sign-up, if any."""
    refuse_recorded(event, "event.recorded_no_checkin")
    refusal = checkin_refusal(event, now, zone)
    if refusal is not None and (window or now > event.ends_at):
        raise refusal
    signup = await get_signup(session, event.id, user_id)
    if signup is not None and signup.checked_in_at is not None:
        raise Refused(
            "event.already_checked_in",
            number=event.number,
            time=local_text(signup.checked_in_at, zone),
        )
    if not event.walk_in:
        if signup is None:
            raise Refused("event.checkin_not_signed_up", number=event.number)
        if signup.status == SignupStatus.WAITING:
            place = await waiting_place(session, event.id, signup.seq)
            raise Refused("event.checkin_waiting", number=event.number, place=place)
    return signup


def checkin_refusal(event: Event, now: datetime, zone: str) -> Refused | None:
    """Why check-in to the event is not open at ``now`` (too early, or over, or never: a
    recorded activity); None while it is open."""
    if event.recorded:
        return Refused("event.recorded_no_checkin", number=event.number)
    opened = checkin_window(event, now)
    if opened is Window.NOT_YET:
        return Refused(
            "event.checkin_not_yet",
            number=event.number,
            opens=local_text(checkin_opens(event.starts_at), zone),
        )
    if opened is Window.CLOSED:
        return Refused("event.checkin_closed", number=event.number)
    return None


async def check_out(
    session: AsyncSession, event: Event, user_id: int, now: datetime, zone: str
) -> EventSignup:
    """Record the person's leaving: their minutes become check-out − check-in (capped
    at the event's length plus an hour). Refuses without a check-in, twice, and more
    than an hour after the end (the time until the end is already counted), and an
    attendance an admin recorded (补录: its hours were given)."""
    event = await lock_event(session, event.id, now)
    signup = await get_signup(session, event.id, user_id)
    if signup is None or signup.checked_in_at is None:
        raise Refused("event.checkout_not_in", number=event.number)
    if signup.method == CheckinMethod.RECORDED:
        raise Refused("event.checkout_recorded", number=event.number)
    if signup.checked_out_at is not None:
        raise Refused(
            "event.already_checked_out",
            number=event.number,
            time=local_text(signup.checked_out_at, zone),
        )
    if now > event.ends_at + LATE_CHECKOUT:
        raise Refused("event.checkout_closed", number=event.number)
    signup.checked_out_at = now
    signup.minutes = credited_minutes(signup.checked_in_at, now, event.starts_at, event.ends_at)
    await session.flush()
    return signup
