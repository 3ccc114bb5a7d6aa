"""The world of the morning case: ``groups`` registered groups that get a briefing and a
few more that only ask for /help, seeded straight into a fresh PostgreSQL schema and
known to the HTTP emulator; the bot processes' config file.

Every group has a secretary (its creator), a captain (an admin) and a worker, all seen by
the bot but none of them has pressed Start (so the morning is one briefing a group and no
private message). The groups work on working days only, and today is made a working day
by an installation-wide calendar correction (``/settings holiday … work`` for every
group), so the case runs on any day of the week. Their briefing time is first a moment
that does not come during the case (11:00); :func:`brief_at` moves it to the minute the
case picks once the bot processes are up, so the real minute sweep finds them due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text, update

from bench.bulk import bulk, reset_sequences
from emulator.core import EChat, TelegramEmulator
from emulator.server import EmulatorServer
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import CalendarDay, Member, Membership
from storage.models import Group as GroupRow

FIRST_USER = 8_000_000
FIRST_CHAT = -4_500_000
PEOPLE = ("书记", "队长", "工")  # creator, admin, member of every group
ROLES = ("creator", "admin", "member")
NOT_YET = daytime(11, 0)  # the briefing time before the case sets the real one
MORNING_HOUR = 7  # the zone is picked so the briefing comes at 07:xx local time


@dataclass
class MorningWorld:
    """The chats of the case: the briefed groups and the groups that ask for /help."""

    zone: str
    briefed: list[int] = field(default_factory=list)  # chat ids
    helpers: list[tuple[int, int]] = field(default_factory=list)  # (chat id, worker id)

    @property
    def all_groups(self) -> list[int]:
        """Every group's chat id, briefed ones first."""
        return [*self.briefed, *(chat for chat, _ in self.helpers)]


def morning_zone(now: datetime) -> str:
    """A fixed-offset zone (``Etc/GMT-N``) where it is 07:xx at ``now``: a morning."""
    offset = (MORNING_HOUR - now.astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{-offset:+d}"  # the tz database's sign is the reverse of ISO's


def make_world(groups: int, helpers: int, now: datetime) -> MorningWorld:
    """Chat ids for ``groups`` briefed groups and ``helpers`` /help groups."""
    world = MorningWorld(morning_zone(now))
    for index in range(groups + helpers):
        chat = FIRST_CHAT - index
        if index < groups:
            world.briefed.append(chat)
        else:
            world.helpers.append((chat, FIRST_USER + 10 * index + 2))
    return world


def build_emulator(emulator: TelegramEmulator, world: MorningWorld) -> None:
    """The groups and their people in the emulator, the bot a member of each."""
    for index, chat_id in enumerate(world.all_groups):
        chat = EChat(chat_id, "group", f"养护{index}班")
        for offset, (name, role) in enumerate(zip(PEOPLE, ROLES, strict=True)):
            uid = FIRST_USER + 10 * index + offset
            emulator.add_user(name, last_name=str(index), username=f"m{uid}", user_id=uid)
            chat.members[uid] = "administrator" if role == "admin" else role
        chat.members[emulator.bot.id] = "member"
        emulator.chats[chat_id] = chat


def _rows(world: MorningWorld, now: datetime) -> tuple[list[dict[str, Any]], ...]:
    """The members, groups and memberships rows of the world."""
    members, groups, memberships = [], [], []
    for index, chat_id in enumerate(world.all_groups):
        groups.append(
            {
                "id": index + 1,
                "chat_id": chat_id,
                "title": f"养护{index}班",
                "chat_type": "group",
                "language": "zh",
                "timezone": world.zone,
                "briefing_time": NOT_YET,
                "workdays_only": True,
                "active": True,
                "admins_refreshed_at": now,
                "created_at": now - timedelta(hours=1),  # in the group since 06:xx today
                "updated_at": now,
            }
        )
        for offset, (name, role) in enumerate(zip(PEOPLE, ROLES, strict=True)):
            uid = FIRST_USER + 10 * index + offset
            members.append(
                {
                    "user_id": uid,
                    "username": f"m{uid}",
                    "first_name": name,
                    "last_name": str(index),
                    "language_code": "zh-hans",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            memberships.append(
                {
                    "group_id": index + 1,
                    "user_id": uid,
                    "role": role,
                    "active": True,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
    return members, groups, memberships


def local_today(world: MorningWorld, now: datetime) -> date:
    """Today in the groups' zone."""
    return now.astimezone(ZoneInfo(world.zone)).date()


async def seed_world(url: str, world: MorningWorld, now: datetime) -> None:
    """Migrate the schema at ``url`` and insert the world; today (and tomorrow, for a
    case that runs past midnight) made working days for every group."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        members, groups, memberships = _rows(world, now)
        today = local_today(world, now)
        days = [
            {"group_id": None, "day": d, "kind": "work", "set_by": FIRST_USER, "set_at": now}
            for d in (today, today + timedelta(days=1))
        ]
        async with engine.begin() as conn:
            await bulk(conn, Member.__table__, iter(members))  # type: ignore[arg-type]
            await bulk(conn, GroupRow.__table__, iter(groups))  # type: ignore[arg-type]
            await bulk(conn, Membership.__table__, iter(memberships))  # type: ignore[arg-type]
            await bulk(conn, CalendarDay.__table__, iter(days))  # type: ignore[arg-type]
            await reset_sequences(conn, ("groups",))
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def brief_at(url: str, world: MorningWorld, moment: datetime) -> None:
    """Set the briefed groups' briefing time to ``moment`` (a minute boundary) in their
    zone, as ``/settings`` would."""
    local = moment.astimezone(ZoneInfo(world.zone)).time().replace(second=0, microsecond=0)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(GroupRow)
                .where(GroupRow.chat_id.in_(world.briefed))
                .values(briefing_time=local)
            )
    finally:
        await engine.dispose()


def write_config(
    folder: Path, emulator: TelegramEmulator, server: EmulatorServer, db_url: str
) -> Path:
    """The config.toml every bot process of the case runs with."""
    sections = {
        "telegram": {
            "token": emulator.token,
            "api_base_url": server.api_base_url,
            "file_base_url": server.file_base_url,
        },
        "database": {"url": db_url},
        "media": {"dir": str(folder / "media")},
    }
    lines = []
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines += [f'{key} = "{value}"' for key, value in keys.items()]
    config = folder / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config
