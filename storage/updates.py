"""Processed update ids: the mechanism that makes redelivered updates change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import PendingCommand, ProcessedUpdate
from storage.prompts import prune_prompts


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Mark ``update_id`` processed in this transaction; False if it already was."""
    stmt = (
        insert(session, ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def record_updates(session: AsyncSession, update_ids: list[int], now: datetime) -> None:
    """Mark many update ids processed at once (those already recorded stay as they are)."""
    if not update_ids:
        return
    stmt = insert(session, ProcessedUpdate).on_conflict_do_nothing(index_elements=["update_id"])
    await session.execute(
        stmt, [{"update_id": i, "processed_at": now} for i in sorted(set(update_ids))]
    )


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
    24 h) and abandoned group picks and prompts (guided reports, waits) after a day."""
    await prune_updates(session, now - timedelta(days=3))
    await session.execute(
        delete(PendingCommand).where(PendingCommand.created_at < now - timedelta(days=1))
    )
    await prune_prompts(session, now - timedelta(days=1))
