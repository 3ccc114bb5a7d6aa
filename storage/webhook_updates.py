"""The turns of webhook workers that share one database (see bot/turns.py): a row for
each update received and not finished, held by its worker until a time it renews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, null, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.dialect import insert
from storage.models import ProcessedUpdate, WebhookUpdate


@dataclass(frozen=True)
class Held:
    """An update some worker holds: its chat's order key and until when."""

    update_id: int
    chat_key: str | None
    held_until: datetime


async def receive_update(
    session: AsyncSession, update_id: int, chat_key: str | None, now: datetime, until: datetime
) -> tuple[bool, int | None]:
    """Hold ``update_id`` until ``until`` — a new update, or one whose hold has run out
    (its worker died or gave it back) — in one statement. Returns (taken, earlier): taken
    is False when another worker still holds it (a redelivery while it runs); earlier is
    the lowest earlier update of the chat still held, which goes first."""
    other = aliased(WebhookUpdate)
    earlier = (
        select(func.min(other.update_id))
        .where(other.chat_key == chat_key, other.update_id < update_id, other.held_until > now)
        .scalar_subquery()
        if chat_key is not None
        else null()
    )
    stmt = insert(session, WebhookUpdate).values(
        update_id=update_id, chat_key=chat_key, received_at=now, held_until=until
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["update_id"],
        set_={"held_until": stmt.excluded.held_until, "received_at": stmt.excluded.received_at},
        where=WebhookUpdate.held_until <= now,
    ).returning(WebhookUpdate.update_id, earlier)
    row = (await session.execute(stmt)).first()
    if row is None:
        return False, None
    return True, row[1]


async def held_updates(
    session: AsyncSession, chat_keys: list[str], update_ids: list[int]
) -> list[Held]:
    """The updates held (or once held) in these chats, and these updates themselves."""
    if not chat_keys and not update_ids:
        return []
    rows = await session.execute(
        select(WebhookUpdate.update_id, WebhookUpdate.chat_key, WebhookUpdate.held_until).where(
            WebhookUpdate.chat_key.in_(chat_keys) | WebhookUpdate.update_id.in_(update_ids)
        )
    )
    return [Held(update_id, chat_key, until) for update_id, chat_key, until in rows]


async def hold_updates(session: AsyncSession, update_ids: list[int], until: datetime) -> None:
    """Renew the hold on these updates (their worker is alive)."""
    if update_ids:
        await session.execute(
            update(WebhookUpdate)
            .where(WebhookUpdate.update_id.in_(update_ids))
            .values(held_until=until)
        )


async def finish_update(session: AsyncSession, update_id: int) -> None:
    """The update is finished: its chat's next update may go."""
    await session.execute(delete(WebhookUpdate).where(WebhookUpdate.update_id == update_id))


async def give_back_update(session: AsyncSession, update_id: int, now: datetime) -> None:
    """The update failed and Telegram will send it again: it holds its chat no longer,
    and whichever worker gets it next takes it."""
    await session.execute(
        update(WebhookUpdate).where(WebhookUpdate.update_id == update_id).values(held_until=now)
    )


async def arrived_updates(session: AsyncSession, after: int, below: int) -> list[int]:
    """The update ids between ``after`` and ``below`` (both excluded) that some worker
    has received: held, or processed already. In order."""
    held = select(WebhookUpdate.update_id.label("update_id")).where(
        WebhookUpdate.update_id > after, WebhookUpdate.update_id < below
    )
    done = select(ProcessedUpdate.update_id.label("update_id")).where(
        ProcessedUpdate.update_id > after, ProcessedUpdate.update_id < below
    )
    arrived = union(held, done).subquery()
    rows = await session.scalars(select(arrived.c.update_id).order_by(arrived.c.update_id))
    return list(rows)


async def last_processed_update(session: AsyncSession) -> int | None:
    """The highest update id processed so far (None on a new database)."""
    return await session.scalar(select(func.max(ProcessedUpdate.update_id)))


async def prune_held_updates(session: AsyncSession, before: datetime) -> None:
    """Forget updates whose hold ran out before ``before`` and that nobody took again
    (Telegram gave up on them, or their chat went quiet)."""
    await session.execute(delete(WebhookUpdate).where(WebhookUpdate.held_until < before))
