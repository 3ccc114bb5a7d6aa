"""What the registry step needs to know about an update, read in one statement (its
query built once): whether it was processed already, its group, its sender and the
sender's membership. Most updates need nothing written after this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Group, Member, Membership, ProcessedUpdate
from storage.updates import is_processed

TOUCH_EVERY = timedelta(hours=1)  # how stale a membership's "last seen" may get


@dataclass(frozen=True)
class Known:
    """The database's view of an update's chat and sender."""

    processed: bool
    group: Group | None
    member: Member | None
    membership: Membership | None
    moved: bool = False  # the update comes from the group's chat before its upgrade

    def membership_is_fresh(self, now: datetime) -> bool:
        """Whether the sender is an active member seen within :data:`TOUCH_EVERY`."""
        m = self.membership
        return m is not None and m.active and now - m.last_seen_at < TOUCH_EVERY


def _group_row_query(which: ColumnElement[bool]) -> Select[Group, Membership, Member, bool]:
    """The group ``which`` selects, the sender's membership and person, and whether the
    update was processed (built once by each caller below: the statement and its cache
    key are reused)."""
    processed = exists().where(ProcessedUpdate.update_id == bindparam("update_id"))
    return (
        select(Group, Membership, Member, processed.label("processed"))
        .select_from(Group)
        .outerjoin(
            Membership,
            and_(Membership.group_id == Group.id, Membership.user_id == bindparam("user_id")),
        )
        .outerjoin(Member, Member.user_id == bindparam("user_id"))
        .where(which)
    )


@cache
def _by_chat() -> Select[Group, Membership, Member, bool]:
    """The group by its chat id, built once."""
    return _group_row_query(Group.chat_id == bindparam("chat_id"))


@cache
def _by_old_chat() -> Select[Group, Membership, Member, bool]:
    """The group by the chat id it had before its upgrade, built once."""
    return _group_row_query(Group.migrated_from == bindparam("chat_id"))


@cache
def _person() -> Select[Member, bool]:
    """The sender in a private chat and whether the update was processed, built once."""
    processed = exists().where(ProcessedUpdate.update_id == bindparam("update_id"))
    return select(Member, processed.label("processed")).where(
        Member.user_id == bindparam("user_id")
    )


async def known(
    session: AsyncSession, update_id: int, chat_id: int | None, user_id: int | None
) -> Known:
    """Read what the registry step decides on: one statement for a known group or
    person (whether the update was processed rides along), two for a new person, three
    for a chat not known by its id (it may be the basic group a supergroup was:
    ``Known.moved``)."""
    if chat_id is None or chat_id > 0:  # private chat, or no chat
        if user_id is not None:
            params = {"update_id": update_id, "user_id": user_id}
            found = (await session.execute(_person(), params)).first()
            if found is not None:
                member, done = found
                return Known(bool(done), None, None if done else member, None)
        return Known(await is_processed(session, update_id), None, None, None)
    params = {"update_id": update_id, "user_id": user_id or 0, "chat_id": chat_id}
    row = (await session.execute(_by_chat(), params)).first()
    moved = False
    if row is None:  # a group the bot has not seen yet, or the basic group it was
        row = (await session.execute(_by_old_chat(), params)).first()
        if row is None:
            return Known(await is_processed(session, update_id), None, None, None)
        moved = True
    group, membership, member, done = row
    if done:
        return Known(True, None, None, None)
    return Known(False, group, member, membership, moved)
