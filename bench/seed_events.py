"""The events of a seeded group (:mod:`bench.seed`): ``GroupSpec.signups`` sign-ups, ten
an event (everyone in the group), one event a day back from now — so a group of 100
sign-ups has the last ten days and one of 100,000 the same ten days and 27 years before
them. Mostly volunteer service (checked in, most checked out, some recorded: 补录),
every fifth a party lesson; one event is under way (checked in, not out) and two are
still to come (signed up only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.bulk import Ids
from bench.spec import GroupSpec
from domain.kinds import CheckinMethod, EventType, SignupStatus

SPACING = timedelta(days=1)  # between two events' starts
LENGTH = timedelta(hours=2, minutes=30)
AHEAD = 2  # events still to come
# an event row's columns as /newevent leaves them without options (end given, no cap,
# no venue, no walk-ins, not recorded, not announced, nobody waiting)
PLAIN_EVENT: dict[str, Any] = {
    "end_given": True,
    "cap": None,
    "latitude": None,
    "longitude": None,
    "walk_in": False,
    "allow_pin": False,
    "code_fallback": False,
    "recorded": False,
    "announce_message_id": None,
    "waiting_count": 0,
}


def event_rows(
    g: GroupSpec, group_id: int, ids: Ids, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The group's events and their sign-ups, numbered from the oldest."""
    people = [g.creator, *g.admins, *g.members]
    count = -(-g.signups // len(people)) if g.signups else 0
    events: list[dict[str, Any]] = []
    signups: list[dict[str, Any]] = []
    running = count - AHEAD - 1  # the one under way: began an hour ago
    for number in range(1, count + 1):
        index = number - 1
        starts = (now - timedelta(hours=1) + (index - running) * SPACING).replace(microsecond=0)
        event_id = ids.take("events")
        kind = EventType.LESSON if number % 5 == 0 else EventType.VOLUNTEER
        left = g.signups - len(signups)
        who = people[: min(len(people), left)]
        events.append(_event(g, group_id, event_id, number, kind, starts, len(who)))
        for seq, uid in enumerate(who, start=1):
            signups.append(_signup(event_id, uid, seq, starts, now, g.admins[0]))
    return events, signups


def _event(
    g: GroupSpec,
    group_id: int,
    event_id: int,
    number: int,
    kind: EventType,
    starts: datetime,
    people: int,
) -> dict[str, Any]:
    """One event's row."""
    return {
        **PLAIN_EVENT,
        "id": event_id,
        "group_id": group_id,
        "number": number,
        "kind": kind.value,
        "title": f"{'洁城绿生活' if kind == EventType.VOLUNTEER else '党课'} 第{number}期",
        "place": "明翠社区",
        "starts_at": starts,
        "ends_at": starts + LENGTH,
        "checkin_code": f"{event_id % 1_000_000:06d}",
        "link_token": f"benchlink{event_id:023d}",
        "qr_token": f"benchqr{event_id:025d}",
        "joined_count": people,
        "last_seq": people,
        "created_by": g.creator,
        "created_at": starts - timedelta(days=3),
        "updated_at": starts,
    }


def _signup(
    event_id: int, uid: int, seq: int, starts: datetime, now: datetime, admin: int
) -> dict[str, Any]:
    """One sign-up: before the event nothing more; at or after it, most checked in (a
    few recorded by the admin, 补录), most of those checked out."""
    row: dict[str, Any] = {
        "event_id": event_id,
        "user_id": uid,
        "status": SignupStatus.IN.value,
        "seq": seq,
        "signed_at": starts - timedelta(days=2),
        "checked_in_at": None,
        "checked_out_at": None,
        "method": None,
        "distance_m": None,
        "minutes": None,
        "recorded_by": None,
        "prior_status": None,
    }
    if starts > now or (event_id + seq) % 7 == 0:  # to come, or did not come
        return row
    ended = starts + LENGTH <= now
    recorded = (event_id + seq) % 11 == 0
    row["checked_in_at"] = starts + timedelta(minutes=seq)
    row["method"] = (CheckinMethod.RECORDED if recorded else CheckinMethod.CODE).value
    row["recorded_by"] = admin if recorded else None
    if recorded or not ended or seq % 3 == 0:  # no check-out: credited until the end
        row["minutes"] = int((LENGTH - timedelta(minutes=0 if recorded else seq)).total_seconds())
        row["minutes"] //= 60
    else:
        out = starts + LENGTH - timedelta(minutes=10 * (seq % 4))
        row["checked_out_at"] = out
        row["minutes"] = int((out - row["checked_in_at"]).total_seconds()) // 60
    return row
