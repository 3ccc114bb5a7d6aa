"""Groups: registration, settings, migration to a supergroup, per-group numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import UnknownNumber
from domain.parsing import storable
from storage.dialect import insert
from storage.models import Counter, Event, Group, Issue, OutboxMessage, Topic

Numbered = TypeVar("Numbered", Topic, Issue, Event)


@dataclass(frozen=True)
class GroupDefaults:
    """Settings a newly seen group starts with (from config.toml's [bot])."""

    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    briefing_time: time = time(8, 0)
    workdays_only: bool = False


async def get_group(session: AsyncSession, chat_id: int) -> Group | None:
    """The group with this Telegram chat id, if the bot knows it."""
    return await session.scalar(select(Group).where(Group.chat_id == chat_id))


async def ensure_group(
    session: AsyncSession,
    chat_id: int,
    title: str,
    chat_type: str,
    defaults: GroupDefaults,
    now: datetime,
) -> Group:
    """Register the group (or refresh its title and type) and return it."""
    stmt = (
        insert(session, Group)
        .values(
            chat_id=chat_id,
            title=title,
            chat_type=chat_type,
            language=defaults.language,
            timezone=defaults.timezone,
            briefing_time=defaults.briefing_time,
            workdays_only=defaults.workdays_only,
            active=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["chat_id"])
    )
    await session.execute(stmt)
    group = await session.scalar(select(Group).where(Group.chat_id == chat_id))
    assert group is not None
    # the issue counter's row, locked by each report for its number (migration 0018)
    await session.execute(
        insert(session, Counter)
        .values(group_id=group.id, kind="issue", last_number=0)
        .on_conflict_do_nothing(index_elements=["group_id", "kind"])
    )
    if group.title != title or group.chat_type != chat_type:
        group.title = title
        group.chat_type = chat_type
        group.updated_at = now
    return group


async def set_active(session: AsyncSession, group: Group, active: bool, now: datetime) -> None:
    """Record that the bot joined (True) or was removed from (False) the group."""
    if group.active != active:
        group.active = active
        group.updated_at = now


async def update_settings(
    session: AsyncSession,
    group: Group,
    now: datetime,
    *,
    language: str | None = None,
    timezone: str | None = None,
    briefing_time: time | None = None,
    workdays_only: bool | None = None,
) -> Group:
    """Change one or more of the group's settings."""
    if language is not None:
        group.language = language
    if timezone is not None:
        group.timezone = timezone
    if briefing_time is not None:
        group.briefing_time = briefing_time
    if workdays_only is not None:
        group.workdays_only = workdays_only
    group.updated_at = now
    return group


async def migrate_group(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, now: datetime
) -> Group | None:
    """Move a group's data to its new supergroup chat id; idempotent. Event
    announcements stay behind in the old chat (their message ids mean nothing in the new
    one)."""
    old = await get_group(session, old_chat_id)
    if old is None:
        return await get_group(session, new_chat_id)
    new = await get_group(session, new_chat_id)
    if new is not None and new.id == old.id:
        return old  # moved a moment ago (by the notice in the other chat)
    if new is not None:
        # Registered a moment ago from a message in the new supergroup: the old row holds
        # the history, so it wins.
        await session.execute(delete(Group).where(Group.id == new.id))
        await session.flush()
    await session.execute(
        update(Group)
        .where(Group.id == old.id)
        .values(
            chat_id=new_chat_id, migrated_from=old_chat_id, chat_type="supergroup", updated_at=now
        )
    )
    # message ids start again in the supergroup: an announcement's id names another
    # message there, so it is forgotten (``/event n`` posts a new one)
    await session.execute(
        update(Event).where(Event.group_id == old.id).values(announce_message_id=None)
    )
    # what waits to be sent to the group goes to the supergroup (as new messages)
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == old_chat_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
        )
        .values(chat_id=new_chat_id, reply_to=None)
    )
    await session.refresh(old)
    return old


async def next_number(session: AsyncSession, group_id: int, kind: str) -> int:
    """The next per-group number of ``kind`` (topic, issue, event), starting at 1.

    One statement on the counter row, so concurrent callers never get the same number.
    """
    stmt = (
        insert(session, Counter)
        .values(group_id=group_id, kind=kind, last_number=1)
        .on_conflict_do_update(
            index_elements=["group_id", "kind"],
            set_={"last_number": Counter.last_number + 1},
        )
        .returning(Counter.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


async def numbered(
    session: AsyncSession, model: type[Numbered], kind: str, group_id: int, number: int
) -> Numbered:
    """The group's ``kind`` (topic, issue, event) that people call by ``number``, read
    afresh; UnknownNumber if there is none."""
    if not storable(number):
        raise UnknownNumber(kind, number)
    found: Numbered | None = await session.scalar(
        _by_number(model), {"group_id": group_id, "number": number}
    )
    if found is None:
        raise UnknownNumber(kind, number)
    return found


@cache
def _by_number(model: type[Any]) -> Select[Any]:
    """The read of one ``model`` row by (group, number), built once per model."""
    return (
        select(model)
        .where(model.group_id == bindparam("group_id"), model.number == bindparam("number"))
        .execution_options(populate_existing=True)  # status changes are Core UPDATEs
    )
