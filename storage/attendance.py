"""补录: people recorded as present by an admin after the fact (``/attendance n add``), and
such records taken back (``/attendance n remove``).

A recorded attendance is a sign-up like any other — with a place, checked in, credited
minutes — so every count, the hours, the registers and the report take it in; its
``method`` is ``recorded`` and ``recorded_by`` the admin. The sign-up the person had
before (``prior_status``; None: none) is put back when the record is removed. Every change
begins by locking the event's row, as in ``storage.events``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Refused
from domain.kinds import CheckinMethod, SignupStatus
from storage.events import local_text, lock_event
from storage.models import Event, EventSignup


@dataclass
class Recorded:
    """What ``/attendance n add`` did to each person named (user ids, in the order named)."""

    added: list[int] = field(default_factory=list)  # recorded as present
    updated: list[int] = field(default_factory=list)  # recorded before: hours replaced
    kept: list[int] = field(default_factory=list)  # checked in themselves: left alone


@dataclass
class Unrecorded:
    """What ``/attendance n remove`` did to each person named."""

    removed: list[int] = field(default_factory=list)  # the record taken back
    checked_in: list[int] = field(default_factory=list)  # checked in themselves: left alone
    not_recorded: list[int] = field(default_factory=list)  # nothing recorded to take back


def event_minutes(event: Event) -> int:
    """The activity's length in minutes: what a recorded attendance is credited with
    unless the admin says otherwise."""
    return int((event.ends_at - event.starts_at).total_seconds() // 60)


async def _signups(
    session: AsyncSession, event_id: int, user_ids: list[int]
) -> dict[int, EventSignup]:
    rows = await session.scalars(
        select(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.user_id.in_(user_ids))
        .execution_options(populate_existing=True)
    )
    return {signup.user_id: signup for signup in rows}


async def record_present(
    session: AsyncSession,
    event: Event,
    user_ids: list[int],
    by: int,
    minutes: int | None,
    now: datetime,
    zone: str,
) -> Recorded:
    """Record each person as present at the event, checked in by the admin ``by``, with
    ``minutes`` (None: the event's length); someone recorded before gets the new minutes,
    someone who checked in themselves keeps their check-in. Refuses an event that has not
    started (``zone``: the group's, for the time the refusal names)."""
    event = await lock_event(session, event.id, now)
    if now < event.starts_at:
        raise Refused(
            "attendance.not_started", number=event.number, starts=local_text(event.starts_at, zone)
        )
    credited = minutes if minutes is not None else event_minutes(event)
    found = await _signups(session, event.id, user_ids)
    done, seq, joined, waiting = Recorded(), event.last_seq, 0, 0
    for user_id in user_ids:
        signup = found.get(user_id)
        if signup is not None and signup.checked_in_at is not None:
            if signup.method != CheckinMethod.RECORDED:
                done.kept.append(user_id)
                continue
            done.updated.append(user_id)
        else:
            done.added.append(user_id)
            if signup is None:
                seq += 1
                joined += 1
                signup = EventSignup(
                    event_id=event.id, user_id=user_id, status=SignupStatus.IN, seq=seq
                )
                signup.signed_at = now
                session.add(signup)
            else:
                signup.prior_status = signup.status
                if signup.status == SignupStatus.WAITING:  # present: they had a place after all
                    joined, waiting = joined + 1, waiting - 1
                signup.status = SignupStatus.IN
            signup.checked_in_at = now
        _mark(signup, credited, by)
    await _counts(session, event, seq, joined, waiting)
    return done


def _mark(signup: EventSignup, minutes: int, by: int) -> None:
    """The sign-up as a recorded attendance: present, credited ``minutes``, by ``by``."""
    signup.checked_out_at = None
    signup.method = CheckinMethod.RECORDED
    signup.distance_m = None
    signup.minutes = minutes
    signup.recorded_by = by


async def _counts(session: AsyncSession, event: Event, seq: int, joined: int, waiting: int) -> None:
    """Move the event's tallies of places and waiting people by ``joined`` and ``waiting``."""
    if joined or waiting or seq != event.last_seq:
        await session.execute(
            update(Event)
            .where(Event.id == event.id)
            .values(
                last_seq=seq,
                joined_count=Event.joined_count + joined,
                waiting_count=Event.waiting_count + waiting,
            )
        )
    await session.flush()


async def remove_record(
    session: AsyncSession, event: Event, user_ids: list[int], now: datetime
) -> Unrecorded:
    """Take back what ``/attendance n add`` recorded for each person: the sign-up they had
    before comes back as it was (none: the sign-up goes). A check-in of their own is
    never taken back here."""
    event = await lock_event(session, event.id, now)
    found = await _signups(session, event.id, user_ids)
    done, joined, waiting = Unrecorded(), 0, 0
    for user_id in user_ids:
        signup = found.get(user_id)
        if signup is None or signup.checked_in_at is None:
            done.not_recorded.append(user_id)
            continue
        if signup.method != CheckinMethod.RECORDED:
            done.checked_in.append(user_id)
            continue
        done.removed.append(user_id)
        if signup.prior_status is None:
            joined -= 1
            await session.delete(signup)
            continue
        if signup.prior_status == SignupStatus.WAITING:
            joined, waiting = joined - 1, waiting + 1
        signup.status = signup.prior_status
        signup.prior_status = signup.checked_in_at = signup.method = None
        signup.minutes = signup.recorded_by = None
    await _counts(session, event, event.last_seq, joined, waiting)
    return done
