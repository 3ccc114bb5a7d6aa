"""The one way a topic or an issue changes status: a conditional UPDATE that only
happens from the allowed statuses (so two people acting at once cannot both succeed),
its history row in the same transaction, and the row read back."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import WrongStatus
from storage.dialect import rowcount
from storage.models import Issue, IssueEvent, Topic, TopicEvent

Row = TypeVar("Row", Topic, Issue)


async def transition(
    session: AsyncSession,
    row: Row,
    allowed: Collection[str],
    values: Mapping[str, Any],
    event: TopicEvent | IssueEvent,
    *,
    where: Collection[ColumnElement[bool]] = (),
) -> Row:
    """Move ``row`` to ``values`` if its status is one of ``allowed`` (and ``where``
    holds), add the history ``event``, and return the row as it is now. Raises
    :class:`WrongStatus` (with the current status) when the row was not in an allowed
    status."""
    model = type(row)
    changed = await session.execute(
        update(model)
        .where(model.id == row.id, model.status.in_(list(allowed)), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(changed) != 1:
        await session.refresh(row)
        raise WrongStatus(row.number, row.status, "topic" if model is Topic else "issue")
    session.add(event)
    await session.flush()
    await session.refresh(row)
    return row
