"""The outbox: messages that follow from a change, written in the change's transaction
and handed to the sender afterwards.

The sender takes due messages with a lease (a conditional UPDATE, so two bot processes
on one database never take the same message), and marks each sent, to be retried later,
or failed. A message whose lease ran out without a mark (the process died while sending)
is due again: it may go out twice, never zero times.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import binding, bound, dialect_of, insert_for
from storage.models import OutboxMessage
from storage.models.base import detached

# a taken message is due again after this without a mark (or a renewal: the sender renews
# the leases of what it still holds every RENEW seconds, so a message may wait in the rate
# limiter for minutes, while one a killed process held is sent again within the lease)
LEASE = timedelta(seconds=30)
PAGE_BREAK = "\x1e"  # between the pages of one message (stored text never holds it)
RENEW = timedelta(seconds=10)
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Outgoing:
    """A message to send: where, what (Telegram HTML), its buttons as JSON, the message
    it answers, whether it may wait behind replies to people, and its once-only key."""

    chat_id: int
    text: str
    markup: str | None = None
    reply_to: int | None = None
    bulk: bool = False
    key: str | None = None
    group_id: int | None = None
    fallback: Outgoing | None = None  # sent instead when the person cannot be written to
    document: str | None = None  # a file made when sent ("summary:2026-11"); text: caption

    def to_json(self) -> str:
        """The message as JSON (a fallback is kept so, beside the message it stands in
        for)."""
        fields = {k: v for k, v in asdict(self).items() if k != "fallback"}
        return json.dumps(fields, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Outgoing:
        """The message :meth:`to_json` wrote."""
        fields = json.loads(text)
        return cls(**{k: v for k, v in fields.items() if k in _FIELDS})


async def enqueue(
    session: AsyncSession, message: Outgoing, now: datetime, *, held: bool = False
) -> int | None:
    """Write the message in the caller's transaction; its id, or None when a message
    with the same key was written before (it is never written twice). ``held``: leased
    to the caller from the start (a stand-in it settles itself unless it dies first)."""
    stmt = _insert_once(dialect_of(session), whole_row=False)
    found = await session.execute(stmt, _values(message, now, leased=held))
    return int(v) if (v := found.scalar_one_or_none()) is not None else None


async def enqueue_to_send(
    session: AsyncSession, message: Outgoing, now: datetime
) -> OutboxMessage | None:
    """Write the message in the caller's transaction, already taken for sending by the
    caller (leased, its first try counted: no second statement to take it after the
    commit); the row, or None when a message with the same key was written before. If
    the caller dies before it is sent, the lease runs out and the sweep sends it."""
    stmt = _insert_once(dialect_of(session), whole_row=True)
    values = _values(message, now, leased=True, attempts=1)
    row = (await session.execute(stmt, values)).mappings().first()
    return detached(OutboxMessage, row) if row is not None else None


_TABLE = cast(Table, OutboxMessage.__table__)
_WRITTEN = (
    "key",
    "group_id",
    "chat_id",
    "text",
    "markup",
    "reply_to",
    "bulk",
    "created_at",
    "due_at",
    "lease_until",
    "attempts",
    "fallback",
    "document",
)


@cache
def _insert_once(dialect: str, *, whole_row: bool) -> Any:
    """The INSERT of a message (nothing when its key was used before), built once per
    database: returning the row's columns, or its id. Its values are bound as
    ``v_<column>``. A statement on the table, not the model: the ORM would copy it (and
    work out its cache key again) at every execution."""
    stmt = (
        insert_for(dialect, _TABLE)
        .values(bound(_WRITTEN))
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return stmt.returning(*_TABLE.columns) if whole_row else stmt.returning(_TABLE.c.id)


def _values(message: Outgoing, now: datetime, *, leased: bool, attempts: int = 0) -> dict[str, Any]:
    """The values of ``message``'s row, named as :func:`_insert_once` binds them."""
    row = {
        "key": message.key,
        "group_id": message.group_id,
        "chat_id": message.chat_id,
        "text": message.text,
        "markup": message.markup,
        "reply_to": message.reply_to,
        "bulk": message.bulk,
        "created_at": now,
        "due_at": now,
        "lease_until": now + LEASE if leased else None,
        "attempts": attempts,
        "fallback": message.fallback.to_json() if message.fallback is not None else None,
        "document": message.document,
    }
    return binding(row)


_FIELDS = {f.name for f in fields(Outgoing)} - {"fallback"}
_PENDING = and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))


async def due_ids(session: AsyncSession, now: datetime, limit: int, skip: set[int]) -> list[int]:
    """Up to ``limit`` messages due now, oldest first (``skip``: the ones the caller is
    sending already); read on the pending index."""
    query = select(OutboxMessage.id).where(
        _PENDING,
        OutboxMessage.due_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )
    if skip:
        query = query.where(OutboxMessage.id.not_in(sorted(skip)))
    ordered = query.order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
    return list(await session.scalars(ordered))


async def lease(session: AsyncSession, ids: list[int], now: datetime) -> list[OutboxMessage]:
    """Take the messages for sending, in one conditional update: of two bot processes
    only one gets a message (PostgreSQL re-checks the condition on each row it waited
    for), and one put off since the caller read it as due (another sender's try failed
    and set it later) is left for later; the ones this caller got, oldest first."""
    if not ids:
        return []
    leased = await session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            _PENDING,
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(leased, key=lambda m: m.id)


async def renew(session: AsyncSession, ids: set[int], now: datetime) -> None:
    """Extend the leases of the messages this sender still holds (waiting in the rate
    limiter, being sent)."""
    if not ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(sorted(ids)), _PENDING)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )


async def mark_sent(
    session: AsyncSession, message_id: int, sent_as: int | None, now: datetime
) -> None:
    """The message went out (as Telegram message ``sent_as``)."""
    await session.execute(
        _MARK_SENT, {"outbox_id": message_id, "v_sent_at": now, "v_message_id": sent_as}
    )


# built once, on the table: each mark binds the message, the moment and Telegram's
# message id
_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("outbox_id"))
    .values(
        sent_at=bindparam("v_sent_at"),
        message_id=bindparam("v_message_id"),
        lease_until=None,
        error=None,
    )
)


async def release(session: AsyncSession, ids: list[int]) -> None:
    """Stand-ins whose real answers failed: due now, for the sender to send."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(sorted(ids)), _PENDING)
            .values(lease_until=None)
            .execution_options(synchronize_session=False)
        )


async def settle(session: AsyncSession, ids: list[int], now: datetime) -> None:
    """Stand-ins no longer needed (the real replies went out): never sent."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(sorted(ids)), _PENDING)
            .values(sent_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )


async def mark_retry(
    session: AsyncSession,
    message_id: int,
    error: str,
    when: datetime,
    *,
    free: bool = False,
    chat_id: int | None = None,
    pages_sent: int = 0,
) -> None:
    """Sending failed for now (a network error, a flood wait): due again at ``when``.
    ``free``: the try does not count (Telegram asked us to wait); ``chat_id``: the chat
    moved (a group that became a supergroup), send it there, as a new message;
    ``pages_sent``: how many of its pages went out already."""
    values: dict[str, object] = {
        "due_at": when,
        "lease_until": None,
        "error": error[:ERROR_LENGTH],
        "pages_sent": pages_sent,  # a long message resumes after the pages that went out
    }
    if free:
        values["attempts"] = OutboxMessage.attempts - 1
    if chat_id is not None:
        values.update(chat_id=chat_id, reply_to=None)
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def mark_failed(session: AsyncSession, message_id: int, error: str, now: datetime) -> None:
    """Sending failed for good (the chat is gone, the person blocked the bot, tries
    used up): kept, visible to admins, never retried."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(failed_at=now, lease_until=None, error=error[:ERROR_LENGTH])
    )


async def pending_count(session: AsyncSession) -> int:
    """How many messages wait to be sent (read on the pending index)."""
    found = await session.scalar(select(func.count()).select_from(OutboxMessage).where(_PENDING))
    return int(found or 0)


@dataclass(frozen=True)
class Backlog:
    """What waits in the outbox: how many messages, and since when the oldest of those
    already due has been due (None: none is due)."""

    waiting: int
    oldest_due: datetime | None


async def backlog(session: AsyncSession, now: datetime) -> Backlog:
    """The outbox's backlog at ``now``, in one statement on the pending index (the
    earliest ``due_at`` of the pending messages is the oldest due one, if it has come)."""
    waiting, earliest = (
        await session.execute(select(func.count(), func.min(OutboxMessage.due_at)).where(_PENDING))
    ).one()
    due = earliest if earliest is not None and earliest <= now else None
    return Backlog(int(waiting or 0), due)


KEEP = timedelta(days=30)  # sent and failed messages are kept this long, then pruned


async def prune_outbox(session: AsyncSession, now: datetime) -> None:
    """Housekeeping: forget messages sent or failed more than ``KEEP`` ago (read on the
    creation index; admins see failures of the last 7 days)."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.created_at < now - KEEP,
            or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.failed_at.is_not(None)),
        )
    )
