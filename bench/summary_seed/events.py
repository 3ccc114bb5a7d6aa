"""活动: the month's events, with sign-ups, check-ins, credited minutes and photos."""

from __future__ import annotations

from datetime import timedelta

from bench.seed_events import PLAIN_EVENT
from bench.summary_seed.month import MonthWorld, add_photo
from domain.kinds import EventType, SignupStatus, Subject

PLACES = ["支部活动室", "S272 K12 养护工区", "红色教育基地", "G325 服务区", "会议室", "社区广场"]


def add_events(world: MonthWorld) -> None:
    """Events of every type through the month, with sign-ups, check-ins, credited
    minutes (volunteer service) and photos."""
    kinds = list(EventType)
    for n in range(world.plan.events):
        event_id = world.ids.take("events")
        starts = world.at((n + 0.5) / world.plan.events).replace(minute=0, second=0)
        ends = starts + timedelta(hours=2)
        kind = kinds[n % len(kinds)]
        people = world.rng.sample(world.people, world.rng.randrange(5, 26))
        world.rows.add(
            "events",
            {
                **PLAIN_EVENT,
                "id": event_id,
                "group_id": world.group_id,
                "number": n + 1,
                "kind": kind.value,
                "title": f"{'主题党日' if n % 2 else '志愿服务'}活动 第{n + 1}期",
                "place": PLACES[n % len(PLACES)],
                "starts_at": starts,
                "ends_at": ends,
                "checkin_code": f"{n:06d}",
                "link_token": f"sumlink{n:025d}",
                "qr_token": f"sumqr{n:027d}",
                "joined_count": len(people),
                "last_seq": len(people),
                "created_by": world.g.admins[0],
                "created_at": starts - timedelta(days=3),
                "updated_at": ends,
            },
        )
        for seq, uid in enumerate(people, start=1):
            came = world.rng.random() < 0.85
            volunteer = kind == EventType.VOLUNTEER and came
            world.rows.add(
                "event_signups",
                {
                    "event_id": event_id,
                    "user_id": uid,
                    "status": SignupStatus.IN.value,
                    "seq": seq,
                    "signed_at": starts - timedelta(days=2),
                    "checked_in_at": starts + timedelta(minutes=seq % 10) if came else None,
                    "checked_out_at": ends if volunteer else None,
                    "method": "code" if came else None,
                    "distance_m": None,
                    "minutes": 110 + seq % 20 if volunteer else None,
                },
            )
        for _ in range(world.plan.event_photos[n]):
            add_photo(world.rows, world.group_id, Subject.EVENT, event_id, ends, world.files.take())
