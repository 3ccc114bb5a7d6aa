"""人: the members of both groups (newcomers, Party anniversaries), the groups, the
counters."""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as daytime

from bench.spec import Spec
from bench.summary_seed.month import MonthWorld
from bench.summary_seed.plan import BIRTHDAYS, NEW_MEMBERS, ZONE


def add_people(world: MonthWorld, spec: Spec) -> None:
    """Everyone in both groups: a few joined this month, a few have their Party
    anniversary in it."""
    joined_long_ago = world.month.start - timedelta(days=400)
    birthdays = set(world.people[3 : 3 + BIRTHDAYS])
    newcomers = set(world.people[-NEW_MEMBERS:])
    for uid, name in spec.users.items():
        party = None
        if uid in birthdays:
            year = world.month.year - 3 - uid % 20
            party = date(year, world.month.month, 1 + uid % 28)
        world.rows.add(
            "members",
            {
                "user_id": uid,
                "username": f"u{uid}",
                "first_name": name,
                "last_name": "工",
                "language_code": "zh-hans",
                "real_name": f"张{name}" if uid in world.people else None,
                "party_joined_on": party,
                "started_at": joined_long_ago,
                "created_at": joined_long_ago,
                "updated_at": joined_long_ago,
            },
        )
    for g in spec.groups:
        group_id = world.group_id if g is world.g else world.ids.take("groups")
        world.rows.add(
            "groups",
            {
                "id": group_id,
                "chat_id": g.chat_id,
                "title": g.title,
                "chat_type": "group",
                "language": "zh",
                "timezone": ZONE,
                "briefing_time": daytime(8, 0),
                "workdays_only": False,
                "active": True,
                "admins_refreshed_at": world.now,
                "created_at": joined_long_ago,
                "updated_at": joined_long_ago,
            },
        )
        roles = {g.creator: "creator", **dict.fromkeys(g.admins, "admin")}
        for uid in [g.creator, *g.admins, *g.members]:
            first = joined_long_ago
            if g is world.g and uid in newcomers:
                first = world.at(world.rng.random())
            world.rows.add(
                "memberships",
                {
                    "group_id": group_id,
                    "user_id": uid,
                    "role": roles.get(uid, "member"),
                    "active": True,
                    "first_seen_at": first,
                    "last_seen_at": world.now,
                },
            )


def add_counters(world: MonthWorld) -> None:
    """The last numbers handed out (issues, topics, events)."""
    tables = world.rows.tables
    last = {"issue": len(tables["issues"]), "topic": len(tables["topics"])}
    last["event"] = world.plan.events
    for kind, number in last.items():
        world.rows.add(
            "counters", {"group_id": world.group_id, "kind": kind, "last_number": number}
        )
