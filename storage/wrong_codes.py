"""Wrong check-in codes, kept in the database: the cut-off after too many (the rule is
``domain.checkin``'s) holds across a restart and between bot processes. One row per
wrong code, inserted and never updated, so two tries at once (two processes, on
PostgreSQL) both count; the count is one indexed range of the person's rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin import wrong_codes_since
from storage.dialect import rowcount
from storage.models import WrongCode


async def record_wrong_code(
    session: AsyncSession, event_id: int, user_id: int, now: datetime
) -> None:
    """Remember that the person tried a wrong code for the event at ``now``."""
    session.add(WrongCode(event_id=event_id, user_id=user_id, tried_at=now))
    await session.flush()


async def count_wrong_codes(
    session: AsyncSession, event_id: int, user_id: int, since: datetime
) -> int:
    """How many wrong codes the person tried for the event after ``since``."""
    found = await session.scalar(
        select(func.count())
        .select_from(WrongCode)
        .where(
            WrongCode.event_id == event_id,
            WrongCode.user_id == user_id,
            WrongCode.tried_at > since,
        )
    )
    return int(found or 0)


async def forget_wrong_codes(session: AsyncSession, event_id: int, user_id: int) -> None:
    """The person got the code right: their wrong ones for the event no longer matter."""
    await session.execute(
        delete(WrongCode).where(WrongCode.event_id == event_id, WrongCode.user_id == user_id)
    )


async def prune_wrong_codes(session: AsyncSession, now: datetime) -> int:
    """Drop the wrong codes that no longer count at ``now`` (housekeeping); how many."""
    result = await session.execute(
        delete(WrongCode).where(WrongCode.tried_at <= wrong_codes_since(now))
    )
    return rowcount(result)
