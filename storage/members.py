"""Members (people), their profiles, and their membership and role in each group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.names import name_key
from storage.dialect import insert
from storage.models import Group, Member, Membership

ADMIN_ROLES = ("admin", "creator")


@dataclass(frozen=True)
class PersonInfo:
    """What Telegram tells about a person (kept in step on every update)."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


async def ensure_member(session: AsyncSession, person: PersonInfo, now: datetime) -> Member:
    """Register the person, or refresh their Telegram name, username and language."""
    values = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "username": person.username,
        "language_code": person.language_code,
    }
    stmt = (
        insert(session, Member)
        .values(user_id=person.user_id, created_at=now, updated_at=now, **values)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    await session.execute(stmt)
    member = await session.get(Member, person.user_id, populate_existing=True)
    assert member is not None
    if any(getattr(member, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(member, key, value)
        member.updated_at = now
    return member


async def get_member(session: AsyncSession, user_id: int) -> Member | None:
    """The person with this Telegram user id, if seen."""
    return await session.get(Member, user_id)


@cache
def _members_by_id() -> Select[Member]:
    """The people with the given ids, built once."""
    return select(Member).where(Member.user_id.in_(bindparam("ids", expanding=True)))


async def members_by_id(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, Member]:
    """The people with these ids, in one query."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    rows = await session.scalars(_members_by_id(), {"ids": list(ids)})
    return {m.user_id: m for m in rows}


async def find_by_username(session: AsyncSession, username: str) -> Member | None:
    """The person with this @username (case-insensitive), if seen anywhere."""
    name = username.lstrip("@").lower()
    return await session.scalar(select(Member).where(func.lower(Member.username) == name))


def active_members(group_id: int) -> Select[Member]:
    """The people who are in the group now (not those who left), as a query the caller
    narrows and orders: rosters, admins, birthdays."""
    return (
        select(Member)
        .join(Membership, Membership.user_id == Member.user_id)
        .where(Membership.group_id == group_id, Membership.active.is_(True))
    )


async def group_member(
    session: AsyncSession, group_id: int, *, user_id: int | None = None, username: str = ""
) -> Member | None:
    """A current member of this group, by Telegram id or @username (case-insensitive);
    None for anyone the group has not seen, however well another group knows them."""
    stmt = active_members(group_id)
    if user_id is not None:
        stmt = stmt.where(Member.user_id == user_id)
    else:
        stmt = stmt.where(func.lower(Member.username) == username.lstrip("@").lower())
    return await session.scalar(stmt.limit(1))


async def touch_membership(
    session: AsyncSession, group_id: int, user_id: int, now: datetime
) -> Membership:
    """Record that the person is (still) in the group; returns the membership."""
    stmt = (
        insert(session, Membership)
        .values(
            group_id=group_id,
            user_id=user_id,
            role="member",
            active=True,
            first_seen_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_update(
            index_elements=["group_id", "user_id"],
            set_={"active": True, "last_seen_at": now},
        )
    )
    await session.execute(stmt)
    membership = await session.get(Membership, (group_id, user_id), populate_existing=True)
    assert membership is not None
    return membership


async def leave_group(session: AsyncSession, group_id: int, user_id: int, now: datetime) -> None:
    """Record that the person left or was removed from the group."""
    await session.execute(
        update(Membership)
        .where(Membership.group_id == group_id, Membership.user_id == user_id)
        .values(active=False, role="member", last_seen_at=now)
    )


async def set_admins(
    session: AsyncSession,
    group: Group,
    admins: Iterable[tuple[PersonInfo, str]],
    now: datetime,
) -> None:
    """Make the roles in ``group`` match Telegram's administrator list."""
    roles: dict[int, str] = {}
    for person, role in admins:
        await ensure_member(session, person, now)
        await touch_membership(session, group.id, person.user_id, now)
        roles[person.user_id] = role
    current = await session.scalars(select(Membership).where(Membership.group_id == group.id))
    for membership in current:
        membership.role = roles.get(membership.user_id, "member")
    group.admins_refreshed_at = now


async def is_admin(session: AsyncSession, group_id: int, user_id: int) -> bool:
    """Whether Telegram last reported the person as admin or creator of the group."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == group_id,
            Membership.user_id == user_id,
            Membership.active.is_(True),
        )
    )
    return role in ADMIN_ROLES


async def roster(session: AsyncSession, group_id: int) -> list[tuple[Member, Membership]]:
    """Active members of the group: admins first, then by name (its pinyin)."""
    rows = await session.execute(
        select(Member, Membership)
        .join(Membership, Membership.user_id == Member.user_id)
        .where(Membership.group_id == group_id, Membership.active.is_(True))
    )
    pairs = [(m, ms) for m, ms in rows]
    order = {"creator": 0, "admin": 1, "member": 2}
    pairs.sort(key=lambda p: (order.get(p[1].role, 3), name_key(p[0].display_name)))
    return pairs


async def groups_of(session: AsyncSession, user_id: int, limit: int | None = None) -> list[Group]:
    """The active groups the person is an active member of, by title (at most ``limit``)."""
    rows = await session.scalars(
        select(Group)
        .join(Membership, Membership.group_id == Group.id)
        .where(
            Membership.user_id == user_id,
            Membership.active.is_(True),
            Group.active.is_(True),
        )
        .order_by(Group.title, Group.id)
        .limit(limit)
    )
    return list(rows)


async def _load(session: AsyncSession, user_id: int) -> Member:
    member = await session.get(Member, user_id, populate_existing=True)
    if member is None:
        raise LookupError(f"member {user_id} is not registered")
    return member


async def set_real_name(session: AsyncSession, user_id: int, name: str, now: datetime) -> Member:
    """Set the real name shown in rosters and reports."""
    member = await _load(session, user_id)
    member.real_name = name
    member.updated_at = now
    return member


async def set_party_joined(
    session: AsyncSession, user_id: int, joined: date, now: datetime
) -> Member:
    """Set the date of joining the Party (the political birthday)."""
    member = await _load(session, user_id)
    member.party_joined_on = joined
    member.updated_at = now
    return member


async def mark_started(session: AsyncSession, user_id: int, now: datetime) -> Member:
    """The person pressed Start in private chat: the bot may write to them."""
    member = await _load(session, user_id)
    member.started_at = member.started_at or now
    member.blocked_at = None
    member.updated_at = now
    return member


async def mark_unreachable(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The bot could not write to the person (they never pressed Start, or blocked it):
    remembered until they press Start."""
    await session.execute(
        update(Member).where(Member.user_id == user_id).values(blocked_at=now, updated_at=now)
    )


async def group_admins(
    session: AsyncSession, group_id: int, extra: Iterable[int] = ()
) -> list[Member]:
    """The group's admins as Telegram last reported them, and the configured admins
    (``extra``) who are members of it."""
    rows = await session.scalars(
        active_members(group_id)
        .where(or_(Membership.role.in_(ADMIN_ROLES), Membership.user_id.in_(sorted(set(extra)))))
        .order_by(Member.user_id)
    )
    return list(rows)
