"""Processed update ids: the mechanism that makes redelivered updates change nothing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_of, insert, insert_for
from storage.models import ParkedUpdate, PendingCommand, ProcessedUpdate
from storage.outbox import prune_outbox
from storage.prompts import prune_prompts


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Mark ``update_id`` processed in this transaction; False if it already was."""
    stmt = _record_once(dialect_of(session))
    found = await session.execute(stmt, {"v_update_id": update_id, "v_processed_at": now})
    return found.scalar_one_or_none() is not None


@cache
def _record_once(dialect: str) -> Any:
    """The INSERT of one processed update, built once per database (values bound)."""
    table = ProcessedUpdate.__table__
    return (
        insert_for(dialect, table)
        .values(update_id=bindparam("v_update_id"), processed_at=bindparam("v_processed_at"))
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )


async def record_updates(session: AsyncSession, update_ids: list[int], now: datetime) -> None:
    """Mark many update ids processed at once (those already recorded stay as they are)."""
    if not update_ids:
        return
    # on the table: the ORM's bulk INSERT would build the statement again for every call
    stmt = _record_many_once(dialect_of(session))
    await session.execute(
        stmt, [{"update_id": i, "processed_at": now} for i in sorted(set(update_ids))]
    )


@cache
def _record_many_once(dialect: str) -> Any:
    """The INSERT of many processed updates, built once per database."""
    table = ProcessedUpdate.__table__
    return insert_for(dialect, table).on_conflict_do_nothing(index_elements=["update_id"])


async def park_updates(
    session: AsyncSession, updates: list[tuple[int, str]], now: datetime, lease_until: datetime
) -> None:
    """Keep these (update id, JSON) pairs, held by this process until ``lease_until``,
    until :func:`release_updates`."""
    if updates:
        stmt = insert(session, ParkedUpdate).on_conflict_do_nothing(index_elements=["update_id"])
        await session.execute(
            stmt,
            [
                {"update_id": i, "payload": p, "parked_at": now, "lease_until": lease_until}
                for i, p in updates
            ],
        )


async def release_updates(session: AsyncSession, update_ids: list[int]) -> None:
    """Forget parked updates whose processing has ended."""
    if update_ids:
        await session.execute(delete(ParkedUpdate).where(ParkedUpdate.update_id.in_(update_ids)))


async def renew_leases(session: AsyncSession, update_ids: list[int], until: datetime) -> None:
    """Keep holding these parked updates (they are still running here) until ``until``."""
    if update_ids:
        await session.execute(
            update(ParkedUpdate)
            .where(ParkedUpdate.update_id.in_(update_ids))
            .values(lease_until=until)
        )


async def let_go(session: AsyncSession, update_ids: list[int]) -> None:
    """Stop holding these parked updates (a clean stop): any process may take them now."""
    if update_ids:
        await session.execute(
            update(ParkedUpdate)
            .where(ParkedUpdate.update_id.in_(update_ids))
            .values(lease_until=None)
        )


_PARKED = cast(Table, ParkedUpdate.__table__)


async def take_parked(
    session: AsyncSession,
    now: datetime,
    until: datetime,
    *,
    limit: int = 100,
    every: bool = False,
    mine: Collection[int] = (),
) -> list[tuple[int, str]]:
    """Take up to ``limit`` parked updates nobody holds (their process died, or let them
    go), oldest first, and hold them until ``until``: the rows are claimed with a
    conditional UPDATE, so of several processes asking at once each gets different ones.
    ``every``: held or not (the only process, starting: whoever held them is gone);
    ``mine``: the ones the caller holds and is processing already, never taken again."""
    # on the table, not the model: the first look, at start, would otherwise finish
    # mapping every model (some 15 ms) in front of the bot's first poll
    parked = _PARKED.c
    free = or_(parked.lease_until.is_(None), parked.lease_until < now, true() if every else false())
    query = select(parked.update_id).where(free)
    if mine:
        query = query.where(parked.update_id.not_in(sorted(mine)))
    candidates = list(await session.scalars(query.order_by(parked.update_id).limit(limit)))
    if not candidates:
        return []
    rows = await session.execute(
        update(_PARKED)
        .where(parked.update_id.in_(candidates), free)
        .values(lease_until=until)
        .returning(parked.update_id, parked.payload)
    )
    return sorted((update_id, payload) for update_id, payload in rows)


async def parked_updates(session: AsyncSession) -> list[tuple[int, str]]:
    """The parked updates, oldest first, whoever holds them."""
    rows = await session.execute(
        select(ParkedUpdate.update_id, ParkedUpdate.payload).order_by(ParkedUpdate.update_id)
    )
    return [(update_id, payload) for update_id, payload in rows]


async def parked_count(session: AsyncSession) -> int:
    """How many updates are parked (running long, or left by a process that died)."""
    found = await session.scalar(select(func.count()).select_from(ParkedUpdate))
    return int(found or 0)


async def is_processed(session: AsyncSession, update_id: int) -> bool:
    """Whether an update with this id has already been processed."""
    found = await session.scalar(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found is not None


async def prune_updates(session: AsyncSession, before: datetime) -> int:
    """Forget update ids processed before ``before`` (Telegram redelivers for 24 h only)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_stale(session: AsyncSession, now: datetime) -> None:
    """Housekeeping: forget processed update ids after 3 days (Telegram redelivers for
    24 h), abandoned group picks and prompts (guided reports, waits) after a day,
    messages sent or failed a month ago, and wrong check-in codes that no longer count."""
    from storage.wrong_codes import prune_wrong_codes  # the check-in rules: not to start

    await prune_updates(session, now - timedelta(days=3))
    await session.execute(
        delete(PendingCommand).where(PendingCommand.created_at < now - timedelta(days=1))
    )
    await prune_prompts(session, now - timedelta(days=1))
    await prune_outbox(session, now)
    await prune_wrong_codes(session, now)
